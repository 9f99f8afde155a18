"""The adapters' shape (issue 10, items 2 and 3): one package per platform under bot/adapters/,
no test doubles shipped in bot/, no import cycle among the adapter modules, each platform
package loading only its own platform library, and Discord's callbacks reaching the adapter
through a declared Protocol."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import pytest

from tests.support.imports import BOT, ROOT, cycle, graph, imports

ADAPTERS = BOT / "adapters"
TEST_DOUBLES = {"MemoryChat", "FrozenClock"}
PLATFORMS = {"telegram": "discord", "discord": "telegram"}  # package -> a library it must not load


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree():
    # The walk below proves nothing if it cannot see a cycle: a known one, and a known tree.
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_each_platform_is_one_package_and_the_console_one_module():
    assert (ADAPTERS / "telegram" / "adapter.py").is_file()
    assert (ADAPTERS / "discord" / "adapter.py").is_file()
    assert (ADAPTERS / "console.py").is_file()
    # Nothing is left at the old flat paths (telegram_adapter.py, discord_commands.py, ...).
    assert sorted(p.name for p in ADAPTERS.glob("*.py")) == ["__init__.py", "console.py"]


def test_the_shipped_package_holds_no_test_doubles():
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        assert not defined & TEST_DOUBLES, f"{path.relative_to(ROOT)} defines a test double"
        from_tests = {name for name in imports(path) if name.split(".")[0] == "tests"}
        assert not from_tests, f"{path.relative_to(ROOT)} imports {from_tests}"


def test_the_test_doubles_live_under_tests_support():
    from tests.support.clock import FrozenClock
    from tests.support.memory import MemoryChat

    assert FrozenClock.__module__ == "tests.support.clock"
    assert MemoryChat.__module__ == "tests.support.memory"


def test_no_adapter_module_imports_one_that_imports_it_back():
    edges = graph(ADAPTERS)
    # The walk sees the package's modules and `from . import commands` as an edge to them.
    assert "bot.adapters.discord.commands" in edges["bot.adapters.discord.adapter"]
    assert cycle(edges) is None, f"import cycle: {' -> '.join(cycle(edges) or [])}"


@pytest.mark.parametrize("package, other", sorted(PLATFORMS.items()))
def test_a_platform_package_loads_only_its_own_library(package, other):
    # A fresh interpreter: this one has both libraries loaded already. The adapter class is
    # imported on first use (the package's capabilities module must load no library).
    code = (f"import sys, bot.adapters.{package} as p; p.{package.title()}Adapter; "
            f"assert {package!r} in sys.modules, 'its own library is not loaded'; "
            f"assert {other!r} not in sys.modules, 'the other library is loaded'; "
            f"print(p.__all__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"['{package.title()}Adapter']"


def test_the_app_loads_no_platform_library_until_a_front_end_is_configured():
    code = ("import sys, bot.app, bot.adapters; "
            "assert not {'telegram', 'discord'} & set(sys.modules), 'a library is loaded'; "
            "print(sorted(e[1] for e in bot.app.FRONT_ENDS.values()))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['bot.adapters.discord', 'bot.adapters.telegram']"


def test_discord_callbacks_reach_the_adapter_through_the_sink_protocol():
    from bot.adapters.discord import DiscordAdapter
    from bot.adapters.discord.sink import InteractionSink

    # Every member the callbacks may call is on the adapter, a coroutine where declared so.
    members = [name for name in vars(InteractionSink) if not name.startswith("_")]
    assert {"on_command", "on_button", "on_modal_submit", "manages_server"} <= set(members)
    for name in members:
        declared = inspect.iscoroutinefunction(getattr(InteractionSink, name))
        assert inspect.iscoroutinefunction(getattr(DiscordAdapter, name)) == declared, name
    # Only the sink module reaches into the client for its adapter, and nothing silences the
    # type checker to do it.
    for path in sorted((ADAPTERS / "discord").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "sink.py":
            assert "client.adapter" not in text, path.name
        assert not [line for line in text.splitlines()
                    if "adapter" in line and "type: ignore" in line], path.name

"""The core's layout (issue 10 items 3, 6, 7): no import cycles under bot/, handlers that know no
platform, services that take rendered bodies from one module the handlers package exports, one
helper for each thing that used to be written several times, and small modules.

bot/adapters/ is checked by tests of its own (its packages are laid out separately); here its
modules only count as part of a cycle that reaches into the rest of bot/."""

from __future__ import annotations

import ast
import functools
import re

import pytest

from bot import config as config_module
from bot import validation
from tests.support.imports import modules, statements

ADAPTERS = "bot.adapters"
HANDLERS = "bot.handlers"
MAX_LINES = 300
PLATFORM_LIBRARIES = {"telegram", "discord", "aiohttp", "httpx"}
PLATFORM_WORD = re.compile(r"\b(telegram|discord)\b", re.IGNORECASE)


MODULES = modules()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def in_adapters(name: str) -> bool:
    return name == ADAPTERS or name.startswith(ADAPTERS + ".")


def imports_in(source: str, package: str) -> set[str]:
    """Absolute dotted names a module of `package` imports anywhere in its source: at the top,
    inside functions, under `if TYPE_CHECKING:` (a type-only import back is still a cycle to a
    reader), relative imports resolved. `from x import y` yields x and x.y (y may be a module)."""
    found = set()
    for base, aliases in statements(source, package):
        found.add(base)
        found.update(f"{base}.{alias}" for alias in aliases)
    return found


@functools.cache  # each module is read and parsed once per run, not once per walk
def raw_imports(name: str) -> set[str]:
    package = name if is_package(name) else name.rpartition(".")[0]
    return imports_in(MODULES[name].read_text(), package)


def module_of(imported: str) -> str | None:
    """The bot module an imported name lives in (`bot.x.Name` -> `bot.x`), or None."""
    parts = imported.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def edges(name: str) -> set[str]:
    """The bot modules importing `name` runs. Importing `bot.pkg.mod` from outside `bot.pkg`
    also runs `bot/pkg/__init__.py` (and whatever that imports), so the package counts too."""
    out = set()
    for imported in raw_imports(name):
        target = module_of(imported)
        if target is None:
            continue
        out.add(target)
        parts = target.split(".")
        for cut in range(2, len(parts)):
            parent = ".".join(parts[:cut])
            if parent in MODULES and not (name == parent or name.startswith(parent + ".")):
                out.add(parent)
    out.discard(name)
    return out


GRAPH = {name: edges(name) for name in MODULES}


def reachable(start: str, graph: dict[str, set[str]] = GRAPH) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]] = GRAPH) -> list[list[str]]:
    """The groups of modules that import one another (strongly connected components of more
    than one module), each sorted; groups made only of adapter modules are left to their tests."""
    reach = {name: reachable(name, graph) for name in graph}
    groups = []
    for name in graph:
        if name not in reach[name]:
            continue
        group = sorted(m for m in reach[name] if name in reach[m])
        if group not in groups and not all(in_adapters(m) for m in group):
            groups.append(group)
    return groups


def test_the_walk_counts_imports_inside_functions_and_for_type_checking_only():
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from .dispatch import Dispatcher\n"
              "def f():\n    from . import forms\n    from ..core import Reply\n")
    found = imports_in(source, "bot.handlers")
    assert {"bot.handlers.dispatch", "bot.handlers.forms", "bot.core"} <= found
    assert {module_of(i) for i in imports_in(source, "bot")} >= {"bot.dispatch", "bot.forms"}
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.c"}, "bot.c": {"bot.a"}, "bot.d": {"bot.a"},
             "bot.adapters.x": {"bot.adapters.y"}, "bot.adapters.y": {"bot.adapters.x"}}
    assert cycles(graph) == [["bot.a", "bot.b", "bot.c"]]


def test_no_module_under_bot_imports_one_that_imports_it_back():
    found = cycles()
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(g) for g in found)


def test_no_module_under_bot_except_the_adapters_exceeds_300_lines():
    long = {name: n for name, path in MODULES.items()
            if not in_adapters(name) and (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


def handler_modules() -> list[str]:
    return [n for n in MODULES if n == HANDLERS or n.startswith(HANDLERS + ".")]


def test_handlers_reach_no_platform_library_and_no_adapter():
    for name in handler_modules():
        modules = {name} | reachable(name)
        libraries = {i.split(".")[0] for m in modules for i in raw_imports(m)}
        assert not libraries & PLATFORM_LIBRARIES, (name, libraries & PLATFORM_LIBRARIES)
        assert not [m for m in modules if in_adapters(m)], name


def platform_strings(name: str) -> list[str]:
    tree = ast.parse(MODULES[name].read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [f"{name}:{node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and PLATFORM_WORD.search(node.value)]


def test_handlers_never_name_a_platform():
    found = [s for name in handler_modules() for s in platform_strings(name)]
    assert not found, found


def test_handlers_take_shared_types_from_routing_not_the_dispatcher():
    # Context, Router, STALE and the route records live in bot/routing.py, below both the
    # dispatcher (bot/dispatch.py) and forms: a handler never imports the dispatcher.
    for name in handler_modules():
        assert "bot.dispatch" not in GRAPH[name], name
    assert "bot.dispatch" not in GRAPH["bot.forms"]
    assert "bot.dispatch" not in GRAPH["bot.routing"] and "bot.forms" not in GRAPH["bot.routing"]


# Item 6: layering ------------------------------------------------------------------------------

SERVICES = ("bot.scheduler", "bot.announcement_runner", "bot.outbox")


def test_services_take_rendered_bodies_from_handlers_messages_only():
    for name in SERVICES:
        from_handlers = {module_of(i) for i in raw_imports(name)} & set(handler_modules())
        # (`from .handlers import messages` names the package too)
        assert from_handlers - {HANDLERS} == {"bot.handlers.messages"}, (name, from_handlers)


def test_no_module_outside_handlers_reaches_into_a_handler_module():
    # app.py collects the routers (`bot.handlers`); the services read `bot.handlers.messages`.
    allowed = {HANDLERS, "bot.handlers.messages"}
    for name in MODULES:
        if name in handler_modules() or in_adapters(name):
            continue
        inside = {module_of(i) for i in raw_imports(name)} & set(handler_modules())
        assert inside <= allowed, (name, inside - allowed)


def test_ops_formats_time_without_the_handlers():
    assert not {module_of(i) for i in raw_imports("bot.ops")} & set(handler_modules())
    assert "bot.timefmt" in GRAPH["bot.ops"]


# Item 7: one helper each -----------------------------------------------------------------------

def core_sources() -> dict[str, str]:
    return {name: path.read_text() for name, path in MODULES.items()
            if not in_adapters(name) and name != "bot.text"}


def test_shorten_cuts_with_one_ellipsis_inside_the_limit():
    from bot import text

    assert text.shorten("Kick-off call", 13) == "Kick-off call"
    assert text.shorten("Kick-off call", 8) == "Kick-of…"
    assert len(text.shorten("x" * 100, 24)) == 24
    assert text.shorten("Kick-off call", 8, ellipsis="") == "Kick-off"


def test_ascii_digits_refuses_what_int_would_misread():
    from bot import text

    assert text.is_ascii_digits("42") and text.is_ascii_digits("007")
    for tampered in ("", "٤٢", "4²", "-1", "1.5", " 4", "４"):
        assert not text.is_ascii_digits(tampered), tampered


def test_capitalized_raises_only_the_first_letter():
    from bot import text

    assert text.capitalized("petition signature") == "Petition signature"
    assert text.capitalized("RSVP list") == "RSVP list"
    assert text.capitalized("") == ""


def test_truncation_and_digit_checks_are_written_once():
    copies = [name for name, source in core_sources().items()
              if re.search(r'\+ "…"', source) or re.search(r"isascii\(\)", source)
              or re.search(r"\.isdecimal\(\)", source)]
    assert not copies, copies


def test_one_hhmm_pattern_in_validation():
    # slots, config and validation each had their own; now only validation compiles one.
    owners = [name for name, source in core_sources().items() if r"[0-5]\d" in source]
    assert owners == ["bot.validation"]


@pytest.mark.parametrize("value", ["00:00", "09:00", "19:30", "23:59"])
def test_config_takes_hhmm(value):
    assert config_module.Prompts(send_at=value, fallback_action="x").send_at == value


@pytest.mark.parametrize("value",
                         ["9:00", "24:00", "12:60", "09:00\n", " 09:00", "0900", "٠٩:٠٠"])
def test_config_refuses_anything_else(value):
    with pytest.raises(ValueError, match="is not a time as HH:MM"):
        config_module.Prompts(send_at=value, fallback_action="x")


@pytest.mark.parametrize(("typed", "kept"), [
    ("9:00", "09:00"), (" 08:30 ", "08:30"), ("23:59", "23:59"), ("0:05", "00:05"),
])
def test_a_supporter_may_leave_out_the_leading_zero(typed, kept):
    assert validation.time_of_day(typed) == kept


@pytest.mark.parametrize("typed", ["24:00", "9:0", "12:60", "123:00", "08-30", "", "9 :00"])
def test_a_supporter_gets_a_reason_for_a_bad_time(typed):
    with pytest.raises(ValueError, match="HH:MM"):
        validation.time_of_day(typed)


def test_dead_code_is_gone():
    from bot import app
    from bot.storage import Storage
    from bot.store import outbox

    assert not hasattr(app, "NOT_YET")
    assert not hasattr(outbox, "FINAL_STATES")
    assert not hasattr(Storage, "cancel_pending")  # only tests called it


def test_settings_choices_are_the_one_list_handlers_use():
    # What a platform offers as /settings choices (Discord's `key` option) is this list.
    from bot.handlers import SETTINGS_CHOICES
    from bot.handlers.prompts import KEYS

    assert SETTINGS_CHOICES == ("timezone", "time", "language", "invites")
    assert set(SETTINGS_CHOICES) <= set(KEYS)
    # Every setting /settings knows can be reached by a choice (the others are aliases).
    assert {KEYS[word][2] for word in SETTINGS_CHOICES} == {form for _, _, form in KEYS.values()}

"""The house as issue 10 leaves it, the adapters included: names that say their part, no import
cycle anywhere under bot/, small modules everywhere, one helper each in the adapters too, and a
README layout that is the tree as it is."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import typing

from tests.support.imports import BOT, ROOT, cycle, graph

MAX_LINES = 300
README = ROOT / "README.md"


def modules() -> dict[str, str]:
    """path relative to bot/ -> source, for every module under bot/ (adapters included)."""
    return {p.relative_to(BOT).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(BOT.rglob("*.py"))}


# Item 5: names ---------------------------------------------------------------------------------

RENAMED = {  # old module -> new one
    "registry.py": "dispatch.py",
    "delivery.py": "sender.py",
    "store/delivery.py": "store/outbox.py",
    "announcements.py": "announcement_runner.py",
    "store/announce.py": "store/announcements.py",
    "schedule.py": "scheduler.py",
}


def test_each_module_name_says_its_part():
    found = modules()
    for old, new in RENAMED.items():
        assert old not in found and new in found, (old, new)
    stems = [path.rpartition("/")[2].removesuffix(".py") for path in found]
    # "delivery" named four modules; "announce" is the command's module only.
    assert "delivery" not in stems
    assert [p for p in found if p.rpartition("/")[2] == "announce.py"] == ["handlers/announce.py"]


def test_the_dispatcher_is_called_a_dispatcher():
    from bot.dispatch import Dispatcher

    classes = {node.name for source in modules().values()
               for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}
    assert "Bot" not in classes  # telegram.Bot need not be aliased beside ours
    assert Dispatcher.__module__ == "bot.dispatch"


def test_the_dispatch_module_reexports_nothing_of_routing():
    from bot import dispatch

    assert "__all__" not in vars(dispatch) or set(dispatch.__all__) <= {
        "Dispatcher", "log_failure", "OPEN_PRIVATE"}


def test_senders_and_the_announcer_are_declared_and_typed():
    from bot.dispatch import Dispatcher
    from bot.routing import Announcer
    from bot.sender import Sender

    hints = typing.get_type_hints(Dispatcher)
    assert hints["senders"] == dict[str, Sender]
    assert hints["announcer"] == Announcer | None
    attribute = re.compile(r"""getattr\([^,]+,\s*["']announcer["']""")
    assert not [p for p, source in modules().items() if attribute.search(source)]


# Item 4: platform facts in the adapters -------------------------------------------------------

# Where platforms are named on purpose: the wiring that lists the front ends (app.py), the config
# with a section per platform and what the operator's commands print about it.
NAMES_PLATFORMS = {"__main__.py", "app.py", "config.py", "logs.py", "ops.py"}
PLATFORM_WORD = re.compile(r"\b(telegram|discord|console)\b", re.IGNORECASE)


def strings_naming_a_platform(source: str) -> list[str]:
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [f"{node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and PLATFORM_WORD.search(node.value)]


def test_the_core_asks_capabilities_and_never_names_a_platform():
    # Dispatch (moderators, the flood exemption), the services' pacing, /announce's limits and
    # its report: all read bot/capabilities.py, filled by each adapter package's declaration.
    named = {path: found for path, source in modules().items()
             if not path.startswith("adapters/") and path not in NAMES_PLATFORMS
             and (found := strings_naming_a_platform(source))}
    assert not named, named
    assert strings_naming_a_platform('x = "telegram"\nif p == "Discord": pass\n') == [
        "1: 'telegram'", "2: 'Discord'"]


def test_every_platform_declares_its_capabilities_without_loading_a_library():
    code = ("import sys, bot.app; "
            "known = {c.platform: c for c in bot.app.known_capabilities()}; "
            "assert not {'telegram', 'discord'} & set(sys.modules), 'a library is loaded'; "
            "print(sorted(known), known['telegram'].max_text, known['discord'].max_text)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['console',", "'discord',", "'telegram']", "4096", "2000"]


# Done when --------------------------------------------------------------------------------------

def test_no_module_under_bot_adapters_included_imports_one_that_imports_it_back():
    edges = graph(BOT)
    assert "bot.dispatch" in edges["bot.services"]  # the walk sees the core's imports
    found = cycle(edges)
    assert found is None, f"import cycle: {' -> '.join(found or [])}"


def test_no_module_under_bot_adapters_included_exceeds_300_lines():
    long = {path: n for path, source in modules().items()
            if (n := len(source.splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


# Item 7, in the adapter packages too ----------------------------------------------------------

def adapter_sources() -> dict[str, str]:
    return {p: s for p, s in modules().items() if p.startswith("adapters/")}


def test_adapters_truncate_check_digits_and_capitalise_with_the_shared_helpers():
    copies = [path for path, source in adapter_sources().items()
              if re.search(r'\+ "…"', source) or re.search(r"\.isdecimal\(\)", source)
              or re.search(r"isascii\(\)", source) or re.search(r"\[:1\]\.upper\(\)", source)]
    assert not copies, copies


def test_discord_settings_choices_come_from_the_handlers_list():
    source = adapter_sources()["adapters/discord/commands.py"]
    assert "SETTINGS_CHOICES" in source
    assert not re.search(r"Literal\[\s*\"", source), "a hard-coded list of choices"


# What Discord has synced follows the handlers' one list of settings words (the choices' source
# changing alone must not change it: the command hash would, and every deployment would
# overwrite its commands at the next start for nothing). "language" came with issue 11.
SETTINGS_COMMAND = {
    "contexts": [0, 1], "default_member_permissions": None,
    "description": "Your timezone and the time of your daily prompt.", "dm_permission": True,
    "integration_types": [0], "name": "settings", "nsfw": False, "type": 1,
    "options": [
        {"choices": [{"name": "timezone", "value": "timezone"},
                     {"name": "time", "value": "time"},
                     {"name": "language", "value": "language"},
                     {"name": "invites", "value": "invites"}],
         "description": "What to change", "name": "key", "required": False, "type": 3},
        {"description": ("The new value, e.g. Europe/London, 08:30 or es (leave it out to be "
                         "asked)"),
         "name": "value", "required": False, "type": 3},
    ],
}


async def test_the_discord_settings_command_is_synced_from_the_handlers_list(bot):
    import discord

    from bot.adapters.discord import commands

    tree = commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    for command in commands.build_commands(bot):
        tree.add_command(command)
    synced = {c["name"]: c for c in commands.payload(tree)}
    assert synced["settings"] == SETTINGS_COMMAND


# The README's layout ----------------------------------------------------------------------------

ENTRY = re.compile(r"^(?P<indent> *)(?P<name>[\w.]+/|[\w]+\.py)(?=\s|$)")
MODULE = re.compile(r"(?<![\w/.])(\w+\.py)\b")


def readme_layout() -> list[str]:
    """The fenced block under "## Development" that starts with `bot/`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Development", 1)[1]
    block = section.split("```", 2)[1]
    lines = block.strip("\n").splitlines()
    assert lines[0].rstrip() == "bot/", lines[0]
    return lines


def named_in_readme(lines: list[str]) -> set[str]:
    """Modules the layout names, as paths relative to the repository: every `x.py` entry, every
    `x.py` in a package's description (`telegram/  adapter.py (...), render.py`), and a
    package's __init__.py for its `x/` entry. Descriptions of modules name nothing. An entry
    sits two spaces deeper than its directory (or level with a sibling); a description's
    continuation lines sit deeper still."""
    named: set[str] = set()
    stack: list[tuple[int, str]] = []  # (indent, directory path), innermost last
    described = ""  # the directory whose description the following lines continue
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        deepest = stack[-1][0] + 2 if stack else 0
        match = ENTRY.match(line)
        if match and indent <= deepest and indent % 2 == 0:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            name, rest = match["name"], line[match.end():]
            if name.endswith("/"):
                path = parent + name
                stack.append((indent, path))
                described = path
                if (ROOT / path).is_dir() and not any((ROOT / path).rglob("*.py")):
                    continue  # a data folder (locales/): no module to name
                named.add(path + "__init__.py")
                named.update(path + m for m in MODULE.findall(rest))
            else:
                named.add(parent + name)
                described = ""
        elif described:
            named.update(described + m for m in MODULE.findall(line))
    return named


def test_the_readme_layout_parser_reads_entries_and_package_descriptions():
    lines = ["bot/",
             "  app.py          wires (see core.py)",
             "  store/          the SQL: petition.py, people.py",
             "                  and migrations.py",
             "    common.py     (an entry under store/, not a description)",
             "  adapters/       front ends",
             "    telegram/     adapter.py (start), render.py",
             "    console.py    the console",
             "  text.py         helpers"]
    assert named_in_readme(lines) == {
        "bot/__init__.py", "bot/app.py", "bot/store/__init__.py", "bot/store/petition.py",
        "bot/store/people.py", "bot/store/migrations.py", "bot/store/common.py",
        "bot/adapters/__init__.py",
        "bot/adapters/telegram/__init__.py", "bot/adapters/telegram/adapter.py",
        "bot/adapters/telegram/render.py", "bot/adapters/console.py", "bot/text.py"}


def test_the_readme_layout_is_the_tree_as_it_is():
    # Only what is under bot/ (the block goes on with bench/ and tests/); bot/ is a namespace
    # package, without an __init__.py.
    named = {p for p in named_in_readme(readme_layout())
             if p.startswith("bot/") and p != "bot/__init__.py"}
    present = {p.relative_to(ROOT).as_posix() for p in BOT.rglob("*.py")}
    assert not present - named, f"not in the README's layout: {sorted(present - named)}"
    assert not named - present, f"named in the README but absent: {sorted(named - present)}"

"""The import graph of bot/, read with `ast` (nothing is imported to read it): what each module
imports, and whether imports go round in a cycle."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BOT = ROOT / "bot"


def dotted(path: Path) -> str:
    """bot/adapters/discord/views.py -> bot.adapters.discord.views (a package: its name)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = BOT) -> dict[str, Path]:
    return {dotted(p): p for p in sorted(root.rglob("*.py"))}


def statements(source: str, package: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every import in a module of `package`, anywhere in its source (at the top, inside
    functions, under `if TYPE_CHECKING:`), relative ones resolved: `import a.b` as ("a.b", ()),
    `from x import y, z` as ("x", ("y", "z"))."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, tuple(alias.name for alias in node.names)


def imports(path: Path, known: Collection[str] | None = None) -> set[str]:
    """Absolute names of the modules `path` imports, relative imports resolved; those under
    `if TYPE_CHECKING:` count too (a cycle for the type checker is still one to a reader).
    `from . import x` and `from bot import store` import module x (store), not the package's
    __init__, when x is one of the `known` modules (by default, every module of bot/)."""
    known = set(modules()) if known is None else known
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    names: set[str] = set()
    for base, aliases in statements(path.read_text(encoding="utf-8"), package):
        submodules = {f"{base}.{alias}" for alias in aliases}
        names |= {name for name in submodules if name in known}
        if not aliases or not all(name in known for name in submodules):
            names.add(base)
    return names


def graph(root: Path = BOT) -> dict[str, set[str]]:
    """module -> the modules under `root` it imports."""
    found = modules(root)
    known = set(modules())
    return {name: imports(path, known) & found.keys() - {name} for name, path in found.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a path that comes back to its start), or None."""
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(edges.get(node, ())):
            found = walk(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(edges):
        found = walk(start, [])
        if found:
            return found
    return None

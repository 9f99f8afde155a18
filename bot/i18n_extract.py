"""The pybabel extractor named in babel.cfg (`bot.i18n_extract:extract`): Babel's Python
extractor for the marked strings (N_, NP_, t, n), plus each command's docstring, which is its
/help line and slash command description. Apart from bot/i18n.py because only pybabel loads it,
never the running bot."""

from __future__ import annotations

import ast
import io
from collections.abc import Iterable, Mapping
from typing import Any

from babel.messages.extract import extract_python


def extract(fileobj: Any, keywords: Mapping[str, Any], comment_tags: Iterable[str],
            options: dict[str, Any]):
    """Babel extraction method (babel.cfg): the marked strings, as Babel's Python extractor
    finds them, and each command's docstring (its /help line and slash description; the help
    lists them translated)."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                and d.func.attr == "command" for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc:
                yield node.body[0].lineno, None, doc.splitlines()[0], []

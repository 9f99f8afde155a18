"""Issue 11: a user-facing sentence in bot/ that is not wrapped for translation fails here.

The scan reads the AST of the handlers, forms, the dispatcher and the services that write to
people, and looks at what reaches a Reply: the arguments of Reply.of, the spans (Plain, Bold,
Italic, Link), button labels, and form titles, labels, prompts and choices. A string literal
with a letter in it there (or an f-string with words around its values) is English nobody can
translate: it must be an N_() constant said through ctx.t / tr.t instead."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = sorted([*(ROOT / "bot" / "handlers").glob("*.py"), ROOT / "bot" / "forms.py",
                  ROOT / "bot" / "dispatch.py", ROOT / "bot" / "announcement_runner.py",
                  ROOT / "bot" / "outbox.py", *(ROOT / "bot" / "adapters").rglob("*.py")])
# Calls whose arguments are shown to a person as they are.
SHOWN = {"of", "Plain", "Bold", "Italic", "Link", "Button", "Field", "Form", "Choice"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def shown_literals(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in SHOWN:
            continue
        if name == "of" and not (isinstance(func, ast.Attribute)
                                 and getattr(func.value, "id", "") == "Reply"):
            continue
        # Button(label, action, payload): only the label is shown; Field(name, label, prompt):
        # the name is a key; Choice(label, value): the value is a key; Link(text, url).
        shown_args = {"Button": node.args[:1], "Field": node.args[1:3],
                      "Choice": node.args[:1], "Link": node.args[:1],
                      "Form": node.args[1:2]}.get(name, node.args)
        shown_args = list(shown_args) + [k.value for k in node.keywords
                                         if k.arg in ("label", "prompt", "title", "text")]
        for arg in shown_args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if WORDS.search(arg.value):
                    found.append((arg.lineno, arg.value))
            elif isinstance(arg, ast.JoinedStr):
                words = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
                if WORDS.search(words):
                    found.append((arg.lineno, ast.unparse(arg)))
    return found


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_english_reaches_a_reply_unwrapped(path):
    found = shown_literals(ast.parse(path.read_text(encoding="utf-8")))
    assert found == [], f"{path.relative_to(ROOT)}: wrap these in N_() and say them via t(): "\
                        f"{found}"


def test_the_scan_sees_a_bare_sentence_and_an_f_string():
    source = ('Reply.of("Thank you!")\nButton(f"Going: {title}", "rsvp")\n'
              'Reply.of(ctx.t(THANKS), "\\n\\n")\nField("name", "Name", PROMPT)\n')
    assert [line for line, _ in shown_literals(ast.parse(source))] == [1, 2, 4]


def bare_sentences(tree: ast.Module) -> list[tuple[int, str]]:
    """Module-level constants (and tuples of them) holding a sentence, not wrapped in N_():
    the way an English reply hid before it was translated (`THANKS = "Thank you!"`)."""
    found = []
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        for value in values:
            if (isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and " " in value.value.strip() and WORDS.search(value.value)):
                found.append((value.lineno, value.value))
    return found


# Modules whose sentence constants are the platforms' own words, matched and never shown (the
# Telegram error texts that say a recipient is gone).
PLATFORM_WORDS = {ROOT / "bot" / "adapters" / "telegram" / "sending.py",
                  ROOT / "bot" / "adapters" / "telegram" / "chats.py"}


@pytest.mark.parametrize("path", sorted(set(SCANNED) - PLATFORM_WORDS),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_sentence_is_kept_in_a_constant_unwrapped(path):
    found = bare_sentences(ast.parse(path.read_text(encoding="utf-8")))
    assert found == [], f"{path.relative_to(ROOT)}: wrap these in N_(): {found}"


def test_the_scan_sees_a_constant_sentence_but_not_a_key_or_a_wrapped_one():
    source = ('THANKS = "Thank you, {name}!"\nACTION = "form"\n'
              'YES, NO = N_("Yes"), "No, keep it"\n'
              'DONE = N_("Thank you for taking action today!")\n')
    assert [line for line, _ in bare_sentences(ast.parse(source))] == [1, 3]

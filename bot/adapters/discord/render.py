"""Reply -> Discord message content and components, Form -> modal: pure functions, no network.

Discord rules that bite here (each one refused with 50035 "Invalid Form Body" if broken):
- content is at most 2000 characters: longer replies are split on paragraph, then line
  boundaries, and markup never spans two messages (each line carries its own `**`);
- at most 5 action rows of at most 5 buttons; a label is at most 80 characters, a custom_id at
  most 100 and unique within the message;
- a modal has a title of at most 45 characters and at most 5 text inputs, each labelled in at
  most 45 characters with a placeholder of at most 100.
User text is escaped here, because handlers never escape: markdown, `@everyone`/`@here`, and
`<@…>`/`<#…>`/`<t:…>` syntax all show as typed. The client's AllowedMentions.none() is the
second lock on the same door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Iterable, Sequence

from discord.utils import escape_markdown, escape_mentions

from ...core import Attachment, Bold, Button, Form, Italic, Link, Moment, Plain, Reply, Span
from ...text import ELLIPSIS, capitalized, shorten
from .capabilities import MAX_TEXT

CONTENT_LIMIT = MAX_TEXT
ROWS, PER_ROW, LABEL_LIMIT, CUSTOM_ID_LIMIT = 5, 5, 80, 100
TITLE_LIMIT, INPUT_LABEL_LIMIT, PLACEHOLDER_LIMIT, INPUT_VALUE_LIMIT = 45, 45, 100, 4000
PARAGRAPH_FROM = 200  # characters: a longer field gets a multi-line text box
STYLES = {"full": "F", "relative": "R", "date": "D"}
EMPTY = "\u200b"  # Discord refuses a message without content; this one shows as blank

# Discord markup the library's escape_markdown leaves alone: `<@id>`, `<#id>`, `<t:…>`,
# `</cmd:id>`, `<:emoji:id>` (a backslash shows them as typed) and numbered lists.
_ANGLE = re.compile(r"<(?=[@#/:]|a:|t:)")
_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)


@dataclass(frozen=True)
class ButtonSpec:
    label: str
    custom_id: str | None = None  # a core Button's data
    url: str | None = None


Rows = tuple[tuple[ButtonSpec, ...], ...]


@dataclass(frozen=True)
class Message:
    content: str
    rows: Rows = ()
    files: tuple[Attachment, ...] = ()  # uploaded with the message (discord.File)


@dataclass(frozen=True)
class InputSpec:
    custom_id: str  # the Field's name: submit_all gets {name: value}
    label: str
    placeholder: str
    required: bool
    max_length: int
    default: str | None
    paragraph: bool = False  # a multi-line box, for long answers (an announcement's text)


@dataclass(frozen=True)
class ModalSpec:
    custom_id: str
    title: str
    inputs: tuple[InputSpec, ...]


def escape(text: str) -> str:
    text = escape_markdown(text)
    text = escape_mentions(text)
    text = _ANGLE.sub(r"\\<", text)
    return _NUMBERED.sub(r"\1\\.", text)


def timestamp(moment: Moment) -> str:
    """Discord renders <t:UNIX:STYLE> in each viewer's own timezone and language."""
    unix = int(moment.at.timestamp())
    if moment.style == "full" and moment.until is not None:  # an event: start – end, then when
        end = int(moment.until.timestamp())
        return f"<t:{unix}:F> – <t:{end}:t> · <t:{unix}:R>"
    if moment.style == "full":
        # Full dates also say how far away they are ("in 6 days"), the way event bots show
        # them; the relative part keeps counting down in the client without a new message.
        return f"<t:{unix}:F> · <t:{unix}:R>"
    return f"<t:{unix}:{STYLES[moment.style]}>"


def _link_url(url: str) -> str:
    # A ')' or a space would end the masked link early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _merge(body: Iterable[Span]) -> list[Span]:
    """Adjacent spans of the same kind become one, so `**a****b**` never happens."""
    merged: list[Span] = []
    for kind, group in groupby(body, key=type):
        items = list(group)
        if kind in (Plain, Bold, Italic):
            merged.append(kind("".join(s.text for s in items)))  # type: ignore[call-arg]
        else:
            merged.extend(items)
    return merged


def _wrapped(text: str, marker: str) -> list[str]:
    """Bold/italic text, one self-contained piece per line, whitespace outside the markers
    (Discord does not render `** bold**`)."""
    pieces = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            pieces.append(line)
            continue
        lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()):]
        pieces.append(f"{lead}{marker}{escape(core)}{marker}{trail}")
    return pieces


def render_lines(body: Sequence[Span]) -> list[str]:
    """The body as lines of Discord markdown; no markup crosses a line break."""
    lines = [""]
    for span in _merge(body):
        if isinstance(span, Plain):
            pieces = [escape(line) for line in span.text.split("\n")]
        elif isinstance(span, Bold):
            pieces = _wrapped(span.text, "**")
        elif isinstance(span, Italic):
            pieces = _wrapped(span.text, "*")
        elif isinstance(span, Link):
            if span.text == span.url:
                pieces = [span.url]
            else:
                label = escape(span.text.replace("\n", " "))
                label = label.replace("[", "\\[").replace("]", "\\]")
                pieces = [f"[{label}]({_link_url(span.url)})"]
        else:
            pieces = [timestamp(span)]
        lines[-1] += pieces[0]
        lines.extend(pieces[1:])
    return lines


def _chop(line: str, limit: int) -> list[str]:
    """An over-long line in pieces of at most `limit`, cut at a space where there is one and
    never right after a backslash (which would escape the next message's first character).
    Markup inside such a line may break; only a single line over 2000 characters gets here."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        if cut <= 0:
            cut = limit
            while cut > 1 and line[cut - 1] == "\\":
                cut -= 1
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def split(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Text in chunks of at most `limit` characters, cut at a paragraph break (blank line) when
    one falls in the second half of a chunk, else at a line break."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(_chop(line, limit) if len(line) > limit else [line])
    chunks: list[str] = []
    current: list[str] = []
    for line in lines:
        while current and len("\n".join([*current, line])) > limit:
            blanks = [i for i, item in enumerate(current) if not item.strip()]
            cut = blanks[-1] if blanks else len(current)
            if cut < len(current) and len("\n".join(current[:cut])) < limit // 2:
                cut = len(current)
            chunks.append("\n".join(current[:cut]))
            current = current[cut + 1:] if cut < len(current) else []
        current.append(line)
    chunks.append("\n".join(current))
    chunks = [c.strip("\n").rstrip() for c in chunks]
    return [c for c in chunks if c.strip()] or [EMPTY]


def _label(text: str) -> str:
    return shorten(" ".join(text.split()) or ELLIPSIS, LABEL_LIMIT)


def button_spec(button: Button) -> ButtonSpec:
    if button.url is not None:
        return ButtonSpec(_label(button.label), url=button.url)
    data = button.data
    if len(data) > CUSTOM_ID_LIMIT:  # the core keeps data within 64 bytes; never send more
        raise ValueError(f"custom_id over {CUSTOM_ID_LIMIT} characters")
    return ButtonSpec(_label(button.label), custom_id=data)


def button_rows(rows: Iterable[Iterable[Button]]) -> list[Rows]:
    """The buttons as groups of at most 5 rows of at most 5, one group per message. The core's
    rows are kept where they fit; a long row wraps and short neighbours are joined, so /rsvp's
    five events plus "All of them" (six rows) still go in one message."""
    flat_rows: list[list[ButtonSpec]] = []
    seen: set[str] = set()
    for row in rows:
        specs = []
        for button in row:
            spec = button_spec(button)
            if spec.custom_id is not None:
                if spec.custom_id in seen:  # Discord refuses duplicate custom_ids
                    continue
                seen.add(spec.custom_id)
            specs.append(spec)
        for start in range(0, len(specs), PER_ROW):
            flat_rows.append(specs[start:start + PER_ROW])
    while len(flat_rows) > ROWS:
        sizes = [len(a) + len(b) for a, b in zip(flat_rows, flat_rows[1:])]
        best = min(range(len(sizes)), key=lambda i: sizes[i])
        if sizes[best] > PER_ROW:
            break
        flat_rows[best:best + 2] = [flat_rows[best] + flat_rows[best + 1]]
    groups = [tuple(tuple(r) for r in flat_rows[i:i + ROWS])
              for i in range(0, len(flat_rows), ROWS)]
    return groups or [()]


def measure(reply: Reply) -> int:
    """The reply's length as Discord counts it (characters of the escaped content), before any
    splitting: what an announcement must fit in 2000 to arrive as one message."""
    return len("\n".join(render_lines(reply.body)).strip("\n").rstrip())


def render_reply(reply: Reply, extra: Sequence[Sequence[Button]] = ()) -> list[Message]:
    """One Reply as one or more messages; the buttons go under the last piece of text, and
    the files with it (Discord shows them above the buttons)."""
    chunks = split("\n".join(render_lines(reply.body)))
    groups = button_rows([*reply.buttons, *extra])
    messages = [Message(chunk) for chunk in chunks[:-1]]
    messages.append(Message(chunks[-1], groups[0], reply.attachments))
    messages += [Message(EMPTY, group) for group in groups[1:]]
    return messages


def modal_spec(form: Form, custom_id: str, values: dict[str, str] | None = None) -> ModalSpec:
    """The form's text fields as a modal (choices are asked afterwards, as buttons). `values`
    refills what the person typed when the modal reopens after a validation problem."""
    values = values or {}
    inputs = []
    for field in form.fields:
        if field.kind != "text":
            continue
        limit = max(1, min(field.max_length, INPUT_VALUE_LIMIT))
        default = values.get(field.name) or field.default
        inputs.append(InputSpec(
            custom_id=field.name,
            label=shorten(field.label, INPUT_LABEL_LIMIT),
            placeholder=shorten(" ".join(field.prompt.split()), PLACEHOLDER_LIMIT),
            required=field.required,
            max_length=limit,
            default=default[:limit] if default else None,
            paragraph=field.max_length > PARAGRAPH_FROM,
        ))
    return ModalSpec(custom_id, shorten(capitalized(form.title), TITLE_LIMIT), tuple(inputs[:5]))

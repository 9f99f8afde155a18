"""Reply -> Telegram messages: HTML text (parse_mode HTML) and inline keyboards. Pure: no I/O.

Every string is escaped with html.escape, because names, event titles and config text can hold
'<' or '&' and Telegram refuses malformed HTML outright (the whole message fails, not just the
span). Text over 4096 characters is split on paragraph, then line, then word boundaries (a hard
cut only as a last resort). The split is made on the visible text and each part is rendered
from its own spans, so a cut can never land inside a tag or an entity.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ...core import Attachment, Bold, Button, Italic, Link, Moment, Reply, Span
from .capabilities import MAX_CAPTION, MAX_TEXT  # counted in UTF-16 code units

# Preferred cut points, best first: between paragraphs, between lines, between words.
BOUNDARIES = ("\n\n", "\n", " ")

Chunk = tuple[str, InlineKeyboardMarkup | None]
# One message: its HTML text (a caption, for a file: maybe ""), its keyboard, its file if any.
Part = tuple[str, InlineKeyboardMarkup | None, Attachment | None]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def visible(span: Span) -> str:
    """The text a span shows once Telegram has parsed the HTML."""
    return span.fallback if isinstance(span, Moment) else span.text


def span_html(span: Span, text: str | None = None) -> str:
    """One span (or a piece of it, `text`) as Telegram HTML."""
    body = html.escape(visible(span) if text is None else text, quote=False)
    if isinstance(span, Bold):
        return f"<b>{body}</b>" if body else ""
    if isinstance(span, Italic):
        return f"<i>{body}</i>" if body else ""
    if isinstance(span, Link):
        return f'<a href="{html.escape(span.url, quote=True)}">{body}</a>' if body else ""
    return body  # Plain, Moment (Telegram has no timestamp entity: the fallback text)


@lru_cache(maxsize=2048)
def whole_span_html(span: Span) -> str:
    """span_html of a whole span, remembered: most of a reply's spans (an event's title, time
    and place; a form's question) come again on every press, and escaping them each time was
    a good part of rendering the event list (issue 15)."""
    return span_html(span)


@lru_cache(maxsize=512)
def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard; the data was checked against the 64-byte limit when the
    Button was built, and empty rows are dropped (a form question may have no buttons).
    Cached: the same few keyboards (RSVP lists, form questions) are sent again and again, PTB's
    objects are immutable, and building them is a good part of rendering a reply."""
    built = [
        [InlineKeyboardButton(b.label, url=b.url) if b.url is not None
         else InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
        for row in rows
    ]
    built = [row for row in built if row]
    return InlineKeyboardMarkup(built) if built else None


def cut_points(text: str, limit: int = MAX_TEXT) -> list[tuple[int, int]]:
    """(start, end) ranges of `text`, each at most `limit` UTF-16 units, cut at the best
    boundary available. The separator at a cut is dropped: Telegram would trim it anyway."""
    ranges: list[tuple[int, int]] = []
    start, size = 0, len(text)
    while start < size:
        end = min(size, start + limit)
        while (over := utf16_len(text[start:end]) - limit) > 0:
            end -= (over + 1) // 2  # each character is one or two units
        if end == size:
            ranges.append((start, end))
            break
        for boundary in BOUNDARIES:
            at = text.rfind(boundary, start, end)
            if at > start:
                ranges.append((start, at))
                start = at + len(boundary)
                break
        else:  # one word longer than a message: cut it
            ranges.append((start, end))
            start = end
    return ranges


@dataclass(frozen=True)
class _Piece:
    span: Span
    start: int  # offsets of this span's visible text in the whole message
    end: int


def render(reply: Reply, limit: int = MAX_TEXT) -> list[Chunk]:
    """The messages that show `reply`: [(html, keyboard)], the keyboard on the last one.
    An empty reply gives no message (Telegram refuses empty text)."""
    pieces, offset = [], 0
    for span in reply.body:
        length = len(visible(span))
        pieces.append(_Piece(span, offset, offset + length))
        offset += length
    text = "".join(visible(p.span) for p in pieces)
    cuts = cut_points(text, limit)
    if len(cuts) == 1 and cuts[0] == (0, len(text)) and text.strip():  # one message: whole spans
        return [("".join(whole_span_html(s) for s in reply.body), keyboard(reply.buttons))]
    parts = []
    for start, end in cuts:
        if not text[start:end].strip():
            continue  # whitespace only: Telegram says "message text is empty"
        fragments = []
        for piece in pieces:
            lo, hi = max(start, piece.start), min(end, piece.end)
            if lo < hi:
                fragments.append(span_html(piece.span, text[lo:hi]))
        parts.append("".join(fragments))
    if not parts:
        return []
    markup = keyboard(reply.buttons)
    return [(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def render_parts(reply: Reply) -> list[Part]:
    """The messages that show `reply` with its files: one message per file (sendPhoto or
    sendDocument), the text as the first file's caption when it fits one, else as messages of
    its own before the files; the keyboard on the last message, whichever it is."""
    if not reply.attachments:
        return [(text, markup, None) for text, markup in render(reply)]
    caption = render(reply, MAX_CAPTION)
    texts: list[str] = []
    if len(caption) > 1:  # too long for a caption: the text goes first, on its own
        texts = [text for text, _ in render(reply)]
        caption = []
    parts: list[Part] = [(text, None, None) for text in texts]
    for index, attachment in enumerate(reply.attachments):
        parts.append((caption[0][0] if caption and index == 0 else "", None, attachment))
    markup = keyboard(reply.buttons)
    parts[-1] = (parts[-1][0], markup, parts[-1][2])
    return parts


def plain(spans: tuple[Span, ...]) -> str:
    """The visible text of some spans, for places that take no HTML (callback query alerts)."""
    return "".join(visible(s) for s in spans)


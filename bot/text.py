"""Small text helpers written once: everything that cuts, checks or capitalises a string for
more than one module. Neutral: it imports nothing of the bot, so any layer may use it."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` as it is when it fits in `limit` characters, else cut so that it fits with the
    ellipsis added (a button label, a slash command's description)."""
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis


def is_ascii_digits(text: str) -> bool:
    """Plain 0-9 only, at least one. str.isdigit() accepts "²" and "٤", which int() rejects or
    reads as another number: ids and indexes that come from a client are checked with this."""
    return text.isascii() and text.isdecimal()


def capitalized(text: str) -> str:
    """The first letter raised, the rest as written ("RSVP list" stays as it is, where
    str.capitalize() would lower it to "Rsvp list")."""
    return text[:1].upper() + text[1:]


def merged(parts: list) -> list:
    """Neighbouring plain strings joined into one, empty strings dropped: a reply's parts in
    fewer spans (every span costs an adapter's renderer work on every send)."""
    out: list = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return out

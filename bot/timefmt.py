"""How dates and times read in replies (the console and Telegram show these; Discord shows its
own localised timestamps and uses these as the fallback), in a configured language: "Thu 10 Jun
2027" / "jue, 10 jun 2027". Babel does the work (bot/i18n.py Translator, where handlers reach
the same functions as `ctx.tr.day(...)`); English, the default, reads as it always has."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .i18n import DEFAULT, translator


def day(d: date, locale: str = DEFAULT) -> str:
    return translator(locale).day(d)


def moment(at: datetime, zone: ZoneInfo, locale: str = DEFAULT) -> str:
    return translator(locale).moment(at, zone)


def span(start: datetime, end: datetime, zone: ZoneInfo, locale: str = DEFAULT) -> str:
    return translator(locale).span(start, end, zone)


def duration(delta: timedelta, locale: str = DEFAULT) -> str:
    """'12 days and 3 hours', rounded down to the hour; under an hour says so."""
    return translator(locale).duration(delta)


def plural(count: int, word: str, words: str | None = None) -> str:
    """English only, for what is not translated yet: translated text uses ctx.n (real plural
    rules) instead."""
    return f"{count} {word if count == 1 else (words or word + 's')}"

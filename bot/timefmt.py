"""How dates and times read in replies (the console and Telegram show these; Discord shows its
own localised timestamps and uses these as the fallback)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def moment(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{day(local.date())}, {local:%H:%M} {local.tzname()}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    if a.date() == b.date():
        return f"{day(a.date())}, {a:%H:%M}–{b:%H:%M} {b.tzname()}"
    return f"{moment(start, zone)} – {moment(end, zone)}"


def duration(delta: timedelta) -> str:
    """'12 days and 3 hours', rounded down to the hour; under an hour says so."""
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours or days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " and ".join(parts) if parts else "less than an hour"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"

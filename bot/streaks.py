"""Streaks: runs of consecutive calendar days with a daily action done.

Pure date arithmetic, so it is tested without a database. The days are the person's LOCAL dates
(the date a prompt was for, or /today's in their zone when they pressed Done), and "today" is
today's date in their zone now: a streak counts calendar dates, never 24-hour spans, so a
23-hour day at the start of daylight saving time, or a move to another timezone, neither breaks
nor stretches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# The streak lengths a Done press is congratulated on, once each time the streak reaches them.
MILESTONES = (3, 7, 14)


@dataclass(frozen=True)
class Streak:
    current: int  # the run that ends today or yesterday (still alive); 0 once a day is missed
    best: int  # the longest run ever, the current one included


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def runs(days: Iterable[date]) -> list[tuple[date, int]]:
    """The runs of consecutive dates as (last day, length), oldest first; repeats ignored."""
    found: list[tuple[date, int]] = []
    for day in sorted(set(days)):
        if found and found[-1][0] + timedelta(days=1) == day:
            found[-1] = (day, found[-1][1] + 1)
        else:
            found.append((day, 1))
    return found


def streak(days: Iterable[date], today: date) -> Streak:
    """`days`: the local dates with an action done; `today`: the person's local date now. The
    current run stays alive through today: until the day is over, not doing it yet is not a
    miss. A day marked ahead of today (a prompt pressed just before midnight elsewhere) counts
    once today reaches it."""
    found = runs(days)
    best = max((length for _, length in found), default=0)
    current = 0
    for last, length in found:
        if last > today:  # a run reaching past today: counted up to today only
            length -= (last - today).days
            last = today
        if today - timedelta(days=1) <= last <= today and length > 0:
            current = length
    return Streak(current, best)


def reached(before: Streak, after: Streak) -> int | None:
    """The milestone a press just reached: the current streak grew to exactly one of them."""
    if after.current > before.current and after.current in MILESTONES:
        return after.current
    return None

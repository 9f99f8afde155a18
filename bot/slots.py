"""When a daily prompt is owed: pure time arithmetic shared by the scheduler (which plans) and
the handlers (which tell the person what was planned), so the two can never disagree.

No I/O here, and nothing of the rest of the bot but validation's HH:MM pattern (the one config
checks): handlers and the scheduler both use it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .validation import is_hhmm

log = logging.getLogger(__name__)


def send_moment(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """HH:MM local on `day`. In a spring-forward gap zoneinfo gives the moment just after it;
    on a fall-back day, the first of the two: each local date has exactly one moment, so a DST
    change neither skips nor doubles a day."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def last_send(at_or_before: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The latest HH:MM local at or before the given moment."""
    today = at_or_before.astimezone(zone).date()
    moment = send_moment(today, hhmm, zone)
    return moment if moment <= at_or_before else send_moment(today - timedelta(days=1), hhmm, zone)


def next_send(after: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The first HH:MM local strictly after `after`."""
    start = after.astimezone(zone).date()
    for offset in range(3):
        moment = send_moment(start + timedelta(days=offset), hhmm, zone)
        if moment > after:
            return moment
    raise AssertionError("unreachable: a day always has an HH:MM")


def plan_next(now: datetime, hhmm: str, zone: ZoneInfo, *, after: datetime,
              done_through: date | None) -> datetime:
    """The moment the next daily prompt is due, for a subscription (re)planned at `now`.

    - `after`: prompts are owed only for slots at or after this moment (when the person
      subscribed or resumed). Subscribing at 08:59:30 for 09:00 owes today's. Once the first
      owed day is known the scheduler records it in `done_through` and passes the distant past.
    - `done_through`: the local date of the last prompt (the date whose action it showed). A
      prompt is owed only for a later date, wherever the person now is: moving from Tokyo to
      Los Angeles never brings, an hour later, the action of a day they have already passed.
    - Never a day before today (local). If today's slot has already passed (the time was moved
      earlier, or to a zone where it is later) while today's prompt is still owed, it is due
      now: today's goes out at the next minute rather than being silently dropped.
    """
    first = max(after.astimezone(zone).date(), now.astimezone(zone).date())
    if done_through is not None:
        first = max(first, done_through + timedelta(days=1))
    for offset in range(4):
        moment = send_moment(first + timedelta(days=offset), hhmm, zone)
        if moment >= after:
            return max(moment, now)  # only today's slot can already have passed
    raise AssertionError("unreachable: a day always has an HH:MM")


def zone_or(name: str | None, fallback: ZoneInfo, row: str = "") -> ZoneInfo:
    """The named zone, or `fallback` when there is none or this machine cannot load it (a name
    accepted on a host with system zone files, then run where only tzdata exists). `row` names
    the database row for the log: never the person."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, unreadable
        pass
    if row:
        log.warning("%s: its stored timezone cannot be loaded here; using the campaign's", row)
    return fallback


def time_or(hhmm: str | None, fallback: str, row: str = "") -> str:
    """The stored HH:MM, or `fallback` when there is none or it is malformed."""
    if not hhmm:
        return fallback
    if is_hhmm(hhmm):
        return hhmm
    if row:
        log.warning("%s: its stored send time is malformed; using the campaign's", row)
    return fallback

"""Calendar invites: an iCalendar file (.ics) for one event or several, and the Google Calendar
link for one, in the person's language.

The file is built with icalendar, never by hand: its escaping, line folding and VTIMEZONE
rules are exactly where hand-written calendars break. Times carry the campaign's timezone
(TZID plus the VTIMEZONE that defines it), so a calendar shows the event at the right moment
wherever the person is, and across a DST change between now and the event.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from urllib.parse import urlencode

from icalendar import Alarm, Calendar, Timezone
from icalendar import Event as VEvent

from .config import Config, Event
from .i18n import N_, Translator
from .text import shorten

MEDIA_TYPE = "text/calendar"
# The product that made the file (RFC 5545 3.7.3): the bot, whatever campaign it runs.
PRODID = "-//campaign-bot//Calendar invite//EN"
ALARM_BEFORE = timedelta(hours=1)
GOOGLE = "https://calendar.google.com/calendar/render"
# Discord refuses a link button whose URL is over 512 characters, and a long description,
# percent-encoded (an accented letter is 6 characters), gets there: the details are cut first.
GOOGLE_URL_LIMIT = 512
FILENAME_LENGTH = 40  # characters of a title in a file name, before ".ics"
# Google's `dates`: both ends in UTC, so no timezone parameter can be misread.
GOOGLE_TIME = "%Y%m%dT%H%M%SZ"

# An online event's link, in its description: many calendar apps never show the URL property.
JOIN_ONLINE_AT = N_("Join online: {url}")
# What the reminder an hour before says; {title}: the event's title.
STARTS_SOON = N_("In an hour: {title}")


def event_uid(config: Config, event: Event) -> str:
    """The event's UID: the same from every process and after every restart (a name-based
    UUID of the campaign and the event id), so importing the file again updates the event in
    the person's calendar instead of adding a copy."""
    campaign = f"{config.campaign.website}#{config.campaign.name}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{campaign}/events/{event.id}"))


def invite(config: Config, events: Sequence[Event], tr: Translator, now: datetime) -> bytes:
    """The .ics file: one VCALENDAR (METHOD:PUBLISH, a copy for the person's own calendar, not
    a meeting request) holding one VEVENT per event, in `tr`'s language. `now`: DTSTAMP."""
    if not events:
        raise ValueError("an invite needs at least one event")
    ids = ",".join(e.id for e in events)
    calendar = Calendar.new(
        prodid=PRODID, method="PUBLISH",
        # icalendar gives a calendar a random UID when it is given none.
        uid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{config.campaign.website}#calendar/{ids}")))
    calendar.add_component(_vtimezone(config.campaign.timezone, *_years(config, events)))
    for event in events:
        calendar.add_component(_vevent(config, event, tr, now))
    return calendar.to_ical()


def _vevent(config: Config, event: Event, tr: Translator, now: datetime) -> VEvent:
    zone = config.zone
    title = tr.text(event.title)
    vevent = VEvent.new(
        uid=event_uid(config, event),
        stamp=now.astimezone(UTC),
        start=event.starts_at.astimezone(zone),
        end=event.ends_at.astimezone(zone),
        summary=title,
        description=details(event, tr) or title,
        location=tr.text(event.location) or None,
        url=event.url or None,
    )
    alarm = Alarm.new(description=tr.t(STARTS_SOON, title=title))
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    vevent.add_component(alarm)
    return vevent


def _years(config: Config, events: Sequence[Event]) -> tuple[date, date]:
    """The span the VTIMEZONE covers: whole years around the events (a zone's transitions
    since 1970 would make every file several kB bigger, and slower to build). Years in the
    zone itself: 1 January 01:00 UTC is still 31 December in New York."""
    first = min(e.starts_at for e in events).astimezone(config.zone).year
    last = max(e.ends_at for e in events).astimezone(config.zone).year
    return date(first, 1, 1), date(last + 1, 1, 1)


@cache
def _vtimezone(name: str, first: date, last: date) -> Timezone:
    # Computing a zone's transitions takes milliseconds: once per zone and span per process.
    # The component is only ever read (serialised) after this, so calendars may share it.
    return Timezone.from_tzid(name, first_date=first, last_date=last)


def details(event: Event, tr: Translator) -> str:
    """The event's description, then its online link, in `tr`'s language ("" if neither)."""
    parts = [tr.text(event.description)] if event.description else []
    if event.url:
        parts.append(tr.t(JOIN_ONLINE_AT, url=str(event.url)))
    return "\n\n".join(parts)


def google_link(event: Event, tr: Translator) -> str:
    """The "add to Google Calendar" page for one event, filled in. The place is the event's
    location, or for an online event its link (Google shows the place as a link).
    Remembered per event and wording: every RSVP confirmation carries it (issue 15)."""
    fields = (
        ("text", tr.text(event.title)),
        ("dates", "/".join(t.astimezone(UTC).strftime(GOOGLE_TIME)
                           for t in (event.starts_at, event.ends_at))),
        ("details", details(event, tr)),
        ("location", tr.text(event.location) or str(event.url or "")),
    )
    return _fitted(fields)


@lru_cache(maxsize=256)
def _fitted(filled: tuple[tuple[str, str], ...]) -> str:
    fields = dict(filled)
    # The least needed text is cut first, each only as far as the link must shrink.
    for key in ("details", "location", "text"):
        while len(link := _google(fields)) > GOOGLE_URL_LIMIT and fields[key]:
            over = len(link) - GOOGLE_URL_LIMIT
            keep = len(fields[key]) - max(over // 3, 1)
            fields[key] = shorten(fields[key], keep) if keep > 1 else ""
    return _google(fields)


def _google(fields: dict[str, str]) -> str:
    query = {"action": "TEMPLATE", **{k: v for k, v in fields.items() if v}}
    return f"{GOOGLE}?{urlencode(query)}"


def filename(text: str, fallback: str) -> str:
    """A file name from a title ("Kick-off call: why…" -> "kick-off-call-why….ics"): plain
    ASCII letters, digits and dashes, which every platform's upload and every phone keeps;
    `fallback` when nothing of the title is left (a title in another script)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:FILENAME_LENGTH].rstrip("-")
    return f"{slug or fallback}.ics"

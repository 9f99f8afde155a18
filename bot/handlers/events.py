"""/rsvp: the Week of Action events, who is coming, and your own RSVPs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..config import Event
from ..core import Bold, Button, Link, Moment, Reply
from ..routing import STALE, Context, Router
from ..text import shorten
from ..timefmt import day, span

router = Router()

TITLE_IN_LABEL = 28  # characters of an event's title on its button

HEADING = "Week of Action"
NO_EVENTS = "There are no events planned right now."
COMING = "{count} coming"
YOU_GO = " · you're going ✓"
OVER = " · this event is over"
GOING_LABEL = "Going: {title}"
CANCEL_LABEL = "Cancel: {title}"
ALL_LABEL = "All of them"
YOURS = "\n\nYou're signed up for {count} of {total}. Press an event again to cancel."
NONE_YET = "\n\nChoose the events you'll join:"
IS_OVER = "That event is already over."
REMINDER_DAY_BEFORE = "Reminder: tomorrow you're going to "
REMINDER_MORNING = "Today: "
REMINDER_ON = "Reminder: on {date} you're going to "
STILL_COMING, CANT_MAKE_IT = "Still coming", "Can't make it"
SEE_YOU = "Great, see you there!"
SORRY = "Thanks for letting us know: we've taken you off {title}. /rsvp to change your mind."
JOINED = "You're going to {title}. See you there!"
LEFT = "You're no longer down for {title}."
JOINED_ALL = "You're going to every upcoming event of the Week of Action. Thank you!"
ALREADY_ALL = "You were already going to every upcoming event."


def when(event: Event, zone) -> Moment:
    return Moment(event.starts_at, span(event.starts_at, event.ends_at, zone),
                  until=event.ends_at)


def _upcoming(ctx: Context) -> list[Event]:
    return [e for e in ctx.config.events if e.ends_at > ctx.now]


async def event_list(ctx: Context, note: str | None = None) -> Reply:
    events = ctx.config.events
    if not events:
        return Reply.of(NO_EVENTS)
    zone = ctx.config.zone
    # In a group, the list shows the counts only: who is going is nobody else's business.
    in_group = not ctx.incoming.chat.is_direct
    mine = set() if in_group else await ctx.store.rsvps_of(ctx.user.platform, ctx.user.id)
    counts = await ctx.store.rsvp_counts()
    parts: list = [note + "\n\n"] if note else []
    parts.append(Bold(HEADING))
    buttons = []
    for event in events:
        over = event.ends_at <= ctx.now
        parts += ["\n\n", Bold(event.title), "\n", when(event, zone), "\n"]
        if event.url:
            parts.append(Link("Join online", event.url))
        if event.location:
            parts.append(("\n" if event.url else "") + event.location)
        if event.description:
            parts.append("\n" + event.description)
        status = COMING.format(count=counts.get(event.id, 0))
        status += OVER if over else (YOU_GO if event.id in mine else "")
        parts.append(f"\n{status}")
        if not over:
            # The button says what it does, so an old "Going" button can never cancel.
            title = shorten(event.title, TITLE_IN_LABEL)
            if event.id in mine:
                button = Button(CANCEL_LABEL.format(title=title), "rsvp", (event.id, "no"))
            else:
                button = Button(GOING_LABEL.format(title=title), "rsvp", (event.id,))
            buttons.append([button])
    if in_group:
        link = ctx.bot.go_private(ctx.user.platform, "rsvp")
        return Reply.of(*parts, "\n\n", *link.body, buttons=link.buttons)
    upcoming = _upcoming(ctx)
    if any(e.id not in mine for e in upcoming) and len(upcoming) > 1:
        buttons.append([Button(ALL_LABEL, "rsvp", ("all",))])
    going = len(mine & {e.id for e in events})
    parts.append(YOURS.format(count=going, total=len(events)) if going else NONE_YET)
    # Private: it says which events this person is going to (ephemeral on Discord).
    return Reply.of(*parts, buttons=buttons, private=True)


@router.command("rsvp", deep_link_safe=True)
async def rsvp(ctx: Context):
    """RSVP for the Week of Action events (and see yours)."""
    return await event_list(ctx)


@router.action("rsvp")
async def rsvp_pressed(ctx: Context):
    # The payload is client-controlled: only a configured, upcoming event id changes anything.
    user, payload = ctx.user, ctx.incoming.payload
    if payload == ("all",):
        mine = await ctx.store.rsvps_of(user.platform, user.id)
        wanted = {e.id for e in _upcoming(ctx)} - mine
        if wanted:
            await ctx.store.set_rsvps(user.platform, user.id, wanted, set(), ctx.now)
        return await event_list(ctx, JOINED_ALL if wanted else ALREADY_ALL)
    going = payload[1:] != ("no",)
    valid = len(payload) in (1, 2) and payload[1:] in ((), ("no",))
    event = ctx.config.event(payload[0]) if valid else None
    if event is None:
        return Reply.of(STALE, private=True)
    if event.ends_at <= ctx.now:
        return Reply.of(IS_OVER, private=True)
    if going:
        await ctx.store.set_rsvps(user.platform, user.id, {event.id}, set(), ctx.now)
        note = JOINED.format(title=event.title)
    else:
        await ctx.store.set_rsvps(user.platform, user.id, set(), {event.id}, ctx.now)
        note = LEFT.format(title=event.title)
    return await event_list(ctx, note)


def reminder_reply(config, event: Event, kind: str, now: datetime, zone: ZoneInfo) -> Reply:
    """The day-before reminder asks to confirm; the morning one gives the time and place.
    Rendered when sent, for one recipient: "today" and "tomorrow" only where they are true in
    the recipient's zone (21:00 in Tokyo is not the morning of a 19:00 New York event); anywhere
    else the reminder names the date."""
    starts = event.starts_at.astimezone(zone).date()
    days = (starts - now.astimezone(zone).date()).days
    if days == 0:
        heading = REMINDER_MORNING
    elif days == 1 and kind == "day_before":
        heading = REMINDER_DAY_BEFORE
    else:
        heading = REMINDER_ON.format(date=day(starts))
    parts: list = [heading, Bold(event.title), "\n", when(event, zone)]
    if event.url:
        parts += ["\n", Link("Join online", event.url)]
    if event.location:
        parts.append("\n" + event.location)
    buttons = []
    if kind == "day_before":
        buttons = [[Button(STILL_COMING, "rsvpr", (event.id, "yes")),
                    Button(CANT_MAKE_IT, "rsvpr", (event.id, "no"))]]
    return Reply.of(*parts, buttons=buttons)


@router.action("rsvpr")
async def reminder_pressed(ctx: Context):
    user, payload = ctx.user, ctx.incoming.payload
    event = ctx.config.event(payload[0]) if len(payload) == 2 else None
    if event is None or payload[1] not in ("yes", "no"):
        return Reply.of(STALE, private=True)
    if event.ends_at <= ctx.now:
        return Reply.of(IS_OVER, private=True)
    if payload[1] == "yes":  # also puts back someone who had cancelled in between
        await ctx.store.set_rsvps(user.platform, user.id, {event.id}, set(), ctx.now)
        return Reply.of(SEE_YOU, private=True)
    await ctx.store.set_rsvps(user.platform, user.id, set(), {event.id}, ctx.now)
    return Reply.of(SORRY.format(title=event.title), private=True)

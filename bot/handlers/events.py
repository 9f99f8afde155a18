"""/rsvp: the Week of Action events, who is coming, and your own RSVPs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..config import Event
from ..core import Bold, Button, Link, Moment, Reply
from ..i18n import N_, NP_, Translator, negotiate, translator
from ..routing import STALE, Context, Router
from ..text import merged, shorten
from .calendar import add_buttons, add_mine_button

router = Router()

TITLE_IN_LABEL = 28  # characters of an event's title on its button
# The last payload part of a Going button shown anywhere but the event list (/progress): the
# press answers with the list as a new message, instead of replacing the message it sat on.
ELSEWHERE = "new"

HEADING = N_("Week of Action")
NO_EVENTS = N_("There are no events planned right now.")
JOIN_ONLINE = N_("Join online")
# An event's status line: its count, then " · " and what it means for you.
COMING = NP_("{count} coming", "{count} coming")
YOU_GO = N_("you're going ✓")
OVER = N_("this event is over")
GOING_LABEL = N_("Going: {title}")
CANCEL_LABEL = N_("Cancel: {title}")
ALL_LABEL = N_("All of them")
YOURS = N_("You're signed up for {count} of {total}. Press an event again to cancel.")
NONE_YET = N_("Choose the events you'll join:")
IS_OVER = N_("That event is already over.")
# {title}: the event's title, in bold.
REMINDER_DAY_BEFORE = N_("Reminder: tomorrow you're going to {title}")
REMINDER_MORNING = N_("Today: {title}")
REMINDER_ON = N_("Reminder: on {date} you're going to {title}")
STILL_COMING, CANT_MAKE_IT = N_("Still coming"), N_("Can't make it")
SEE_YOU = N_("Great, see you there!")
SORRY = N_("Thanks for letting us know: we've taken you off {title}. /rsvp to change your mind.")
JOINED = N_("You're going to {title}. See you there!")
LEFT = N_("You're no longer down for {title}.")
JOINED_ALL = N_("You're going to every upcoming event of the Week of Action. Thank you!")
ALREADY_ALL = N_("You were already going to every upcoming event.")


def when(event: Event, zone, tr: Translator) -> Moment:
    return Moment(event.starts_at, tr.span(event.starts_at, event.ends_at, zone),
                  until=event.ends_at)


# An event's lines, its Going and Cancel buttons, and the calendar row of its confirmation.
Block = tuple[tuple, Button, Button, tuple[Button, ...]]


def _event_block(event: Event, zone, tr: Translator) -> Block:
    """What never changes between presses, per event and language: its lines (title, time,
    place, description), its two buttons and its confirmation's calendar row (the Google
    link takes a while to fit). Built once, not on every press (issue 15): the
    same spans then render from the adapter's cache too. Keyed by the (frozen) event and by
    its words in this language (config Text compares by its default-language string alone,
    so an edited translation must be part of the key), so an edited config builds afresh."""
    words = tuple(tr.text(t) for t in (event.title, event.location, event.description) if t)
    return _built_block(event, zone, tr, words)


@lru_cache(maxsize=256)
def _built_block(event: Event, zone, tr: Translator, words: tuple) -> Block:
    parts: list = ["\n\n", Bold(tr.text(event.title)), "\n", when(event, zone, tr), "\n"]
    if event.url:
        parts.append(Link(tr.t(JOIN_ONLINE), event.url))
    if event.location:
        parts.append(("\n" if event.url else "") + tr.text(event.location))
    if event.description:
        parts.append("\n" + tr.text(event.description))
    # The button says what it does, so an old "Going" button can never cancel.
    title = shorten(tr.text(event.title), TITLE_IN_LABEL)
    return (tuple(parts), Button(tr.t(GOING_LABEL, title=title), "rsvp", (event.id,)),
            Button(tr.t(CANCEL_LABEL, title=title), "rsvp", (event.id, "no")),
            tuple(add_buttons(event, tr)))


def _upcoming(ctx: Context) -> list[Event]:
    return [e for e in ctx.config.events if e.ends_at > ctx.now]


async def event_list(ctx: Context, note: str | None = None,
                     joined: Event | None = None) -> Reply:
    """`joined`: the event the person just said they're going to (its "Add to calendar")."""
    events = ctx.config.events
    if not events:
        return Reply.of(ctx.t(NO_EVENTS))
    zone = ctx.config.zone
    # In a group, the list shows the counts only: who is going is nobody else's business.
    in_group = not ctx.incoming.chat.is_direct
    mine, counts = await ctx.store.rsvp_view(ctx.user.platform, ctx.user.id)  # one read
    if in_group:
        mine = set()
    parts: list = [note + "\n\n"] if note else []
    parts.append(Bold(ctx.t(HEADING)))
    buttons = []
    for event in events:
        over = event.ends_at <= ctx.now
        lines, going_button, cancel_button, _ = _event_block(event, zone, ctx.tr)
        parts += lines
        status = [ctx.n(*COMING, counts.get(event.id, 0))]
        if over or event.id in mine:
            status.append(ctx.t(OVER if over else YOU_GO))
        parts.append("\n" + " · ".join(status))
        if not over:
            buttons.append([cancel_button if event.id in mine else going_button])
    if in_group:
        link = ctx.bot.go_private(ctx.user.platform, "rsvp", ctx.tr)
        return Reply.of(*merged(parts), "\n\n", *link.body, buttons=link.buttons)
    upcoming = _upcoming(ctx)
    if any(e.id not in mine for e in upcoming) and len(upcoming) > 1:
        buttons.append([Button(ctx.t(ALL_LABEL), "rsvp", ("all",))])
    if joined is not None:
        buttons.append(list(_event_block(joined, zone, ctx.tr)[3]))
    if any(e.id in mine for e in upcoming):
        buttons.append([add_mine_button(ctx)])
    going = len(mine & {e.id for e in events})
    parts.append("\n\n" + (ctx.t(YOURS, count=ctx.tr.number(going),
                                  total=ctx.tr.number(len(events))) if going
                            else ctx.t(NONE_YET)))
    # Private: it says which events this person is going to (ephemeral on Discord).
    return Reply.of(*merged(parts), buttons=buttons, private=True)


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
            await ctx.store.set_rsvps(user.platform, user.id, wanted, set(), ctx.now,
                                      language=app_language(ctx))
        # The same list, re-rendered: it replaces the pressed one (Reply.edit).
        return replace(await event_list(ctx, ctx.t(JOINED_ALL if wanted else ALREADY_ALL)),
                       edit=True)
    elsewhere = payload[1:] == (ELSEWHERE,)
    going = payload[1:] != ("no",)
    valid = len(payload) in (1, 2) and payload[1:] in ((), ("no",), (ELSEWHERE,))
    event = ctx.config.event(payload[0]) if valid else None
    if event is None:
        return Reply.of(ctx.t(STALE), private=True)
    if event.ends_at <= ctx.now:
        return Reply.of(ctx.t(IS_OVER), private=True)
    joined = event if going else None
    if going:
        await ctx.store.set_rsvps(user.platform, user.id, {event.id}, set(), ctx.now,
                                  language=app_language(ctx))
        note = ctx.t(JOINED, title=ctx.text(event.title))
    else:
        await ctx.store.set_rsvps(user.platform, user.id, set(), {event.id}, ctx.now)
        note = ctx.t(LEFT, title=ctx.text(event.title))
    return replace(await event_list(ctx, note, joined), edit=not elsewhere)


def reminder_reply(config, event: Event, kind: str, now: datetime, zone: ZoneInfo,
                   tr: Translator | None = None) -> Reply:
    """The day-before reminder asks to confirm; the morning one gives the time and place.
    Rendered when sent, for one recipient: "today" and "tomorrow" only where they are true in
    the recipient's zone (21:00 in Tokyo is not the morning of a 19:00 New York event); anywhere
    else the reminder names the date. `tr`: the recipient's language."""
    tr = tr or translator()
    starts = event.starts_at.astimezone(zone).date()
    days = (starts - now.astimezone(zone).date()).days
    title = Bold(tr.text(event.title))
    if days == 0:
        heading = tr.spans(REMINDER_MORNING, title=title)
    elif days == 1 and kind == "day_before":
        heading = tr.spans(REMINDER_DAY_BEFORE, title=title)
    else:
        heading = tr.spans(REMINDER_ON, date=tr.day(starts), title=title)
    parts: list = [*heading, "\n", when(event, zone, tr)]
    if event.url:
        parts += ["\n", Link(tr.t(JOIN_ONLINE), event.url)]
    if event.location:
        parts.append("\n" + tr.text(event.location))
    buttons = []
    if kind == "day_before":
        buttons = [[Button(tr.t(STILL_COMING), "rsvpr", (event.id, "yes")),
                    Button(tr.t(CANT_MAKE_IT), "rsvpr", (event.id, "no"))]]
    return Reply.of(*parts, buttons=buttons)


@router.action("rsvpr")
async def reminder_pressed(ctx: Context):
    user, payload = ctx.user, ctx.incoming.payload
    event = ctx.config.event(payload[0]) if len(payload) == 2 else None
    if event is None or payload[1] not in ("yes", "no"):
        return Reply.of(ctx.t(STALE), private=True)
    if event.ends_at <= ctx.now:
        return Reply.of(ctx.t(IS_OVER), private=True)
    if payload[1] == "yes":  # also puts back someone who had cancelled in between
        await ctx.store.set_rsvps(user.platform, user.id, {event.id}, set(), ctx.now,
                                  language=app_language(ctx))
        return Reply.of(ctx.t(SEE_YOU), buttons=[add_buttons(event, ctx.tr)], private=True)
    await ctx.store.set_rsvps(user.platform, user.id, set(), {event.id}, ctx.now)
    return Reply.of(ctx.t(SORRY, title=ctx.text(event.title)), private=True)


def app_language(ctx: Context) -> str:
    """The language the person's app reports, negotiated (not their /settings choice, which is
    read at sending): what their reminders are written in when they chose none."""
    return negotiate(ctx.incoming.locale, ctx.config.languages)

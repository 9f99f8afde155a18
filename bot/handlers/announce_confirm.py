"""/announce, the last steps: when, how long it stays worth sending, Confirm or Cancel, and the
answers, which say what really happens. (bot/handlers/announce.py routes the buttons.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..config import Config
from ..core import Button, Reply
from ..i18n import N_, NP_, Problem
from ..routing import STALE, Context
from ..storage import Announcement
from .announce_preview import CANCEL, platforms

TIME_TITLE, TIME_LABEL = N_("announcement time"), N_("Time")
TIME_PROMPT = N_("When should it go out? Send a time in the campaign timezone ({zone}): HH:MM "
                 "for today, or YYYY-MM-DD HH:MM.")
WHEN = N_("Send it now or later?")
NOW, LATER = N_("Send now"), N_("Schedule…")
CONFIRM_NOW = N_("Send to {who} now? It expires at {expires}: whatever has not gone out by "
                 "then is not sent.")
CONFIRM_AT = N_("Send to {who} at {when}? It expires at {expires}: whatever has not gone out "
                "by then is not sent.")
RECIPIENTS = NP_("{count} recipient on {platform}", "{count} recipients on {platform}")
# The recipients of an event's announcement, and which event.
FOR_EVENT = N_("{who} ({event})")
EXPIRES = N_("It expires at {expires}.")
# How long an announcement stays worth sending after its send time (issue 9.3: a "starts in one
# hour!" must not arrive 16 hours late). The default, and the moderator's other choices.
DEFAULT_VALID_HOURS = 24
EXPIRE_HOURS = NP_("Expire after {count} hour", "Expire after {count} hours")
EXPIRE_DAYS = NP_("Expire after {count} day", "Expire after {count} days")
EXPIRE_AFTER = {1: (EXPIRE_HOURS, 1), 6: (EXPIRE_HOURS, 6), 24: (EXPIRE_HOURS, 24),
                72: (EXPIRE_DAYS, 3)}
CONFIRM = N_("Confirm")
NOBODY = N_("nobody yet: no platform is connected, or nobody is in that audience")
IN_PAST = N_("That time has already passed. Send a later one.")
BAD_TIME = N_("Please send HH:MM or YYYY-MM-DD HH:MM, like 18:30 or 2027-06-07 09:00.")
QUEUED = N_("Confirmed. Another announcement is being sent; this one starts when it finishes.")
STARTING = N_("Confirmed: sending now. Progress follows.")
SCHEDULED = N_("Confirmed: it goes out at {when}.")
CANCELLED = N_("Cancelled: announcement #{id} will not be sent.")
TOO_LATE = N_("Too late: {sent} of {total} already sent; the rest are cancelled.")


def parse_when(text: str, config: Config, now: datetime) -> datetime:
    zone, text = config.zone, " ".join(text.split())
    try:
        if len(text) <= 5:
            hour, minute = map(int, text.split(":"))
            local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
        else:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        raise Problem(BAD_TIME) from None
    if local <= now:
        raise Problem(IN_PAST)
    return local


def _who(ctx: Context, sizes: dict[str, int]) -> str:
    if not sum(sizes.values()):
        return ctx.t(NOBODY)
    return ctx.tr.join(ctx.n(*RECIPIENTS, n, platform=p.title()) for p, n in sizes.items())


def expiry(a: Announcement, now: datetime) -> datetime:
    """When it stops being worth sending: the moderator's choice (or the default) after its
    send time; fixed at Confirm (expires_at) so what they were told is what holds."""
    if a.expires_at:
        return a.expires_at
    sends = max(a.send_at, now) if a.send_at else now  # a time confirmed late counts from now
    return sends + timedelta(hours=a.valid_hours or DEFAULT_VALID_HOURS)


async def confirm_step(ctx: Context, a: Announcement) -> Reply:
    sizes = await ctx.store.audience_size(a.audience, a.event_id, platforms(ctx))
    zone = ctx.config.zone
    who = _who(ctx, sizes)
    if a.audience == "event":
        event = ctx.config.event(a.event_id)
        who = ctx.t(FOR_EVENT, who=who, event=ctx.text(event.title) if event else a.event_id)
    expires = ctx.tr.moment(expiry(a, ctx.now), zone)
    chosen = a.valid_hours or DEFAULT_VALID_HOURS
    buttons = [[Button(ctx.t(CONFIRM), "ann", (str(a.id), "confirm")),
                Button(ctx.t(CANCEL), "ann", (str(a.id), "cancel"))],
               [Button(ctx.n(*label, count), "ann", (str(a.id), "exp", str(hours)))
                for hours, (label, count) in EXPIRE_AFTER.items() if hours != chosen]]
    if a.send_at:
        text = ctx.t(CONFIRM_AT, who=who, when=ctx.tr.moment(a.send_at, zone), expires=expires)
    else:
        text = ctx.t(CONFIRM_NOW, who=who, expires=expires)
    return Reply.of(text, buttons=buttons, private=True)


def when_step(ctx: Context, a: Announcement) -> Reply:
    buttons = [[Button(ctx.t(NOW), "ann", (str(a.id), "when", "now")),
                Button(ctx.t(LATER), "ann", (str(a.id), "when", "later"))]]
    return Reply.of(ctx.t(WHEN), buttons=buttons, private=True)


async def confirm(ctx: Context, a: Announcement) -> Reply:
    store, zone = ctx.store, ctx.config.zone
    expires = expiry(a, ctx.now)
    told = ctx.t(EXPIRES, expires=ctx.tr.moment(expires, zone))
    if a.send_at and a.send_at > ctx.now:
        if not await store.update_announcement(a.id, expect=("draft",), status="scheduled",
                                               expires_at=expires):
            return Reply.of(ctx.t(STALE), private=True)
        return Reply.of(ctx.t(SCHEDULED, when=ctx.tr.moment(a.send_at, zone)), " ", told,
                        private=True)
    busy = await store.announcements_in(("sending", "queued"))
    if not await store.update_announcement(a.id, expect=("draft",), status="queued",
                                           expires_at=expires):
        return Reply.of(ctx.t(STALE), private=True)
    if ctx.bot.announcer is not None:  # None in the console: no runner there
        ctx.bot.announcer.wake()
    return Reply.of(ctx.t(QUEUED if busy else STARTING), " ", told, private=True)


async def cancel(ctx: Context, a: Announcement) -> Reply:
    """One decision with the runner's start, in storage: the answer is what really happens."""
    outcome = await ctx.store.cancel_announcement(a.id, ctx.now)
    if outcome is None:
        return Reply.of(ctx.t(STALE), private=True)
    if outcome.sent == 0:
        return Reply.of(ctx.t(CANCELLED, id=a.id), private=True)
    return Reply.of(ctx.t(TOO_LATE, sent=ctx.tr.number(outcome.sent),
                          total=ctx.tr.number(outcome.total)), private=True)

"""/announce and /announcements: a moderator's word to everyone, previewed before it goes.

Compose (the text after the command, or a form: the next message on Telegram, a modal on
Discord) -> preview as it will arrive, with each platform's length checked -> audience ->
when -> Confirm or Cancel. Sending is the announcement runner's job (bot/announcement_runner.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ..capabilities import with_closable_dms
from ..config import Config
from ..core import Bold, Button, Field, Form, FormRequest, Plain, Reply
from ..routing import STALE, Context, Router
from ..sender import DMS_CLOSED
from ..storage import Announcement
from ..text import is_ascii_digits, shorten
from ..timefmt import moment, plural
from .announce_report import report_lines

router = Router()

AUDIENCES = {
    "everyone": "Everyone who subscribed or asked for updates",
    "event": "People coming to one event",
    "chats": "Subscribed channels and groups",
}
TEXT_PROMPT = "What should the announcement say? Send the whole text in one message."
TIME_PROMPT = ("When should it go out? Send a time in the campaign timezone ({zone}): HH:MM for "
               "today, or YYYY-MM-DD HH:MM.")
PREVIEW = "Preview: this is exactly how it will arrive here."
FITS = "{platform}: {count:,} of {limit:,} characters ✓"
TOO_LONG = ("{platform}: {count:,} characters, over the limit of {limit:,}. Shorten it by "
            "{over:,} and send /announce again.")
WHO = "Who should get it?"
WHICH_EVENT = "Which event's participants?"
WHEN = "Send it now or later?"
NOW, LATER = "Send now", "Schedule…"
CONFIRM_TEXT = ("Send to {who} {when}? It expires at {expires}: whatever has not gone out by "
                "then is not sent.")
EXPIRES = "It expires at {expires}."
# How long an announcement stays worth sending after its send time (issue 9.3: a "starts in one
# hour!" must not arrive 16 hours late). The default, and the moderator's other choices.
DEFAULT_VALID_HOURS = 24
EXPIRE_AFTER = {1: "Expire after 1 hour", 6: "Expire after 6 hours",
                24: "Expire after 24 hours", 72: "Expire after 3 days"}
CONFIRM, CANCEL = "Confirm", "Cancel"
NOBODY = "nobody yet: no platform is connected, or nobody is in that audience"
IN_PAST = "That time has already passed. Send a later one."
BAD_TIME = "Please send HH:MM or YYYY-MM-DD HH:MM, like 18:30 or 2027-06-07 09:00."
QUEUED = "Confirmed. Another announcement is being sent; this one starts when it finishes."
STARTING = "Confirmed: sending now. Progress follows."
SCHEDULED = "Confirmed: it goes out {when}."
CANCELLED = "Cancelled: announcement #{id} will not be sent."
TOO_LATE = "Too late: {sent:,} of {total:,} already sent; the rest are cancelled."
NO_ANNOUNCEMENTS = "No announcements yet."
NO_DRAFT = "There is no announcement waiting for a time. Start with /announce."


def announcement_reply(text: str) -> Reply:
    """What recipients get: the moderator's text as typed. Adapters escape it like any other
    text (plain URLs stay links, mentions never ping)."""
    return Reply((Plain(text),))


def platforms(ctx: Context) -> tuple[str, ...]:
    return tuple(ctx.bot.senders)


def limits(ctx: Context) -> list[tuple[str, int, Callable[[Reply], int]]]:
    """(platform, its limit, how it counts) for each platform a draft must fit: those that can
    send now, or, with none connected (the console), every platform the bot knows."""
    known = ctx.bot.capabilities
    return [(p, c.max_text, c.measure) for p in platforms(ctx) or tuple(known)
            if (c := known.get(p)) is not None and c.max_text is not None]


def parse_when(text: str, config: Config, now: datetime) -> datetime:
    zone, text = config.zone, " ".join(text.split())
    try:
        if len(text) <= 5:
            hour, minute = map(int, text.split(":"))
            local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
        else:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        raise ValueError(BAD_TIME) from None
    if local <= now:
        raise ValueError(IN_PAST)
    return local


def _validate_when_factory(ctx: Context):
    return lambda text: parse_when(text, ctx.config, ctx.now).isoformat()


@router.command("announce", moderator=True)
async def announce(ctx: Context):
    """Send an announcement to supporters (preview first)."""
    text = ctx.incoming.args.strip()
    if not text:
        return FormRequest("announce")
    return await draft(ctx, text)


@router.form("announce", command="announce", moderator=True, build=lambda ctx: Form(
    "announce", "announcement", (Field("text", "Announcement", TEXT_PROMPT, max_length=4096),)))
async def composed(ctx: Context, values: dict):
    return await draft(ctx, values["text"])


async def draft(ctx: Context, text: str) -> list[Reply]:
    user, chat = ctx.user, ctx.incoming.chat
    body = announcement_reply(text)
    lines, fits = [], True
    for platform, limit, measure in limits(ctx):
        count = measure(body)
        if count > limit:
            fits = False
            lines.append(TOO_LONG.format(platform=platform.title(), count=count, limit=limit,
                                         over=count - limit))
        else:
            lines.append(FITS.format(platform=platform.title(), count=count, limit=limit))
    if not fits:  # refused here, not sent to 10,000 people to fail
        return [Reply.of("\n".join(lines), private=True)]
    announcement_id = await ctx.store.create_announcement(
        user.platform, user.id, user.display_name, chat.id, text, ctx.now)
    sizes = {key: await ctx.store.audience_size(key, None, platforms(ctx))
             for key in ("everyone", "chats")}
    buttons = [
        [Button(f"{AUDIENCES['everyone']} ({sum(sizes['everyone'].values())})", "ann",
                (str(announcement_id), "aud", "everyone"))],
        [Button(AUDIENCES["event"], "ann", (str(announcement_id), "aud", "event"))],
        [Button(f"{AUDIENCES['chats']} ({sum(sizes['chats'].values())})", "ann",
                (str(announcement_id), "aud", "chats"))],
        [Button(CANCEL, "ann", (str(announcement_id), "cancel"))],
    ]
    return [Reply.of(PREVIEW, private=True), body,
            Reply.of("\n".join(lines), "\n\n", WHO, buttons=buttons, private=True)]


def _who(sizes: dict[str, int]) -> str:
    if not sum(sizes.values()):
        return NOBODY
    return " and ".join(f"{plural(n, 'recipient')} on {p.title()}" for p, n in sizes.items())


def expiry(a: Announcement, now: datetime) -> datetime:
    """When it stops being worth sending: the moderator's choice (or the default) after its
    send time; fixed at Confirm (expires_at) so what they were told is what holds."""
    if a.expires_at:
        return a.expires_at
    sends = max(a.send_at, now) if a.send_at else now  # a time confirmed late counts from now
    return sends + timedelta(hours=a.valid_hours or DEFAULT_VALID_HOURS)


async def confirm_step(ctx: Context, a: Announcement) -> Reply:
    sizes = await ctx.store.audience_size(a.audience, a.event_id, platforms(ctx))
    when = f"at {moment(a.send_at, ctx.config.zone)}" if a.send_at else "now"
    who = _who(sizes)
    if a.audience == "event":
        event = ctx.config.event(a.event_id)
        who += f" ({event.title if event else a.event_id})"
    expires = moment(expiry(a, ctx.now), ctx.config.zone)
    chosen = a.valid_hours or DEFAULT_VALID_HOURS
    buttons = [[Button(CONFIRM, "ann", (str(a.id), "confirm")),
                Button(CANCEL, "ann", (str(a.id), "cancel"))],
               [Button(label, "ann", (str(a.id), "exp", str(hours)))
                for hours, label in EXPIRE_AFTER.items() if hours != chosen]]
    return Reply.of(CONFIRM_TEXT.format(who=who, when=when, expires=expires), buttons=buttons,
                    private=True)


def when_step(a: Announcement) -> Reply:
    buttons = [[Button(NOW, "ann", (str(a.id), "when", "now")),
                Button(LATER, "ann", (str(a.id), "when", "later"))]]
    return Reply.of(WHEN, buttons=buttons, private=True)


@router.action("ann", moderator=True)
async def pressed(ctx: Context):
    payload, store = ctx.incoming.payload, ctx.store
    a = None
    if payload and is_ascii_digits(payload[0]):
        a = await store.announcement(int(payload[0]))
    if a is None or len(payload) < 2:
        return Reply.of(STALE, private=True)
    step, value = payload[1], payload[2] if len(payload) > 2 else None
    # Who may press, before any branch (and not only in the dispatcher: the handler stands on
    # its own). Cancel: any moderator (the author among them), so another can stop a mistake;
    # every other step: only the author, while still a moderator. Supporters never.
    moderator = ctx.bot.is_moderator(ctx.incoming)
    mine = (a.author_platform, a.author_id) == (ctx.user.platform, ctx.user.id)
    if not moderator or (step != "cancel" and not mine):
        return Reply.of(STALE, private=True)
    if step == "cancel":
        return await cancel(ctx, a)
    if a.status != "draft":
        return Reply.of(STALE, private=True)
    if step == "aud" and value in ("everyone", "chats"):
        await store.update_announcement(a.id, expect=("draft",), audience=value, event_id=None)
        return when_step(a)
    if step == "aud" and value == "event":
        # Cut without a mark, as it always was (issue 10 changes no reply).
        buttons = [[Button(shorten(e.title, 40, ellipsis=""), "ann",
                           (str(a.id), "event", e.id))]
                   for e in ctx.config.events if e.ends_at > ctx.now]
        return Reply.of(WHICH_EVENT, buttons=buttons, private=True)
    if step == "event" and ctx.config.event(value or ""):
        await store.update_announcement(a.id, expect=("draft",), audience="event", event_id=value)
        return when_step(a)
    if step == "when" and a.audience and value == "now":
        await store.update_announcement(a.id, expect=("draft",), send_at=None)
        return await confirm_step(ctx, await store.announcement(a.id))
    if step == "when" and a.audience and value == "later":
        return FormRequest("announce_time")
    if step == "exp" and a.audience and value and is_ascii_digits(value) and (
            int(value) in EXPIRE_AFTER):
        await store.update_announcement(a.id, expect=("draft",), valid_hours=int(value))
        return await confirm_step(ctx, await store.announcement(a.id))
    if step == "confirm" and a.audience:
        return await confirm(ctx, a)
    return Reply.of(STALE, private=True)


@router.form("announce_time", command="announce", moderator=True, build=lambda ctx: Form(
    "announce_time", "announcement time", (Field(
        "when", "Time", TIME_PROMPT.format(zone=ctx.config.campaign.timezone), max_length=16,
        validate=_validate_when_factory(ctx)),)))
async def time_given(ctx: Context, values: dict):
    drafts = [a for a in await ctx.store.announcements_in(("draft",), limit=1000)
              if (a.author_platform, a.author_id) == (ctx.user.platform, ctx.user.id)
              and a.audience]
    if not drafts:
        return Reply.of(NO_DRAFT, private=True)
    a = drafts[-1]
    await ctx.store.update_announcement(a.id, expect=("draft",),
                                        send_at=datetime.fromisoformat(values["when"]))
    return await confirm_step(ctx, await ctx.store.announcement(a.id))


async def confirm(ctx: Context, a: Announcement) -> Reply:
    store = ctx.store
    expires = expiry(a, ctx.now)
    told = EXPIRES.format(expires=moment(expires, ctx.config.zone))
    if a.send_at and a.send_at > ctx.now:
        if not await store.update_announcement(a.id, expect=("draft",), status="scheduled",
                                               expires_at=expires):
            return Reply.of(STALE, private=True)
        return Reply.of(SCHEDULED.format(when=f"at {moment(a.send_at, ctx.config.zone)}"), " ",
                        told, private=True)
    busy = await store.announcements_in(("sending", "queued"))
    if not await store.update_announcement(a.id, expect=("draft",), status="queued",
                                           expires_at=expires):
        return Reply.of(STALE, private=True)
    if ctx.bot.announcer is not None:  # None in the console: no runner there
        ctx.bot.announcer.wake()
    return Reply.of(QUEUED if busy else STARTING, " ", told, private=True)


async def cancel(ctx: Context, a: Announcement) -> Reply:
    """One decision with the runner's start, in storage: the answer is what really happens."""
    outcome = await ctx.store.cancel_announcement(a.id, ctx.now)
    if outcome is None:
        return Reply.of(STALE, private=True)
    if outcome.sent == 0:
        return Reply.of(CANCELLED.format(id=a.id), private=True)
    return Reply.of(TOO_LATE.format(sent=outcome.sent, total=outcome.total), private=True)


@router.command("announcements", moderator=True)
async def announcements(ctx: Context):
    """Recent announcements: who, when, audience, delivery counts."""
    recent = await ctx.store.recent_announcements()
    if not recent:
        return Reply.of(NO_ANNOUNCEMENTS, private=True)
    parts: list = []
    for a in recent:
        when = moment(a.send_at or a.created_at, ctx.config.zone)
        audience = AUDIENCES.get(a.audience or "", "no audience chosen")
        if a.audience == "event":
            event = ctx.config.event(a.event_id or "")
            audience = f"coming to {event.title if event else a.event_id}"
        author = a.author_name or "(erased)"
        parts += [Bold(f"#{a.id} {a.status}"), f" — {author} on {a.author_platform}, {when}\n",
                  f"To: {audience}\n"]
        if a.message_id is not None:
            counts = await ctx.store.delivery_counts(a.message_id)
            closed = await ctx.store.gone_counts(a.message_id, DMS_CLOSED)
            parts += [line + "\n" for line in report_lines(counts, closed, platforms(ctx),
                                                            with_closable_dms(ctx.bot.capabilities))]
        parts.append("\n")
    return Reply.of(*parts, private=True)

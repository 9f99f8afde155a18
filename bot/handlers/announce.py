"""/announce and /announcements: a moderator's word to everyone, previewed before it goes.

Compose (the text after the command, or a form: the next message on Telegram, a modal on
Discord) -> preview as it will arrive, with each platform's length checked -> optionally a
version per other configured language -> audience -> when -> Confirm or Cancel. The steps live
in announce_preview.py and announce_confirm.py; this module routes to them. Sending is the
announcement runner's job (bot/announcement_runner.py).
"""

from __future__ import annotations

from datetime import datetime

from ..capabilities import with_closable_dms
from ..core import Bold, Button, Field, Form, FormRequest, Reply
from ..i18n import LOCALES, N_
from ..routing import STALE, Context, Router
from ..sender import DMS_CLOSED
from ..text import is_ascii_digits, shorten
from .announce_confirm import (
    EXPIRE_AFTER,
    TIME_LABEL,
    TIME_PROMPT,
    TIME_TITLE,
    cancel,
    confirm,
    confirm_step,
    expiry,
    parse_when,
    when_step,
)
from .announce_preview import (
    AUDIENCES,
    TEXT_LABEL,
    TEXT_PROMPT,
    TEXT_TITLE,
    after_version,
    announcement_reply,
    draft,
    extra_languages,
    platforms,
    version_form,
    version_given,
)
from .announce_report import report_lines

__all__ = ["announcement_reply", "expiry", "router"]  # the runner's, through messages.py

router = Router()

WHICH_EVENT = N_("Which event's participants?")
NO_ANNOUNCEMENTS = N_("No announcements yet.")
NO_DRAFT = N_("There is no announcement waiting for a time. Start with /announce.")
# /announcements, one entry each: "#3 done — Mo on telegram, Tue 1 Jun 2027, 09:00 EDT".
ENTRY = N_("{number} — {author} on {platform}, {when}")
TO = N_("To: {audience}")
NO_AUDIENCE = N_("no audience chosen")
COMING_TO = N_("coming to {event}")
ERASED = N_("(erased)")
STATUSES = {"draft": N_("draft"), "scheduled": N_("scheduled"), "queued": N_("queued"),
            "sending": N_("sending"), "done": N_("done"), "cancelled": N_("cancelled")}
# Every language with a catalog may be configured; each has its version form (the form knows
# which language it asks for, a button cannot hand it one).
CATALOG_LANGUAGES = sorted(p.name for p in LOCALES.iterdir() if p.is_dir())


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
    "announce", ctx.t(TEXT_TITLE),
    (Field("text", ctx.t(TEXT_LABEL), ctx.t(TEXT_PROMPT), max_length=4096),)))
async def composed(ctx: Context, values: dict):
    return await draft(ctx, values["text"])


def _version_route(code: str) -> None:
    @router.form(f"announce_{code}", command="announce", moderator=True,
                 build=version_form(code))
    async def version(ctx: Context, values: dict):
        return await version_given(ctx, code, values["text"])


for _code in CATALOG_LANGUAGES:
    _version_route(_code)

@router.action("ann", moderator=True)
async def pressed(ctx: Context):
    payload, store = ctx.incoming.payload, ctx.store
    a = None
    if payload and is_ascii_digits(payload[0]):
        a = await store.announcement(int(payload[0]))
    if a is None or len(payload) < 2:
        return Reply.of(ctx.t(STALE), private=True)
    step, value = payload[1], payload[2] if len(payload) > 2 else None
    # Who may press, before any branch (and not only in the dispatcher: the handler stands on
    # its own). Cancel: any moderator (the author among them), so another can stop a mistake;
    # every other step: only the author, while still a moderator. Supporters never.
    moderator = ctx.bot.is_moderator(ctx.incoming)
    mine = (a.author_platform, a.author_id) == (ctx.user.platform, ctx.user.id)
    if not moderator or (step != "cancel" and not mine):
        return Reply.of(ctx.t(STALE), private=True)
    if step == "cancel":
        return await cancel(ctx, a)
    if a.status != "draft":
        return Reply.of(ctx.t(STALE), private=True)
    if step == "ver" and value in extra_languages(ctx):
        return FormRequest(f"announce_{value}")
    if step == "skip" and value in extra_languages(ctx):
        return await after_version(ctx, a.id, value)
    if step == "aud" and value in ("everyone", "chats"):
        await store.update_announcement(a.id, expect=("draft",), audience=value, event_id=None)
        return when_step(ctx, a)
    if step == "aud" and value == "event":
        # Cut without a mark, as it always was (issue 10 changes no reply).
        buttons = [[Button(shorten(ctx.text(e.title), 40, ellipsis=""), "ann",
                           (str(a.id), "event", e.id))]
                   for e in ctx.config.events if e.ends_at > ctx.now]
        return Reply.of(ctx.t(WHICH_EVENT), buttons=buttons, private=True)
    if step == "event" and ctx.config.event(value or ""):
        await store.update_announcement(a.id, expect=("draft",), audience="event", event_id=value)
        return when_step(ctx, a)
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
    return Reply.of(ctx.t(STALE), private=True)


@router.form("announce_time", command="announce", moderator=True, build=lambda ctx: Form(
    "announce_time", ctx.t(TIME_TITLE), (Field(
        "when", ctx.t(TIME_LABEL), ctx.t(TIME_PROMPT, zone=ctx.config.campaign.timezone),
        max_length=16, validate=_validate_when_factory(ctx)),)))
async def time_given(ctx: Context, values: dict):
    drafts = [a for a in await ctx.store.announcements_in(("draft",), limit=1000)
              if (a.author_platform, a.author_id) == (ctx.user.platform, ctx.user.id)
              and a.audience]
    if not drafts:
        return Reply.of(ctx.t(NO_DRAFT), private=True)
    a = drafts[-1]
    await ctx.store.update_announcement(a.id, expect=("draft",),
                                        send_at=datetime.fromisoformat(values["when"]))
    return await confirm_step(ctx, await ctx.store.announcement(a.id))


@router.command("announcements", moderator=True)
async def announcements(ctx: Context):
    """Recent announcements: who, when, audience, delivery counts."""
    recent = await ctx.store.recent_announcements()
    if not recent:
        return Reply.of(ctx.t(NO_ANNOUNCEMENTS), private=True)
    parts: list = []
    for a in recent:
        when = ctx.tr.moment(a.send_at or a.created_at, ctx.config.zone)
        audience = ctx.t(AUDIENCES.get(a.audience or "", NO_AUDIENCE))
        if a.audience == "event":
            event = ctx.config.event(a.event_id or "")
            audience = ctx.t(COMING_TO, event=ctx.text(event.title) if event else a.event_id)
        status = ctx.t(STATUSES[a.status]) if a.status in STATUSES else a.status
        parts += [*ctx.tr.spans(ENTRY, number=Bold(f"#{a.id} {status}"),
                                author=a.author_name or ctx.t(ERASED),
                                platform=a.author_platform, when=when),
                  "\n", ctx.t(TO, audience=audience), "\n"]
        if a.message_id is not None:
            counts = await ctx.store.delivery_counts(a.message_id)
            closed = await ctx.store.gone_counts(a.message_id, DMS_CLOSED)
            closable = with_closable_dms(ctx.bot.capabilities)
            parts += [line + "\n" for line in report_lines(counts, closed, platforms(ctx),
                                                            closable, ctx.tr)]
        parts.append("\n")
    return Reply.of(*parts, private=True)

"""/subscribe, /unsubscribe and /settings: the daily countdown-and-action prompt.

This module stores subscriptions and settings; the scheduler sends the prompts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .. import validation
from ..config import Config
from ..core import Button, Field, Form, FormRequest, Plain, Reply
from ..registry import STALE, Context, Router
from .countdown import action_for, countdown_reply

router = Router()

SUBSCRIBED = ("You're subscribed. Every day at {time} ({zone}) I'll send the countdown and the "
              "day's action.")
ALREADY = "You're already subscribed: every day at {time} ({zone})."
HOW = "\nChange the time or timezone with /settings; stop with /unsubscribe."
UNSUBSCRIBED = "Done: no more daily prompts. /subscribe brings them back."
NOT_SUBSCRIBED = "You weren't subscribed to daily prompts."
CHAT_SUBSCRIBED = ("This chat will get the countdown and the day's action every day at {time} "
                   "({zone}). /unsubscribe here stops it.")
CHAT_ALREADY = "This chat already gets the daily post at {time} ({zone})."
CHAT_UNSUBSCRIBED = "Done: this chat gets no more daily posts."
CHAT_NOT_SUBSCRIBED = "This chat isn't subscribed to the daily post."
ADMINS_ONLY = ("Only the people who manage this chat can subscribe or unsubscribe it. To get "
               "the daily prompt yourself, send /subscribe in a private chat.")
SETTINGS = ("Your settings\nTimezone: {zone}{zone_note}\n"
            "Daily prompt time: {time}{time_note}\n{sub}")
DEFAULT_NOTE = " (campaign default)"
SUB_ON, SUB_OFF = "Daily prompts: on", "Daily prompts: off (/subscribe to turn on)"
CHANGE_ZONE, CHANGE_TIME = "Change timezone", "Change time"
USAGE = "Use /settings timezone America/New_York or /settings time 08:30."
ZONE_PROMPT = "Which timezone are you in? Send its name, like America/New_York or Europe/London."
TIME_PROMPT = "At what time should the daily prompt arrive? Send HH:MM, like 08:30."
SAVED_ZONE = "Your timezone is now {value}."
SAVED_TIME = "Your daily prompt will arrive at {value}."

DONE_LABEL, STOP_LABEL = "Done ✓", "Stop daily prompts"
DONE = "Thank you for taking action today!"
ALREADY_DONE = "You already marked this day's action as done. Thank you!"
STOPPED = "Daily prompts stopped. /subscribe brings them back."
CHAT_PAUSED = ("I can no longer post the daily prompt in a chat you subscribed (id {chat_id}): "
               "I was removed from it or lost the permission to send messages there. Its daily "
               "post is paused. Once I may post there again, subscribe it again with /subscribe.")
GROUP_STOP = ("Only the people who manage this chat can stop its daily post. To stop your own "
              "prompts, send /unsubscribe in a private chat.")

KEYS = {  # argument word -> (setting key, validator, form id)
    "timezone": ("timezone", validation.timezone, "settings_timezone"),
    "tz": ("timezone", validation.timezone, "settings_timezone"),
    "time": ("send_at", validation.time_of_day, "settings_send_at"),
}


async def effective(ctx: Context) -> tuple[str, str, bool, bool]:
    saved = await ctx.store.settings_of(ctx.user.platform, ctx.user.id)
    zone = saved.timezone or ctx.config.campaign.timezone
    time = saved.send_at or ctx.config.prompts.send_at
    return zone, time, saved.timezone is None, saved.send_at is None


async def chat_subscription(ctx: Context, on: bool):
    """/subscribe or /unsubscribe in a group or channel: the chat's own daily post, decided by
    the people the platform says manage it."""
    chat, campaign = ctx.incoming.chat, ctx.config.campaign
    if not ctx.incoming.can_manage_chat:
        return [Reply.of(ADMINS_ONLY), ctx.bot.go_private(chat.platform, "subscribe")]
    if on:
        # Who subscribed it (never shown to others): told if the bot can no longer post there.
        created = await ctx.store.subscribe_chat(chat.platform, chat.id, ctx.now,
                                                 subscribed_by=ctx.user.id)
        template = CHAT_SUBSCRIBED if created else CHAT_ALREADY
        return Reply.of(template.format(time=ctx.config.prompts.send_at, zone=campaign.timezone))
    if await ctx.store.unsubscribe_chat(chat.platform, chat.id):
        return Reply.of(CHAT_UNSUBSCRIBED)
    return Reply.of(CHAT_NOT_SUBSCRIBED)


@router.command("subscribe")
async def subscribe(ctx: Context):
    """Get the countdown and the day's action every day."""
    user, chat = ctx.user, ctx.incoming.chat
    if not chat.is_direct:
        return await chat_subscription(ctx, on=True)
    created = await ctx.store.subscribe(user.platform, user.id, chat.id, ctx.now)
    zone, time, _, _ = await effective(ctx)
    return Reply.of((SUBSCRIBED if created else ALREADY).format(time=time, zone=zone), HOW)


@router.command("unsubscribe")
async def unsubscribe(ctx: Context):
    """Stop the daily prompts."""
    if not ctx.incoming.chat.is_direct:
        return await chat_subscription(ctx, on=False)
    if await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id):
        return Reply.of(UNSUBSCRIBED)
    return Reply.of(NOT_SUBSCRIBED)


@router.command("settings", private=True)
async def settings(ctx: Context):
    """Your timezone and the time of your daily prompt."""
    words = ctx.incoming.args.split(maxsplit=1)
    if words:
        key = KEYS.get(words[0].lower())
        if key is None:
            return Reply.of(USAGE, private=True)
        if len(words) == 1:
            return FormRequest(key[2])
        setting, check, _ = key
        try:
            value = check(words[1])
        except ValueError as reason:
            return Reply.of(str(reason), "\n", USAGE, private=True)
        return await save(ctx, setting, value)
    zone, time, zone_default, time_default = await effective(ctx)
    subscription = await ctx.store.subscription_of(ctx.user.platform, ctx.user.id)
    text = SETTINGS.format(
        zone=zone, zone_note=DEFAULT_NOTE if zone_default else "",
        time=time, time_note=DEFAULT_NOTE if time_default else "",
        sub=SUB_ON if subscription and subscription.active else SUB_OFF,
    )
    buttons = [[Button(CHANGE_ZONE, "settings", ("timezone",)),
                Button(CHANGE_TIME, "settings", ("time",))]]
    return Reply.of(text, buttons=buttons, private=True)


@router.action("settings")
async def settings_pressed(ctx: Context):
    payload = ctx.incoming.payload
    key = KEYS.get(payload[0]) if len(payload) == 1 else None
    return FormRequest(key[2]) if key else Reply.of(STALE, private=True)


async def save(ctx: Context, setting: str, value: str) -> Reply:
    await ctx.store.save_setting(ctx.user.platform, ctx.user.id, setting, value, ctx.now)
    template = SAVED_ZONE if setting == "timezone" else SAVED_TIME
    return Reply.of(template.format(value=value), private=True)


def _one_field_form(form_id: str, name: str, label: str, prompt: str, check) -> Form:
    return Form(form_id, f"{label.lower()} setting", (Field(name, label, prompt, validate=check),))


@router.form("settings_timezone", command="settings", build=lambda ctx: _one_field_form(
    "settings_timezone", "timezone", "Timezone", ZONE_PROMPT, validation.timezone))
async def timezone_given(ctx: Context, values: dict):
    return await save(ctx, "timezone", values["timezone"])


@router.form("settings_send_at", command="settings", build=lambda ctx: _one_field_form(
    "settings_send_at", "send_at", "Time", TIME_PROMPT, validation.time_of_day))
async def time_given(ctx: Context, values: dict):
    return await save(ctx, "send_at", values["send_at"])


def prompt_reply(config: Config, now: datetime, local_date: date) -> Reply:
    """The daily prompt: the countdown, the day's action, and two buttons."""
    countdown, action = countdown_reply(config, now), action_for(config, local_date)
    buttons = [[Button(DONE_LABEL, "done", (local_date.isoformat(),)),
                Button(STOP_LABEL, "stop")]]
    return Reply(countdown.body + (Plain("\n\n"),) + action.body, tuple(map(tuple, buttons)))


def chat_paused_reply(chat_id: str) -> Reply:
    """For the person who subscribed a chat the bot can no longer post in (queued by the
    outbox when it pauses that chat's subscription)."""
    return Reply.of(CHAT_PAUSED.format(chat_id=chat_id))


def closing_reply(config: Config) -> Reply:
    return Reply.of(config.prompts.closing_message)


@router.action("done")
async def done_pressed(ctx: Context):
    payload = ctx.incoming.payload
    try:
        day = date.fromisoformat(payload[0]) if len(payload) == 1 else None
    except ValueError:
        day = None
    today = ctx.now.date()
    # A prompt's own date, pressed that day or within the week after; anything else is tampered.
    if day is None or not today - timedelta(days=7) <= day <= today + timedelta(days=1):
        return Reply.of(STALE, private=True)
    created = await ctx.store.mark_action_done(ctx.user.platform, ctx.user.id, day.isoformat(),
                                               ctx.now)
    return Reply.of(DONE if created else ALREADY_DONE, private=True)


@router.action("stop")
async def stop_pressed(ctx: Context):
    if not ctx.incoming.chat.is_direct:  # under a group's daily post: the group's subscription
        if not ctx.incoming.can_manage_chat:
            return Reply.of(GROUP_STOP, private=True)
        await ctx.store.unsubscribe_chat(ctx.incoming.chat.platform, ctx.incoming.chat.id)
        return Reply.of(CHAT_UNSUBSCRIBED)
    await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id)
    return Reply.of(STOPPED, private=True)

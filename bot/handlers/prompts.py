"""/subscribe, /unsubscribe and /settings: the daily countdown-and-action prompt.

This module stores subscriptions and settings; the scheduler sends the prompts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .. import validation
from ..config import Config
from ..core import Button, Field, Form, FormRequest, Plain, Reply
from ..routing import STALE, Context, Router
from ..slots import plan_next, time_or, zone_or
from ..timefmt import moment
from .countdown import action_for, countdown_reply
from .language import ask_language, language_buttons, language_line, set_language

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
SUB_OVER = "Daily prompts: over: the campaign's deadline has passed"
DEADLINE_PASSED = ("The campaign's deadline has passed, so there are no more daily prompts. "
                   "Thank you for wanting to take part!")
CHAT_DEADLINE_PASSED = ("The campaign's deadline has passed, so there are no more daily posts "
                        "for this chat.")
TODAYS_NOW = " Today's prompt is on its way now."
NEXT_AT = " Your next prompt: {when}."
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
# What a deep link (t.me/<bot>?start=subscribe) shows: a link is anyone's to send, so only
# the press subscribes or unsubscribes.
ASK_SUBSCRIBE = "Get the countdown and the day's action every day at {time} ({zone})?"
ASK_CHAT_SUBSCRIBE = ("Post the countdown and the day's action in this chat every day at "
                      "{time} ({zone})?")
ASK_UNSUBSCRIBE = "Stop your daily prompts?"
ASK_CHAT_UNSUBSCRIBE = "Stop this chat's daily post?"
YES_SUBSCRIBE, YES_CHAT_SUBSCRIBE = "Yes, subscribe me", "Yes, post it here"
YES_UNSUBSCRIBE, YES_CHAT_UNSUBSCRIBE = "Yes, stop them", "Yes, stop it"
CHAT_PAUSED = ("I can no longer post the daily prompt in a chat you subscribed (id {chat_id}): "
               "I was removed from it or lost the permission to send messages there. Its daily "
               "post is paused. Once I may post there again, subscribe it again with /subscribe.")
GROUP_STOP = ("Only the people who manage this chat can stop its daily post. To stop your own "
              "prompts, send /unsubscribe in a private chat.")

SETTING_WORDS = {  # the word that names a setting -> (setting key, validator, form id)
    "timezone": ("timezone", validation.timezone, "settings_timezone"),
    "time": ("send_at", validation.time_of_day, "settings_send_at"),
    "language": ("language", None, None),  # a question with buttons: handlers/language.py
}
# What a platform offers as the choices of /settings (Discord's `key` option): the one list.
SETTINGS_CHOICES = tuple(SETTING_WORDS)
KEYS = {**SETTING_WORDS, "tz": SETTING_WORDS["timezone"]}  # every word /settings understands


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
        if over(ctx):
            return Reply.of(CHAT_DEADLINE_PASSED)
        template = CHAT_SUBSCRIBED if created else CHAT_ALREADY
        return Reply.of(template.format(time=ctx.config.prompts.send_at, zone=campaign.timezone))
    if await ctx.store.unsubscribe_chat(chat.platform, chat.id, ctx.now):
        return Reply.of(CHAT_UNSUBSCRIBED)
    return Reply.of(CHAT_NOT_SUBSCRIBED)


async def ask_subscribe(ctx: Context) -> Reply:
    if ctx.incoming.chat.is_direct:
        zone, time, _, _ = await effective(ctx)
        question, label = ASK_SUBSCRIBE.format(time=time, zone=zone), YES_SUBSCRIBE
    else:
        question = ASK_CHAT_SUBSCRIBE.format(time=ctx.config.prompts.send_at,
                                             zone=ctx.config.campaign.timezone)
        label = YES_CHAT_SUBSCRIBE
    return Reply.of(question, buttons=[[Button(label, "subscribe")]])


async def ask_unsubscribe(ctx: Context) -> Reply:
    direct = ctx.incoming.chat.is_direct
    return Reply.of(ASK_UNSUBSCRIBE if direct else ASK_CHAT_UNSUBSCRIBE, buttons=[[Button(
        YES_UNSUBSCRIBE if direct else YES_CHAT_UNSUBSCRIBE, "unsubscribe")]])


@router.command("subscribe", confirm_deep_link=ask_subscribe)
async def subscribe(ctx: Context):
    """Get the countdown and the day's action every day."""
    user, chat = ctx.user, ctx.incoming.chat
    if not chat.is_direct:
        return await chat_subscription(ctx, on=True)
    created = await ctx.store.subscribe(user.platform, user.id, chat.id, ctx.now)
    if over(ctx):  # kept, in case the deadline moves; but nothing is promised
        return Reply.of(DEADLINE_PASSED)
    zone, time, _, _ = await effective(ctx)
    return Reply.of((SUBSCRIBED if created else ALREADY).format(time=time, zone=zone), HOW)


@router.command("unsubscribe", confirm_deep_link=ask_unsubscribe)
async def unsubscribe(ctx: Context):
    """Stop the daily prompts."""
    if not ctx.incoming.chat.is_direct:
        return await chat_subscription(ctx, on=False)
    if await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id, ctx.now):
        return Reply.of(UNSUBSCRIBED)
    return Reply.of(NOT_SUBSCRIBED)


@router.action("subscribe")
async def subscribe_pressed(ctx: Context):
    # The press does what typing the command does (in a group: for its admins only).
    return await subscribe(ctx) if not ctx.incoming.payload else Reply.of(STALE, private=True)


@router.action("unsubscribe")
async def unsubscribe_pressed(ctx: Context):
    return await unsubscribe(ctx) if not ctx.incoming.payload else Reply.of(STALE, private=True)


@router.command("settings", private=True, deep_link_safe=True)
async def settings(ctx: Context):
    """Your timezone and the time of your daily prompt."""
    words = ctx.incoming.args.split(maxsplit=1)
    if words:
        key = KEYS.get(words[0].lower())
        if key is None:
            return Reply.of(USAGE, private=True)
        setting, check, _ = key
        try:
            if setting == "language":
                return await set_language(ctx, words[1] if len(words) > 1 else "")
            if len(words) == 1:
                return FormRequest(key[2])
            value = check(words[1])
        except ValueError as reason:
            return Reply.of(ctx.explain(reason), "\n", USAGE, private=True)
        return await save(ctx, setting, value)
    zone, time, zone_default, time_default = await effective(ctx)
    subscription = await ctx.store.subscription_of(ctx.user.platform, ctx.user.id)
    text = SETTINGS.format(
        zone=zone, zone_note=DEFAULT_NOTE if zone_default else "",
        time=time, time_note=DEFAULT_NOTE if time_default else "",
        sub=(SUB_OFF if not (subscription and subscription.active)
             else SUB_OVER if over(ctx) else SUB_ON),
    )
    buttons = [[Button(CHANGE_ZONE, "settings", ("timezone",)),
                Button(CHANGE_TIME, "settings", ("time",)), *language_buttons(ctx)]]
    return Reply.of(text + language_line(ctx), buttons=buttons, private=True)


@router.action("settings")
async def settings_pressed(ctx: Context):
    payload = ctx.incoming.payload
    key = KEYS.get(payload[0]) if len(payload) == 1 else None
    if key and key[0] == "language":
        return ask_language(ctx)
    return FormRequest(key[2]) if key else Reply.of(STALE, private=True)


def over(ctx: Context) -> bool:
    return ctx.config.campaign.deadline <= ctx.now


async def save(ctx: Context, setting: str, value: str) -> Reply:
    user = ctx.user
    await ctx.store.save_setting(user.platform, user.id, setting, value, ctx.now)
    template = SAVED_ZONE if setting == "timezone" else SAVED_TIME
    return Reply.of(template.format(value=value), await next_prompt_note(ctx), private=True)


async def next_prompt_note(ctx: Context) -> str:
    """When the next prompt comes, planned exactly as the scheduler will plan it (the same
    function, the same stored facts): today's at once if it is still owed and its new time has
    passed, otherwise the next slot."""
    subscription = await ctx.store.subscription_of(ctx.user.platform, ctx.user.id)
    if subscription is None or not subscription.active or over(ctx):
        return ""
    saved = await ctx.store.settings_of(ctx.user.platform, ctx.user.id)
    config = ctx.config
    zone = zone_or(saved.timezone, config.zone)
    at = plan_next(ctx.now, time_or(saved.send_at, config.prompts.send_at), zone,
                   after=subscription.plan_after or ctx.now,
                   done_through=subscription.prompted_through)
    if at >= config.campaign.deadline:
        return ""
    return TODAYS_NOW if at <= ctx.now else NEXT_AT.format(when=moment(at, zone))


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
        await ctx.store.unsubscribe_chat(ctx.incoming.chat.platform, ctx.incoming.chat.id,
                                         ctx.now)
        return Reply.of(CHAT_UNSUBSCRIBED)
    await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id, ctx.now)
    return Reply.of(STOPPED, private=True)

"""/settings: the person's timezone, the time of their daily prompt, and their language
(bot/handlers/language.py). What they choose decides when the scheduler sends their prompts."""

from __future__ import annotations

from .. import validation
from ..core import Button, Field, Form, FormRequest, Reply
from ..i18n import N_
from ..routing import STALE, Context, Router
from ..slots import plan_next, time_or, zone_or
from .language import ask_language, language_buttons, language_line, set_language
from .referral import set_notices

router = Router()

# {zone_note} and {time_note}: DEFAULT_NOTE or nothing; {sub}: one of the SUB_ lines.
SETTINGS = N_("Your settings\nTimezone: {zone}{zone_note}\n"
              "Daily prompt time: {time}{time_note}\n{sub}")
DEFAULT_NOTE = N_(" (campaign default)")
SUB_ON, SUB_OFF = N_("Daily prompts: on"), N_("Daily prompts: off (/subscribe to turn on)")
SUB_OVER = N_("Daily prompts: over: the campaign's deadline has passed")
TODAYS_NOW = N_("Today's prompt is on its way now.")
NEXT_AT = N_("Your next prompt: {when}.")
CHANGE_ZONE, CHANGE_TIME = N_("Change timezone"), N_("Change time")
USAGE = N_("Use /settings timezone America/New_York or /settings time 08:30.")
ZONE_PROMPT = N_("Which timezone are you in? Send its name, like America/New_York or "
                 "Europe/London.")
TIME_PROMPT = N_("At what time should the daily prompt arrive? Send HH:MM, like 08:30.")
SAVED_ZONE = N_("Your timezone is now {value}.")
SAVED_TIME = N_("Your daily prompt will arrive at {value}.")
ZONE_LABEL, TIME_LABEL = N_("Timezone"), N_("Time")
# The forms' titles, as in "your unfinished timezone setting".
ZONE_TITLE, TIME_TITLE = N_("timezone setting"), N_("time setting")

SETTING_WORDS = {  # the word that names a setting -> (setting key, validator, form id)
    "timezone": ("timezone", validation.timezone, "settings_timezone"),
    "time": ("send_at", validation.time_of_day, "settings_send_at"),
    "language": ("language", None, None),  # a question with buttons: handlers/language.py
    "invites": ("referral_notices", None, None),  # on/off: handlers/referral.py
}
# What a platform offers as the choices of /settings (Discord's `key` option): the one list.
SETTINGS_CHOICES = tuple(SETTING_WORDS)
KEYS = {**SETTING_WORDS, "tz": SETTING_WORDS["timezone"]}  # every word /settings understands


async def effective(ctx: Context) -> tuple[str, str, bool, bool]:
    saved = await ctx.store.settings_of(ctx.user.platform, ctx.user.id)
    zone = saved.timezone or ctx.config.campaign.timezone
    time = saved.send_at or ctx.config.prompts.send_at
    return zone, time, saved.timezone is None, saved.send_at is None


@router.command("settings", private=True, deep_link_safe=True)
async def settings(ctx: Context):
    """Your timezone and the time of your daily prompt."""
    words = ctx.incoming.args.split(maxsplit=1)
    if words:
        key = KEYS.get(words[0].lower())
        if key is None:
            return Reply.of(ctx.t(USAGE), private=True)
        setting, check, _ = key
        try:
            if setting == "language":
                return await set_language(ctx, words[1] if len(words) > 1 else "")
            if setting == "referral_notices":
                return await set_notices(ctx, words[1] if len(words) > 1 else "")
            if len(words) == 1:
                return FormRequest(key[2])
            value = check(words[1])
        except ValueError as reason:
            return Reply.of(ctx.explain(reason), "\n", ctx.t(USAGE), private=True)
        return await save(ctx, setting, value)
    zone, time, zone_default, time_default = await effective(ctx)
    subscription = await ctx.store.subscription_of(ctx.user.platform, ctx.user.id)
    note = ctx.t(DEFAULT_NOTE)
    text = ctx.t(
        SETTINGS, zone=zone, zone_note=note if zone_default else "",
        time=time, time_note=note if time_default else "",
        sub=ctx.t(SUB_OFF if not (subscription and subscription.active)
                  else SUB_OVER if over(ctx) else SUB_ON),
    )
    buttons = [[Button(ctx.t(CHANGE_ZONE), "settings", ("timezone",)),
                Button(ctx.t(CHANGE_TIME), "settings", ("time",)), *language_buttons(ctx)]]
    return Reply.of(text + language_line(ctx), buttons=buttons, private=True)


@router.action("settings")
async def settings_pressed(ctx: Context):
    payload = ctx.incoming.payload
    key = KEYS.get(payload[0]) if len(payload) == 1 else None
    if key and key[0] == "language":
        return ask_language(ctx)
    if key and key[2] is None:  # no button asks for this one: a forged or stale press
        return Reply.of(ctx.t(STALE), private=True)
    return FormRequest(key[2]) if key else Reply.of(ctx.t(STALE), private=True)


def over(ctx: Context) -> bool:
    return ctx.config.campaign.deadline <= ctx.now


async def save(ctx: Context, setting: str, value: str) -> Reply:
    user = ctx.user
    await ctx.store.save_setting(user.platform, user.id, setting, value, ctx.now)
    template = SAVED_ZONE if setting == "timezone" else SAVED_TIME
    note = await next_prompt_note(ctx)
    return Reply.of(ctx.t(template, value=value), " " + note if note else "", private=True)


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
    return ctx.t(TODAYS_NOW) if at <= ctx.now else ctx.t(NEXT_AT, when=ctx.tr.moment(at, zone))


def _one_field_form(ctx: Context, form_id: str, name: str, words: tuple[str, str, str],
                    check) -> Form:
    title, label, prompt = (ctx.t(word) for word in words)
    return Form(form_id, title, (Field(name, label, prompt, validate=check),))


@router.form("settings_timezone", command="settings", build=lambda ctx: _one_field_form(
    ctx, "settings_timezone", "timezone", (ZONE_TITLE, ZONE_LABEL, ZONE_PROMPT),
    validation.timezone))
async def timezone_given(ctx: Context, values: dict):
    return await save(ctx, "timezone", values["timezone"])


@router.form("settings_send_at", command="settings", build=lambda ctx: _one_field_form(
    ctx, "settings_send_at", "send_at", (TIME_TITLE, TIME_LABEL, TIME_PROMPT),
    validation.time_of_day))
async def time_given(ctx: Context, values: dict):
    return await save(ctx, "send_at", values["send_at"])

"""/countdown and /today: the time left to the deadline, and the day's action."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from ..config import Config
from ..core import Bold, Link, Moment, Reply
from ..routing import Context, Router
from ..slots import zone_or
from ..timefmt import day, duration, moment

router = Router()

LEFT = "{left} left until "
PASSED = "The deadline, {label}, passed on "
TODAY = "Today's action ({date}):\n"
FALLBACK = "No special action today. "


async def user_zone(ctx: Context) -> ZoneInfo:
    """The person's zone; the campaign's if they set none, or set one this machine cannot
    load (their /today must not fail for it)."""
    settings = await ctx.store.settings_of(ctx.user.platform, ctx.user.id)
    return zone_or(settings.timezone, ctx.config.zone)


def countdown_reply(config: Config, now) -> Reply:
    campaign = config.campaign
    deadline = campaign.deadline
    when = Moment(deadline, moment(deadline, config.zone))
    if deadline <= now:
        return Reply.of(PASSED.format(label=campaign.deadline_label), when, ".")
    parts: list = [Bold(LEFT.format(left=duration(deadline - now))), Bold(campaign.deadline_label),
                   " (", when, ")."]
    if campaign.deadline_text:
        parts.append("\n" + campaign.deadline_text)
    return Reply.of(*parts)


def action_reply(config: Config, now, zone: ZoneInfo) -> Reply:
    return action_for(config, now.astimezone(zone).date())


def action_for(config: Config, today: date) -> Reply:
    action = next((a for a in config.actions if a.date == today), None)
    if action is None:
        return Reply.of(TODAY.format(date=day(today)), FALLBACK, config.prompts.fallback_action)
    parts: list = [TODAY.format(date=day(today)), action.text]
    if action.url:
        parts += ["\n", Link(action.url, action.url)]
    return Reply.of(*parts)


@router.command("countdown", deep_link_safe=True)
async def countdown(ctx: Context):
    """How long is left until the campaign deadline."""
    return countdown_reply(ctx.config, ctx.now)


@router.command("today", deep_link_safe=True)
async def today(ctx: Context):
    """Today's action: one thing you can do today."""
    return action_reply(ctx.config, ctx.now, await user_zone(ctx))

"""/countdown and /today: the time left to the deadline, and the day's action."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from ..config import Config
from ..core import Bold, Button, Link, Moment, Reply
from ..i18n import N_, Translator, translator
from ..routing import Context, Router
from ..slots import zone_or

router = Router()

# {left}: "9 days and 3 hours" (Babel's units and plurals); {deadline}: the campaign's label.
LEFT = N_("{left} left until {deadline} ({when}).")
PASSED = N_("The deadline, {deadline}, passed on {when}.")
TODAY = N_("Today's action ({date}):\n{action}")
FALLBACK = N_("Today's action ({date}):\nNo special action today. {action}")
DONE_LABEL = N_("Done ✓")  # also the daily prompt's (prompts.py)


async def user_zone(ctx: Context) -> ZoneInfo:
    """The person's zone; the campaign's if they set none, or set one this machine cannot
    load (their /today must not fail for it)."""
    settings = await ctx.store.settings_of(ctx.user.platform, ctx.user.id)
    return zone_or(settings.timezone, ctx.config.zone)


def countdown_line(config: Config, now, tr: Translator) -> list:
    """The countdown's one sentence (time left, or when the deadline passed): /countdown's
    first line, and the welcome's."""
    campaign = config.campaign
    deadline, label = campaign.deadline, tr.text(campaign.deadline_label)
    when = Moment(deadline, tr.moment(deadline, config.zone))
    if deadline <= now:
        return tr.spans(PASSED, deadline=label, when=when)
    return tr.spans(LEFT, left=Bold(tr.duration(deadline - now)), deadline=Bold(label),
                    when=when)


def countdown_reply(config: Config, now, tr: Translator | None = None) -> Reply:
    tr = tr or translator()
    campaign = config.campaign
    parts = countdown_line(config, now, tr)
    if campaign.deadline <= now:
        return Reply.of(*parts)
    if campaign.deadline_text:
        parts.append("\n" + tr.text(campaign.deadline_text))
    return Reply.of(*parts)


def action_for(config: Config, today: date, tr: Translator | None = None) -> Reply:
    tr = tr or translator()
    action = next((a for a in config.actions if a.date == today), None)
    if action is None:
        return Reply.of(tr.t(FALLBACK, date=tr.day(today),
                             action=tr.text(config.prompts.fallback_action)))
    parts: list = [tr.t(TODAY, date=tr.day(today), action=tr.text(action.text))]
    if action.url:
        parts += ["\n", Link(action.url, action.url)]
    return Reply.of(*parts)


@router.command("countdown", deep_link_safe=True)
async def countdown(ctx: Context):
    """How long is left until the campaign deadline."""
    return countdown_reply(ctx.config, ctx.now, ctx.tr)


@router.command("today", deep_link_safe=True)
async def today(ctx: Context):
    """Today's action: one thing you can do today."""
    return today_reply(ctx, ctx.now.astimezone(await user_zone(ctx)).date())


def today_reply(ctx: Context, day: date) -> Reply:
    """The day's action with its Done button (prompts.py's "done" action: it marks that local
    date, which extends the person's streak)."""
    action = action_for(ctx.config, day, ctx.tr)
    done = Button(ctx.t(DONE_LABEL), "done", (day.isoformat(),))
    return Reply(action.body, ((done,),))

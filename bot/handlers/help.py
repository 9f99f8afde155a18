"""/start, /help, /donate and /cancel: what the campaign is and how to take part."""

from __future__ import annotations

from ..core import Bold, Link, Reply
from ..registry import Context, Router

router = Router()
tail = Router()  # listed last in /help, after the campaign commands

MODERATOR_HEADING = "For moderators:"
NOTHING_TO_CANCEL = "There's nothing to cancel."
CANCELLED = "Cancelled. Nothing you typed in that form was kept."


def help_reply(ctx: Context) -> Reply:
    campaign = ctx.config.campaign
    moderator = ctx.bot.is_moderator(ctx.incoming)
    parts: list = [Bold(campaign.name), f" — {campaign.organisation}\n{campaign.summary}\n"]
    lines = ctx.bot.help_lines(moderator)
    for name, description, for_mods in lines:
        if not for_mods:
            parts.append(f"\n/{name} — {description}")
    if moderator:
        parts.append(f"\n\n{MODERATOR_HEADING}")
        parts += [f"\n/{name} — {desc}" for name, desc, for_mods in lines if for_mods]
    parts += ["\n\nMore: ", Link(campaign.website, campaign.website)]
    return Reply.of(*parts)


@router.command("start")
async def start(ctx: Context):
    """Welcome, and what this campaign asks of you."""
    # Deep links (t.me/<bot>?start=sign) arrive as "/start sign": run that supporter command.
    target = ctx.incoming.args.strip().lower()
    command = ctx.bot.commands.get(target)
    if command and not command.moderator and target != "start":
        if command.private and not ctx.incoming.chat.is_direct:  # "/start mydata" in a group
            return ctx.bot.go_private(ctx.user.platform, target)
        return await command.handler(ctx)
    return help_reply(ctx)


@router.command("help")
async def help_(ctx: Context):
    """Every command, one line each."""
    return help_reply(ctx)


@tail.command("donate")
async def donate(ctx: Context):
    """Support the campaign with a donation."""
    campaign = ctx.config.campaign
    return Reply.of(campaign.donate_text, "\n", Link("Donate here", campaign.donate_url))


@tail.command("cancel", keeps_form=True)
async def cancel(ctx: Context):
    """Stop filling in a form; nothing you typed is kept."""
    user = ctx.user
    if await ctx.store.end_form_session(user.platform, user.id):
        return Reply.of(CANCELLED, private=True)
    return Reply.of(NOTHING_TO_CANCEL, private=True)

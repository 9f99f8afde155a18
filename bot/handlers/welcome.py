"""The welcome (issue 14): /start's short first screen, which leads to the campaign's three
actions in one tap, and the buttons under it. The dispatcher also shows it before a person's
first command on a platform with no start message (Capabilities.no_start_message).

Its buttons do what following a deep link does (`follow`, which /start <name> uses too): a
button's payload is anyone's to send, so it can only open what a link may open."""

from __future__ import annotations

from dataclasses import replace

from ..core import Bold, Button, FormRequest, Outgoing, Reply
from ..i18n import N_
from ..routing import STALE, Context, Router, as_list
from .countdown import countdown_line, user_zone
from .panel_view import SIGNED, group_link

router = Router()

FIRST = N_("Be the first to sign.")
# {date}: the day they signed, "3 June" in their language.
YOU_SIGNED = N_("You signed on {date}, thank you.")
SIGN = N_("Sign the petition")
RSVP = N_("RSVP for the Week of Action")
DAILY = N_("Get one action a day")
DONATE = N_("Donate")
INVITE = N_("Invite others")

ACTION = "welcome"
# What the welcome's buttons open, each as its deep link would (never anything that acts).
OPENS = ("sign", "rsvp", "invite", "subscribe")


async def welcome_reply(ctx: Context) -> Reply:
    """The ask, the live count, the countdown (or the closing message) and the buttons. In a
    group it says nothing about the person who asked: not whether they signed."""
    config, campaign = ctx.config, ctx.config.campaign
    over = campaign.deadline <= ctx.now
    direct = ctx.incoming.chat.is_direct
    total = await ctx.store.signature_total()
    signature = await ctx.store.signature_of(ctx.user.platform, ctx.user.id) if direct else None
    ask = ctx.text(campaign.ask) or ctx.text(config.petition.title)
    parts: list = [Bold(ctx.text(campaign.name)), f"\n{ask}\n\n"]
    if signature is not None:  # the day as /progress says it: in their own timezone
        signed_on = signature.signed_at.astimezone(await user_zone(ctx)).date()
        parts.append(ctx.t(YOU_SIGNED, date=ctx.tr.day_month(signed_on)) + "\n")
    parts.append(ctx.n(*SIGNED, total) if total or over else ctx.t(FIRST))
    if over:
        parts.append("\n" + ctx.text(config.prompts.closing_message))
    else:
        parts += ["\n", *countdown_line(config, ctx.now, ctx.tr)]
    # In a group where a press can only be answered there (no private answers in a group),
    # the buttons are links to the person's private chat with the bot, as a panel's are:
    # a form or a personal list cannot start in the group.
    link = None if direct else group_link(ctx.bot, ctx.user.platform)

    def opening(label: str, target: str) -> Button:
        return Button(ctx.t(label), url=link(target)) if link else Button(
            ctx.t(label), ACTION, (target,))

    buttons: list[Button] = []
    if not over:  # after the deadline, nothing more to sign or to invite to
        buttons.append(opening(INVITE, "invite") if signature is not None
                       else opening(SIGN, "sign"))
    if any(event.ends_at > ctx.now for event in config.events):
        buttons.append(opening(RSVP, "rsvp"))
    if not over:
        # In a private chat the press subscribes at once, as "Yes, subscribe me" does; in a
        # group it would subscribe the whole chat, so there it asks first, as its link does.
        buttons.append(Button(ctx.t(DAILY), "subscribe") if direct
                       else opening(DAILY, "subscribe"))
    buttons.append(Button(ctx.t(DONATE), url=campaign.donate_url))
    return Reply.of(*parts, buttons=[[b] for b in buttons], private=True)


router.on_welcome(welcome_reply)


async def follow(ctx: Context, target: str, args: str = "") -> list[Outgoing]:
    """What a deep link to `target` shows: the command as if typed alone, when it changes
    nothing by itself; the question it asks first; or, for anything else, the welcome."""
    command = ctx.bot.commands.get(target)
    direct = ctx.incoming.chat.is_direct
    if command is None or command.moderator or command.deep_link is None:
        return [await welcome_reply(ctx)]
    if command.private and not direct:  # "/start mydata" in a group
        return [ctx.bot.go_private(ctx.user.platform, target, ctx.tr)]
    # As if the command had been typed alone: "/start settings" is /settings, not a usage error.
    linked = replace(ctx, incoming=replace(ctx.incoming, kind="command", name=target,
                                           args=args, payload=()))
    out = as_list(await command.deep_link(linked))
    if direct and not command.keeps_form and any(isinstance(o, FormRequest) for o in out):
        out = await ctx.bot.abandon_form(ctx) + out
    return out


@router.action(ACTION)
async def welcome_pressed(ctx: Context):
    payload = ctx.incoming.payload
    if len(payload) != 1 or payload[0] not in OPENS:
        return Reply.of(ctx.t(STALE), private=True)
    return await follow(ctx, payload[0])

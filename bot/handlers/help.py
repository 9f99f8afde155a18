"""/start, /help, /donate and /cancel: what the campaign is and how to take part (the welcome
/start shows: bot/handlers/welcome.py)."""

from __future__ import annotations

from .. import sources
from ..core import Bold, Button, Link, Reply
from ..i18n import N_
from ..routing import STALE, Context, Router
from .referral import REFERRAL_PREFIX
from .welcome import follow, welcome_reply

router = Router()
tail = Router()  # listed last in /help, after the campaign commands

MODERATOR_HEADING = N_("For moderators:")
MORE = N_("More: {website}")
DONATE_LINK = N_("Donate here")
NOTHING_TO_CANCEL = N_("There's nothing to cancel.")
CANCELLED = N_("Cancelled. Nothing you typed in that form was kept.")
ASK_CANCEL = N_("Stop filling in your {title}? Nothing you typed in it will be kept.")
YES_CANCEL = N_("Yes, stop it")


def help_reply(ctx: Context) -> Reply:
    campaign = ctx.config.campaign
    moderator = ctx.bot.is_moderator(ctx.incoming)
    parts: list = [Bold(ctx.text(campaign.name)),
                   f" — {ctx.text(campaign.organisation)}\n{ctx.text(campaign.summary)}\n"]
    # Each command's docstring is its help line; the catalogs hold their translations.
    lines = [(name, ctx.t(description), for_mods)
             for name, description, for_mods in ctx.bot.help_lines(moderator)]
    for name, description, for_mods in lines:
        if not for_mods:
            parts.append(f"\n/{name} — {description}")
    if moderator:
        parts.append(f"\n\n{ctx.t(MODERATOR_HEADING)}")
        parts += [f"\n/{name} — {desc}" for name, desc, for_mods in lines if for_mods]
    parts += ["\n\n", *ctx.tr.spans(MORE, website=Link(campaign.website, campaign.website))]
    return Reply.of(*parts)


# keeps_form: a deep link is anyone's to send, so following one must not end the form someone
# is filling in; follow() sets it aside itself only when the link opens another form.
@router.command("start", keeps_form=True)
async def start(ctx: Context):
    """Welcome, and what this campaign asks of you."""
    # Deep links (t.me/<bot>?start=sign) arrive as "/start sign". A link changes nothing by
    # itself: it runs a command that only reads, opens a form or asks first, and for one that
    # would act (subscribe, unsubscribe, cancel) it shows the question; the press acts.
    target = ctx.incoming.args.strip().lower()
    args = ""
    if target.startswith(sources.PREFIX):  # "sign_flyer": /sign, recording where it came from
        target, args = "sign", ctx.incoming.args.strip()
    if not target:  # plain /start, typed: like any command, it sets an open form aside
        direct = ctx.incoming.chat.is_direct
        return (await ctx.bot.abandon_form(ctx) if direct else []) + [await welcome_reply(ctx)]
    if target.startswith(REFERRAL_PREFIX):  # r_<code>: someone's invite, /sign with the code
        target, args = "sign", target
    return await follow(ctx, target, args)


@router.command("help", deep_link_safe=True)
async def help_(ctx: Context):
    """Every command, one line each."""
    return help_reply(ctx)


@tail.command("donate", deep_link_safe=True)
async def donate(ctx: Context):
    """Support the campaign with a donation."""
    campaign = ctx.config.campaign
    return Reply.of(ctx.text(campaign.donate_text), "\n",
                    Link(ctx.t(DONATE_LINK), campaign.donate_url))


async def ask_cancel(ctx: Context):
    """What a deep link to /cancel shows: the question; the button ends the form."""
    user = ctx.user
    session = await ctx.store.form_session(user.platform, user.id)
    spec = ctx.bot.forms.get(session.form_id) if session else None
    if spec is None:
        return Reply.of(ctx.t(NOTHING_TO_CANCEL), private=True)
    title = spec.build(ctx).title
    return Reply.of(ctx.t(ASK_CANCEL, title=title), private=True,
                    buttons=[[Button(ctx.t(YES_CANCEL), "cancel", (spec.id,))]])


@tail.command("cancel", keeps_form=True, confirm_deep_link=ask_cancel)
async def cancel(ctx: Context):
    """Stop filling in a form; nothing you typed is kept."""
    if not ctx.incoming.chat.is_direct:
        # Forms are filled in privately. In a group, say the same to everyone, form or not,
        # and leave it alone: the group must not learn, or end, what someone does in private.
        return ctx.bot.go_private(ctx.user.platform, "cancel", ctx.tr)
    user = ctx.user
    if await ctx.store.end_form_session(user.platform, user.id):
        return Reply.of(ctx.t(CANCELLED), private=True)
    return Reply.of(ctx.t(NOTHING_TO_CANCEL), private=True)


@tail.action("cancel")
async def cancel_pressed(ctx: Context):
    # Only the form the question was about: a later one, started since, is not ended by it.
    payload, user = ctx.incoming.payload, ctx.user
    if len(payload) != 1 or payload[0] not in ctx.bot.forms or not ctx.incoming.chat.is_direct:
        return Reply.of(ctx.t(STALE), private=True)
    if await ctx.store.end_form_session(user.platform, user.id, payload[0]):
        return Reply.of(ctx.t(CANCELLED), private=True)
    return Reply.of(ctx.t(NOTHING_TO_CANCEL), private=True)

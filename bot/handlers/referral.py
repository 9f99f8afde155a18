"""/invite: a supporter's personal share message and referral code, and the referral steps of
signing (the code someone arrived with, the referrer's credit and their notice)."""

from __future__ import annotations

import re
from urllib.parse import quote

from ..core import Bold, Button, Reply
from ..i18n import N_, NP_, Translator
from ..routing import Context, Router

router = Router()

HEADING = N_("Invite others to sign")
CODE = N_("Your invite code: {code}")
LINK = N_("Your personal link: {link}")
SERVER = N_("On our server ({invite}), sign with /sign code:{code}")
WEBSITE = N_("Anywhere else, share the campaign website: {website}")
BROUGHT = NP_("Your link has brought {count} signature so far.",
              "Your link has brought {count} signatures so far.")
SHARE = N_("Share")
SHARE_TEXT = N_("Sign the petition with me: {title}")
# To the referrer, through the outbox: never who signed.
NOTICE = NP_("Someone you invited just signed. Your link has brought {count} signature.",
             "Someone you invited just signed. Your link has brought {count} signatures.")
NOTICE_HINT = N_("(To stop these messages: /settings invites off.)")
NOTICES_OFF = N_("You won't get a message when someone you invited signs. /settings invites on "
                 "turns them back on.")
NOTICES_ON = N_("You'll get a message when someone you invited signs.")
NOTICES_USAGE = N_("Use /settings invites on or /settings invites off.")

REFERRAL_PREFIX = "r_"  # a deep link's start parameter: r_<code>
# What a code can look like, whatever was typed: anything else is no code (and no error).
CODE_SHAPE = re.compile(r"[a-z0-9]{1,32}")


def clean_code(raw: str) -> str | None:
    code = raw.strip().lower().removeprefix(REFERRAL_PREFIX)
    return code if CODE_SHAPE.fullmatch(code) else None


async def invite_parts(ctx: Context) -> tuple[list, list]:
    """The share message's spans and its buttons: /invite's reply, and the thank-you's end."""
    user, config, t = ctx.user, ctx.config, ctx.t
    code = await ctx.store.referral_code(user.platform, user.id)
    brought = await ctx.store.referral_count(user.platform, user.id)
    parts: list = [Bold(t(HEADING)), "\n\n" + t(CODE, code=code)]
    buttons = []
    # Each platform that can open the bot from a link gives one (registered by its adapter);
    # each that declares a server invite gives that and the code to sign there with.
    for platform in sorted(ctx.bot.deep_links):
        link = ctx.bot.deep_links[platform](REFERRAL_PREFIX + code)
        parts.append("\n" + t(LINK, link=link))
        text = t(SHARE_TEXT, title=ctx.text(config.petition.title))
        share = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"
        buttons.append(Button(t(SHARE), url=share))
    for capabilities in ctx.bot.capabilities.values():
        invite = capabilities.invite(config)
        if invite:
            parts.append("\n" + t(SERVER, invite=invite, code=code))
    parts.append("\n" + t(WEBSITE, website=config.campaign.website))
    parts.append("\n\n" + ctx.n(*BROUGHT, brought))
    return parts, [buttons] if buttons else []


@router.command("invite", private=True, deep_link_safe=True)
async def invite(ctx: Context):
    """Your personal link to invite others, and how many it has brought."""
    parts, buttons = await invite_parts(ctx)
    return Reply.of(*parts, buttons=buttons, private=True)


async def set_notices(ctx: Context, value: str) -> Reply:
    """/settings invites on|off: the message when someone they invited signs."""
    choice = value.strip().lower()
    if choice not in ("on", "off"):
        return Reply.of(ctx.t(NOTICES_USAGE), private=True)
    on = choice == "on"
    await ctx.store.set_referral_notices(ctx.user.platform, ctx.user.id, on, ctx.now)
    said = NOTICES_ON if on else NOTICES_OFF
    return Reply.of(ctx.t(said), private=True)


async def arrived(ctx: Context, raw: str) -> None:
    """/sign <code> (a deep link r_<code>, Discord's code option): kept until they sign."""
    code = clean_code(raw)
    if code:
        await ctx.store.arrived_via(ctx.user.platform, ctx.user.id, code)


async def credit(ctx: Context) -> None:
    """After a first signature: credit the referrer once and queue their notice."""
    credited = await ctx.store.credit_referral(ctx.user.platform, ctx.user.id, ctx.now)
    if credited is not None:
        await ctx.store.queue_referral_notice(credited, notice_spec(credited.count), ctx.now)


def notice_spec(count: int) -> dict:
    return {"render": "referral", "count": count}


def notice_reply(count: int, tr: Translator) -> Reply:
    return Reply.of(tr.n(*NOTICE, count), "\n", tr.t(NOTICE_HINT))

"""/panel: a moderator puts a live campaign panel in a channel or group (what it shows:
panel_view.py), or takes it down; and the panel's buttons, answered privately to the presser."""

from __future__ import annotations

import re
from dataclasses import replace

from ..core import ChatRef, FormRequest, Reply
from ..i18n import N_
from ..routing import STALE, Context, Router
from .events import event_list
from .panel_view import ACTION, render, shown_on
from .petition import already_signed
from .prompts import subscribe

router = Router()

POSTED = N_("The campaign panel is up. It keeps itself current; /panel remove takes it down.")
POSTED_IN = N_("The campaign panel is up in {chat}. It keeps itself current; "
               "/panel remove {chat} takes it down.")
REMOVED = N_("The campaign panel is removed.")
REMOVED_KEPT = N_("The campaign panel is removed: it no longer changes. I couldn't delete its "
                  "message, so please delete it yourself.")
NO_PANEL = N_("There is no campaign panel here.")
WHERE = N_("Send /panel in the channel or group the panel is for. For a channel, send "
           "/panel @channelname (or /panel -100… with its id) here.")
BAD_TARGET = N_("{target} is not a channel's @name or -100… id.")
NOT_FOUND = N_("I can't find {target}. Check the name, and add me to it as an admin.")
NOT_ADMIN = N_("I'm not an admin of {target} allowed to post there. Make me one, then send "
               "/panel {target} again.")
NO_LOOKUP = N_("A panel for another chat can't be set up from here: send /panel in that chat.")
CANT_POST = N_("I couldn't post the panel there. Check that I may send messages in that chat.")

# A chat named from a private chat: a public @name, or a numeric id (channels: -100…).
TARGET = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{1,16}")


def _shared(ctx: Context) -> bool:
    """Whether an answer here is seen by the whole chat (a group without private answers)."""
    known = ctx.bot.capabilities.get(ctx.user.platform)
    return not ctx.incoming.chat.is_direct and not (known is not None and known.ephemeral)


async def _where(ctx: Context, ref: str) -> ChatRef | Reply:
    """The chat a panel command is about: this one, or (from a private chat) the channel
    `ref` names, which the platform must say the bot may post in."""
    chat, platform = ctx.incoming.chat, ctx.user.platform
    if not ref:
        return Reply.of(ctx.t(WHERE), private=True) if chat.is_direct else chat
    if not chat.is_direct or not TARGET.fullmatch(ref):
        return Reply.of(ctx.t(BAD_TARGET, target=ref), private=True)
    lookup = getattr(ctx.bot.senders.get(platform), "chat_access", None)
    if lookup is None:
        return Reply.of(ctx.t(NO_LOOKUP), private=True)
    access = await lookup(ref)
    if access is None:
        return Reply.of(ctx.t(NOT_FOUND, target=ref), private=True)
    if not access.can_post:
        return Reply.of(ctx.t(NOT_ADMIN, target=ref), private=True)
    return ChatRef(platform, access.chat_id, is_direct=False)


async def _delete(ctx: Context, chat_id: str, message_id: str) -> bool:
    """Delete a panel's message (sender.Deleter); False where it could not be deleted: it just
    stops changing."""
    delete = getattr(ctx.bot.senders.get(ctx.user.platform), "delete", None)
    return delete is not None and await delete(chat_id, message_id)


@router.command("panel", moderator=True, in_chat=True)
async def panel(ctx: Context):
    """Post a live campaign panel here (/panel remove takes it down)."""
    words = ctx.incoming.args.split()
    removing = bool(words) and words[0].lower() == "remove"
    ref = " ".join(words[1:] if removing else words)
    where = await _where(ctx, ref)
    if isinstance(where, Reply):
        return where
    platform = ctx.user.platform
    if removing:
        dropped = await ctx.store.drop_panel(platform, where.id)
        if dropped is None:
            return Reply.of(ctx.t(NO_PANEL), private=True)
        gone = await _delete(ctx, where.id, dropped.message_id)
        return Reply.of(ctx.t(REMOVED if gone else REMOVED_KEPT), private=True)
    sender = ctx.bot.senders.get(platform)
    reply = await render(ctx.bot, ctx.store, ctx.now, platform)
    result = await sender.deliver(where.id, reply) if sender is not None else None
    if result is None or not result.ok or not result.message_id:
        return Reply.of(ctx.t(CANT_POST), private=True)
    old = await ctx.store.save_panel(platform, where.id, result.message_id,
                                     shown_on(ctx.bot, platform, reply), ctx.now)
    if old is not None and old.message_id != result.message_id:
        await _delete(ctx, where.id, old.message_id)  # one panel per chat: the new one
    if ref:
        return Reply.of(ctx.t(POSTED_IN, chat=ref), private=True)
    # In a group everyone would read the confirmation: the panel itself says it worked.
    return None if _shared(ctx) else Reply.of(ctx.t(POSTED), private=True)


def _personal(ctx: Context) -> Context:
    """The presser's own conversation: a panel's button answers them privately (the platform
    shows it to them alone), about their own signature, RSVPs and prompts. A person's private
    chat has their user id, on every platform (as /forget's `unreachable` rule relies on)."""
    user = ctx.user
    mine = ChatRef(user.platform, user.id, is_direct=True)
    return replace(ctx, incoming=replace(ctx.incoming, chat=mine))


@router.action(ACTION)
async def panel_pressed(ctx: Context):
    payload = ctx.incoming.payload
    if payload not in (("sign",), ("rsvp",), ("subscribe",)):
        return Reply.of(ctx.t(STALE), private=True)
    if _shared(ctx):  # an old panel's button where nothing can be answered privately
        return ctx.bot.go_private(ctx.user.platform, payload[0], ctx.tr)
    mine = _personal(ctx)
    if payload == ("sign",):
        if ctx.config.campaign.deadline <= ctx.now:
            return Reply.of(ctx.text(ctx.config.prompts.closing_message), private=True)
        return await already_signed(mine) or FormRequest("sign")
    if payload == ("rsvp",):
        return await event_list(mine)
    out = await subscribe(mine)
    return replace(out, private=True) if isinstance(out, Reply) else out

"""Chats the bot is told about by name, and deleting its own messages: what a moderator's
`/panel @channel` (from a private chat, since commands never reach the bot in a channel) and
`/panel remove` need from Telegram (sender.ChatLookup, sender.Deleter).

A failure Telegram answers about the chat itself (no such chat, not a member) is an answer;
any other (a timeout, a 5xx) is raised, so the moderator hears "try again" rather than "not
found". Deleting is different: by then the panel is forgotten, so any failure is a False (the
moderator is told to delete the message by hand), never the generic apology."""

from __future__ import annotations

import logging

from telegram import Bot as PTBBot
from telegram import ChatMember, ChatMemberAdministrator
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from ...sender import ChatAccess
from .sending import target

log = logging.getLogger(__name__)

# deleteMessage's refusals that mean the message is not there: what a caller wanted.
DELETED_ALREADY = "message to delete not found"


def may_post(chat_type: str, member: ChatMember) -> bool:
    """Whether the bot may post (and later edit) a panel there. In a channel only an admin
    with the rights to post and to edit messages can; in a group any member allowed to send."""
    status = member.status
    if chat_type == ChatType.CHANNEL:
        return (isinstance(member, ChatMemberAdministrator)
                and bool(member.can_post_messages) and bool(member.can_edit_messages))
    if status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER,
                  ChatMemberStatus.MEMBER):
        return True
    return status == ChatMemberStatus.RESTRICTED and bool(
        getattr(member, "can_send_messages", False))


async def chat_access(bot: PTBBot, ref: str) -> ChatAccess | None:
    """`ref`: '@channelname' or a numeric id (-100…). getChat resolves it to the chat's id,
    then getChatMember tells what the bot itself may do there. None: no such chat (or the
    bot can't see it); a private chat is not one a panel can go to."""
    try:
        chat = await bot.get_chat(target(ref))
    except (BadRequest, Forbidden) as exc:
        log.info("telegram: a chat named for a panel was not found: %s", type(exc).__name__)
        return None
    if chat.type == ChatType.PRIVATE:
        return None
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except (BadRequest, Forbidden):  # not a member: nothing it may do there
        return ChatAccess(str(chat.id), False)
    return ChatAccess(str(chat.id), may_post(chat.type, member))


async def delete_message(bot: PTBBot, chat_id: str, message_id: str) -> bool:
    """Delete a message the bot sent. True when it is gone (now, or deleted already); False
    when Telegram refuses (no right there; too old for a bot that is no admin) or does not
    answer (timeout, 429, 5xx)."""
    try:
        return bool(await bot.delete_message(target(chat_id), int(message_id)))
    except BadRequest as exc:
        if DELETED_ALREADY in exc.message.lower():
            return True
        log.info("telegram: a message was not deleted: %s", exc.message[:80])
        return False
    except Forbidden:  # removed from the chat
        return False
    except TelegramError as exc:  # a timeout, a 429, a 5xx: whether it went is unknown
        log.info("telegram: a message was not deleted: %s", type(exc).__name__)
        return False

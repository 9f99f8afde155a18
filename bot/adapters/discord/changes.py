"""Changing messages the bot sent earlier: what an edit's refusal means (edited), and
deleting one (a removed or replaced campaign panel, sender.Deleter)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import aiohttp
import discord

from ...sender import MESSAGE_GONE, DeliveryResult, Outcome
from ...text import is_ascii_digits

log = logging.getLogger(__name__)

# Refusals that mean the message is not there any more (10008 Unknown Message; 10003 Unknown
# Channel: deleted, or the bot left the server): what a deletion wanted.
GONE_ALREADY = {10003, 10008}


def edited(result: DeliveryResult) -> DeliveryResult:
    """An edit's refusals that say the message (10008 Unknown Message) or its channel (10003
    Unknown Channel: deleted, or the bot left the server) is gone, so a caller stops editing."""
    if result.reason.endswith("/10008"):
        return replace(result, reason=MESSAGE_GONE)
    if result.reason.endswith("/10003"):
        return replace(result, outcome=Outcome.GONE)
    return result


async def delete_message(client: discord.Client | None, chat_id: str, message_id: str,
                         timeout: float) -> bool:
    """Delete a message the bot sent in a channel. True when it is gone (now, or already);
    False when it could not be (not connected, no right, Discord did not answer). A delete is
    one request like an edit, under discord.py's per-route rate limits."""
    if client is None or client.is_closed():
        return False
    if not (is_ascii_digits(chat_id) and is_ascii_digits(message_id)):
        return False
    channel = client.get_channel(int(chat_id))
    if not isinstance(channel, (discord.abc.GuildChannel, discord.Thread)) or not isinstance(
            channel, discord.abc.Messageable):
        return False  # not a channel of a server the bot is in (any more)
    try:
        await asyncio.wait_for(channel.get_partial_message(int(message_id)).delete(), timeout)
    except discord.HTTPException as exc:
        if exc.code in GONE_ALREADY:
            return True
        log.info("discord: a message was not deleted: %s/%s", exc.status, exc.code)
        return False
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.info("discord: a message was not deleted: %s", type(exc).__name__)
        return False
    return True


"""Answering a button press by replacing the message the button sits on (`Reply.edit`).

Telegram refuses an edit that changes nothing ("message is not modified"), so the pressed
message, which the callback query carries, is compared first: the same text and keyboard need
no call, the same text with other buttons needs editMessageReplyMarkup only. An edit can never
become several messages nor carry a file, and a photo's caption is no text to edit: those
answers, and a message Telegram will not edit (too old, gone), get a new message instead.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup
from telegram import Message as TgMessage

from ...core import Reply
from .render import render_parts
from .sending import Sending


def _shown(text: str) -> str:
    # The pressed message comes back as Telegram parsed it (PTB rebuilds its HTML, quoting
    # differently and without the whitespace Telegram trims): compare what it shows.
    return html.unescape(text).strip()


def _keyboard(markup: InlineKeyboardMarkup | None) -> list:
    return markup.to_dict()["inline_keyboard"] if markup is not None else []


async def replace_pressed(sending: Sending, message: TgMessage, reply: Reply) -> bool:
    """Show `reply` in place of the pressed `message`. False: it cannot be, or Telegram
    refused; the caller sends it as a new message."""
    parts = render_parts(reply)
    if len(parts) != 1 or parts[0][2] is not None or message.text is None:
        return False
    text, markup, _ = parts[0]
    same_text = _shown(text) == _shown(message.text_html)
    if same_text and _keyboard(markup) == _keyboard(message.reply_markup):
        return True  # already showing exactly this
    result = await sending.edit(str(message.chat.id), str(message.message_id), reply,
                                buttons_only=same_text)
    return result.ok

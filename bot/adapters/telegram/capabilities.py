"""What Telegram can do and how it counts, for the core (bot/capabilities.py). It imports no
python-telegram-bot: app.py reads it at start, before the adapter connects (or without it)."""

from __future__ import annotations

from ...capabilities import Capabilities, utf16_units
from ...config import Config, Moderators
from ...core import Incoming
from ...pacing import Pacing
from ...text import is_ascii_digits

PLATFORM = "telegram"
# "1-4096 characters after entities parsing", counted in UTF-16 code units (utf16_units).
MAX_TEXT = 4096
# A caption: "0-1024 characters after entities parsing", counted like the text.
MAX_CAPTION = 1024
# Uploads a bot may send (core.telegram.org/bots/api#sending-files): a photo of at most 10 MB,
# any other file of at most 50 MB. Counted in decimal megabytes, the smaller reading.
MAX_PHOTO = 10_000_000
MAX_DOCUMENT = 50_000_000


def is_group(chat_id: str) -> bool:
    return chat_id.startswith("-")  # groups and channels have negative ids


def pacing(config: Config) -> Pacing:
    # About 30 messages a second overall (broadcast_rate stays below it), one a second to one
    # chat, 20 a minute to one group.
    return Pacing(rate=config.telegram.broadcast_rate, per_chat_interval=1.0,
                  group_per_minute=20, is_group=is_group)


def is_moderator(incoming: Incoming, moderators: Moderators) -> bool:
    user_id = incoming.user.id  # never "٤٢" or "4²", which int() would misread or refuse
    return is_ascii_digits(user_id) and int(user_id) in moderators.telegram_user_ids


CAPABILITIES = Capabilities(
    PLATFORM, max_text=MAX_TEXT, measure=utf16_units, pacing=pacing, ephemeral=False,
    modals=False, attachments=True, moderator=is_moderator, max_image=MAX_PHOTO,
    max_document=MAX_DOCUMENT)

"""A third platform's declaration, for tests: what it would take to add Matrix (its own text
limit and way of counting, its own pacing, its own moderators) without touching the core."""

from __future__ import annotations

from bot.capabilities import Capabilities
from bot.config import Config, Moderators
from bot.core import Incoming, Reply
from bot.pacing import Pacing

PLATFORM = "matrix"
MAX_TEXT = 1000  # counted in UTF-8 bytes (`measure`), unlike either platform the bot ships with
MODERATORS = frozenset({"@mod:example.org"})  # a real adapter would read its own config section
PER_CHAT = 0.2  # seconds between two messages to one room


def measure(reply: Reply) -> int:
    return len(reply.plain_text().encode("utf-8"))


def is_room(chat_id: str) -> bool:
    return chat_id.startswith("!")


def pacing(config: Config) -> Pacing:
    return Pacing(rate=50, per_chat_interval=PER_CHAT, group_per_minute=30, is_group=is_room)


def is_moderator(incoming: Incoming, moderators: Moderators) -> bool:
    return incoming.user.id in MODERATORS


CAPABILITIES = Capabilities(PLATFORM, max_text=MAX_TEXT, measure=measure, pacing=pacing,
                            ephemeral=False, modals=False, attachments=True,
                            moderator=is_moderator)

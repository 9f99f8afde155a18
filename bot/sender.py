"""What an adapter reports after trying to send one message, so the outbox (and the adapters'
own reply paths) can act on it without knowing the platform.

Every failure lands in exactly one class, because each is handled differently:
- RETRY:     429 (wait exactly `retry_after`), 5xx, connection refused/reset before sending;
- GONE:      the person blocked the bot, deleted their account, never started it, or closed
             their DMs (Discord 50007/50278): stop sending to them, never retry;
- PERMANENT: any other 4xx (bad request): record it and go on;
- UNCERTAIN: a timeout after the request went out: it may have arrived, so never resend blindly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from .core import Reply


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    PERMANENT = "permanent"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    retry_after: float | None = None  # seconds, for a platform's 429
    reason: str = ""  # short and free of personal data: an error code or class name
    message_id: str | None = None
    # How many messages of the reply (as the platform splits it) have arrived, counting any
    # the caller skipped: a retry after a failure part-way sends only the rest.
    parts_done: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DELIVERED


class Sender(Protocol):
    """Implemented by each platform adapter: send one reply to one chat (a private chat id for
    a person, or a group/channel id), split as the platform needs, and classify the result."""

    platform: str

    async def deliver(self, chat_id: str, reply: Reply, *, skip: int = 0) -> DeliveryResult:
        """`skip`: the first messages of the split reply already arrived (an earlier attempt
        failed part-way): send only the rest. Callers pass it only when it is not 0, so a
        sender that never splits may leave it out."""
        ...

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> DeliveryResult:
        """Replace a message this bot sent (the announcement progress message)."""
        ...


# DeliveryResult.reason for a GONE recipient whose Discord DMs are closed (50007, 50278): the
# announcement report counts these apart from people who blocked the bot or left.
DMS_CLOSED = "dms_closed"


@dataclass(frozen=True)
class ChatAccess:
    """What a platform says about a chat the bot was told to post in (a channel named by its
    @name or id): its id there, and whether the bot may post and edit messages in it."""

    chat_id: str
    can_post: bool


class ChatLookup(Protocol):
    """Implemented by an adapter that can look up a chat by name (Telegram's getChat): a
    moderator can then set up a panel in a channel, where commands never reach the bot."""

    async def chat_access(self, ref: str) -> ChatAccess | None:
        """None: no such chat, or the bot is not in it."""
        ...


class Deleter(Protocol):
    """Implemented by an adapter that can delete its own messages (a removed panel)."""

    async def delete(self, chat_id: str, message_id: str) -> bool:
        """Delete a message this bot sent; False if it could not (gone already, no right)."""
        ...


# DeliveryResult.reason for an edit of a message that no longer exists (deleted by someone):
# the panel service stops editing it and forgets it.
MESSAGE_GONE = "message_gone"
# DeliveryResult.reason for an edit in a chat the platform gave a new id (a Telegram group
# upgraded to a supergroup): the message stays behind in the old chat and the new one numbers
# its own messages, so it can never be edited by that id. The adapter has moved what is stored
# about the chat (Storage.move_chat); the panel service posts the panel afresh there.
CHAT_MOVED = "chat_moved"

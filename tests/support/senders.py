"""A stand-in for a platform adapter's Sender (bot/sender.py), for tier-1 tests of the outbox
worker and the announcement runner: it records what would have been sent and answers with
whatever outcome a test scripts."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core import Reply
from bot.sender import DeliveryResult, Outcome

DELIVERED = DeliveryResult(Outcome.DELIVERED)


def retry(after: float | None = None, reason: str = "") -> DeliveryResult:
    return DeliveryResult(Outcome.RETRY, retry_after=after, reason=reason)


class FakeSender:
    """Records each delivery in `sent` (chat id, plain text) with its monotonic time in `stamps`,
    each edit in `edits` (chat id, message id, text), and both in `timeline`, in order.

    A delivery is answered from, in this order: `per_chat` (chat id -> outcomes for its next
    deliveries, one each), `per_call` (outcomes for the next deliveries, whatever the chat),
    `outcomes` (chat id -> the outcome every time), then `default` (delivered, its message id
    the delivery's number). An outcome may be a DeliveryResult, an exception to raise, or a
    callable (sync or async) returning one. With `gate` set, each delivery hangs until the gate
    opens; `during(n, make)` runs a coroutine inside the n-th delivery, as if a moderator
    pressed a button while that message was on its way.

    `deliver` takes no `skip`: the outbox must keep calling senders written before split
    replies existed (tests/test_split_replies.py)."""

    def __init__(self, platform: str = "telegram",
                 outcomes: dict[str, DeliveryResult] | None = None, *,
                 per_chat: dict[str, list[Any]] | None = None, per_call: list[Any] | None = None,
                 default: Any = None, gate: asyncio.Event | None = None) -> None:
        self.platform = platform
        self.outcomes = outcomes or {}
        self.per_chat = {chat: list(answers) for chat, answers in (per_chat or {}).items()}
        self.per_call = list(per_call or [])
        self.default = default
        self.gate = gate
        self.sent: list[tuple[str, str]] = []
        self.stamps: list[float] = []
        self.edits: list[tuple[str, str, str]] = []
        self.deleted: list[tuple[str, str]] = []  # (chat id, message id) of delete() calls
        self.can_delete = True  # what delete() answers
        self.timeline: list[tuple[str, str]] = []
        self.hooks: dict[int, Callable[[], Awaitable[object]]] = {}
        self.deliveries = 0

    def during(self, n: int, make: Callable[[], Awaitable[object]]) -> None:
        self.hooks[n] = make

    async def deliver(self, chat_id: str, reply: Reply) -> DeliveryResult:
        self.deliveries += 1
        number = self.deliveries
        hook = self.hooks.pop(number, None)
        if hook is not None:
            await hook()
        text = reply.plain_text()
        self.sent.append((chat_id, text))
        self.timeline.append((chat_id, text))
        self.stamps.append(time.monotonic())
        if self.gate is not None:
            await self.gate.wait()
        if self.per_chat.get(chat_id):
            outcome = self.per_chat[chat_id].pop(0)
        elif self.per_call:
            outcome = self.per_call.pop(0)
        elif chat_id in self.outcomes:
            outcome = self.outcomes[chat_id]
        elif self.default is not None:
            outcome = self.default
        else:
            outcome = DeliveryResult(Outcome.DELIVERED, message_id=str(number))
        if callable(outcome):
            outcome = outcome()
            if inspect.isawaitable(outcome):
                outcome = await outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> DeliveryResult:
        text = reply.plain_text()
        self.edits.append((chat_id, message_id, text))
        self.timeline.append((chat_id, text))
        return DeliveryResult(Outcome.DELIVERED, message_id=message_id)

    async def delete(self, chat_id: str, message_id: str) -> bool:
        self.deleted.append((chat_id, message_id))
        return self.can_delete

    @property
    def chats(self) -> list[str]:
        """The chat of each delivery, in order."""
        return [chat for chat, _ in self.sent]

    def times(self, chat_id: str) -> list[float]:
        return [t for (chat, _), t in zip(self.sent, self.stamps) if chat == chat_id]

    def announced(self, text: str) -> list[str]:
        """The chats `text` was delivered to."""
        return [chat for chat, sent in self.sent if sent == text]

    def to(self, chat_id: str) -> list[str]:
        """What one chat was sent or had edited, in order."""
        return [text for chat, text in self.timeline if chat == chat_id]

"""Telegram updates -> who sent them, and in what order they are processed.

Two rules live here, apart from the adapter's plumbing:
- Nobody gets moderator rights from a message sent on behalf of a chat. Anonymous group admins
  post as `sender_chat` (the group), channels post as themselves, and automatic forwards from a
  linked channel come from user 777000. Such a sender gets a non-numeric user id ("chat-100…"),
  which can never match `[moderators] telegram_user_ids`.
- One person's updates run in the order they arrived, different people's concurrently. A form
  is a sequence of questions stored in SQLite: two messages of one person processed at once
  could both answer the same question. A repeated update id (Telegram resends a batch whose
  confirmation got lost) is handled once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseUpdateProcessor

from ...core import UserRef
from .capabilities import PLATFORM

log = logging.getLogger(__name__)

SERVICE_USER_ID = 777000  # Telegram's own account: automatic forwards, service notices
# PTB's semaphore is taken before our per-person lock; kept out of the way so that a person
# with several queued updates holds one of our slots, not one each, while they wait their turn.
PTB_QUEUE_BOUND = 1 << 15


def sender(message: Message) -> tuple[UserRef, bool]:
    """The person behind a message, and whether the message itself proves they manage the
    chat (an anonymous admin posts as the group: only admins can)."""
    chat = message.chat
    if message.sender_chat is not None:
        on_behalf = message.sender_chat
        return (UserRef(PLATFORM, f"chat{on_behalf.id}", on_behalf.title or ""),
                on_behalf.id == chat.id)
    user = message.from_user
    if user is None or user.id == SERVICE_USER_ID or message.is_automatic_forward:
        return UserRef(PLATFORM, f"chat{chat.id}", ""), False
    return UserRef(PLATFORM, str(user.id), user.full_name), False


def ordering_key(update: object) -> Hashable | None:
    """Whose turn an update waits for: the person (or the chat speaking as itself)."""
    if not isinstance(update, Update):
        return None
    message = update.message
    if message is not None and message.sender_chat is not None:
        return ("chat", message.sender_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None


class PerUserOrder(BaseUpdateProcessor):
    """At most `concurrency` updates at once; each person's strictly in arrival order.

    PTB starts a task per update in arrival order, and both its semaphore and asyncio.Lock
    wake waiters first-in first-out, so taking a per-person lock here keeps that order."""

    def __init__(self, concurrency: int, remember: int = 10_000) -> None:
        super().__init__(max_concurrent_updates=PTB_QUEUE_BOUND)
        self._slots = asyncio.Semaphore(concurrency)
        self._turns: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._remember = remember

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update):
            if update.update_id in self._seen:
                log.info("telegram: update delivered twice; handled once")
                if inspect.iscoroutine(coroutine):
                    coroutine.close()  # never started: close it so nothing warns
                return
            self._seen[update.update_id] = None
            if len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        key = ordering_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, waiting = self._turns.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._turns[key]  # nobody else queued for this person

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

"""How fast one platform's outbox worker may send: the platform's overall rate and the spacing
each chat needs (bot/outbox.py does the sending). Kept apart from the worker so the limits read
on their own: what a platform allows, and the per-chat bookkeeping that enforces it with flat
memory however many recipients a broadcast has."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Pacing:
    rate: float  # messages per second over the whole platform
    per_chat_interval: float = 0.0  # Telegram: at most one message per second to one chat
    group_per_minute: int = 0  # Telegram: at most 20 messages per minute to one group
    is_group: Callable[[str], bool] = lambda chat_id: False
    invalid_budget: int = 0  # Discord: failed requests allowed per 10 minutes (0: no budget)


class ChatPacer:
    """Per-chat spacing. Forgets a chat once its last send no longer holds anything back: a
    group after a minute, any other chat after per_chat_interval. So memory stays flat however
    many recipients a broadcast has, and at any rate: keeping every chat for a minute held
    rate x 60 entries (about 17 MB at 300 messages/s)."""

    def __init__(self, pacing: Pacing):
        self.pacing = pacing
        self.recent: dict[str, deque[float]] = {}
        self._last_sweep = 0.0

    async def wait_turn(self, chat_id: str) -> None:
        p = self.pacing
        if not p.per_chat_interval and not p.group_per_minute:
            return
        sent = self.recent.setdefault(chat_id, deque())
        now = time.monotonic()
        slot = now
        if sent and p.per_chat_interval:
            slot = max(slot, sent[-1] + p.per_chat_interval)
        if p.group_per_minute and p.is_group(chat_id) and len(sent) >= p.group_per_minute:
            slot = max(slot, sent[-p.group_per_minute] + 60.0)
        # Reserve the slot before sleeping, so concurrent sends to one chat queue up behind it.
        sent.append(slot)
        while len(sent) > max(p.group_per_minute, 1):
            sent.popleft()
        if len(self.recent) > 1000 and now - self._last_sweep > 1.0:
            self._forget_idle(now)
        if slot > now:
            await asyncio.sleep(slot - now)

    def _forget_idle(self, now: float) -> None:
        self._last_sweep = now
        p = self.pacing
        group_cutoff, cutoff = now - 60.0, now - p.per_chat_interval

        def idle(chat_id: str, sent: deque[float]) -> bool:
            if not sent:
                return True
            grouped = bool(p.group_per_minute) and p.is_group(chat_id)
            return sent[-1] < (group_cutoff if grouped else cutoff)

        for chat_id in [c for c, s in self.recent.items() if idle(c, s)]:
            del self.recent[chat_id]

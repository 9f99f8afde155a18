"""Keeps every campaign panel (/panel, bot/handlers/panel.py) current: each is edited when its
content changes (the count, the next event, the deadline passing), at most once a minute.

Panels are rows in the database, so the edits resume after a restart. Each edit waits for the
platform's pace like the outbox's sends (the same limiter and per-chat spacing of that
platform's OutboxWorker), so a burst of panels never pushes deliveries past a platform's limits;
while a 429 pauses that platform (OutboxWorker.paused_until) no panel is edited, and a 429
answering an edit pauses the platform's sends too, as one answering a send does.
A panel whose message was deleted, or whose chat the bot was removed from, is forgotten: never
edited again (each refused request counts against the bot on Discord). A panel whose chat got
a new id (a Telegram group upgraded to a supergroup) has no message there (Storage.move_chat):
it is posted afresh, at once.

The check runs once a minute, and at once when woken (`wake`: a signature or a withdrawal,
Context.signatures_changed), so a new count shows within seconds; a panel edited less than a
minute before waits for exactly the rest of its minute (`due`), not for the next poll. A test
with a FrozenClock calls `check` itself, or wakes a running service."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .core import Reply
from .handlers.messages import panel_fingerprint, render_panel
from .sender import CHAT_MOVED, MESSAGE_GONE, DeliveryResult, Outcome
from .storage import Panel

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .outbox import OutboxWorker

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)  # at most one edit per panel in this time
POLL = 60.0  # seconds between checks when nothing wakes the service


class PanelService:
    def __init__(self, bot: Dispatcher, workers: Mapping[str, OutboxWorker] | None = None,
                 poll: float = POLL) -> None:
        self.bot, self.workers, self.poll = bot, workers or {}, poll
        self._wake = asyncio.Event()
        # Seconds (on the bot's clock) until the first panel that changed too soon after its
        # last edit may be edited; None: none is waiting. Set by each check.
        self.due: float | None = None

    def wake(self) -> None:
        """Something a panel shows changed (a signature): check now, not at the next poll."""
        self._wake.set()

    async def check(self) -> dict[str, int]:
        """Edit every panel whose content changed and whose last edit is a minute old.
        Returns counts: edited, dropped (message or chat gone), waiting (changed, too soon,
        or the platform paused after a 429)."""
        now = self.bot.clock.now()
        done = {"edited": 0, "dropped": 0, "waiting": 0}
        rendered: dict[str, tuple] = {}  # one render per platform: every chat's is the same
        self.due = None
        for panel in await self.bot.store.all_panels():
            sender = self.bot.senders.get(panel.platform)
            if sender is None:
                continue  # that platform is not connected in this process
            if panel.platform not in rendered:
                reply = await render_panel(self.bot, self.bot.store, now, panel.platform)
                rendered[panel.platform] = (reply, panel_fingerprint(self.bot, panel.platform,
                                                                      reply))
            reply, shown = rendered[panel.platform]
            if not panel.message_id:  # moved to a new chat id: posted there, not edited
                if await self._paused_after_turn(panel):
                    done["waiting"] += 1
                    continue
                done[await self._post(panel, reply, shown, now)] += 1
                continue
            if shown == panel.shown:
                continue
            since = now - (panel.edited_at or panel.created_at)
            if since < EVERY:
                done["waiting"] += 1
                self._due_in((EVERY - since).total_seconds())
                continue
            if await self._paused_after_turn(panel):
                done["waiting"] += 1
                continue
            result = await sender.edit(panel.chat_id, panel.message_id, reply)
            done[await self._settle(panel, result, shown, now)] += 1
        return done

    async def _post(self, panel: Panel, reply: Reply, shown: str, now: datetime) -> str:
        """Post the panel in its chat, which has no message of it (the chat got a new id)."""
        store, sender = self.bot.store, self.bot.senders[panel.platform]
        result = await sender.deliver(panel.chat_id, reply)
        self._note_pause(panel, result)
        if result.outcome in (Outcome.RETRY, Outcome.UNCERTAIN):
            return "waiting"  # tried again at the next check
        if not result.ok or not result.message_id:  # it may not post there: forgotten
            await store.drop_panel(panel.platform, panel.chat_id, "")
            log.info("%s: a moved panel could not be posted (%s); forgotten", panel.platform,
                     result.reason)
            return "dropped"
        if not await store.panel_posted(panel, result.message_id, shown, now):
            # A moderator posted or removed the chat's panel meanwhile: theirs stands.
            delete = getattr(sender, "delete", None)
            if delete is not None:
                await delete(panel.chat_id, result.message_id)
        return "edited"

    def _due_in(self, seconds: float) -> None:
        self.due = seconds if self.due is None else min(self.due, seconds)

    def _pause_left(self, panel: Panel) -> float:
        worker = self.workers.get(panel.platform)
        return 0.0 if worker is None else max(0.0, worker.paused_until - time.monotonic())

    async def _paused_after_turn(self, panel: Panel) -> bool:
        """Wait for the panel's turn like a send (an edit is a request like any other). True:
        the platform is paused after a 429 (now, or since it began waiting), so the panel is
        not touched and is checked again when the pause ends; the service is not held up."""
        worker = self.workers.get(panel.platform)
        if worker is not None and not self._pause_left(panel):
            await worker.limiter.acquire()
            await worker.chats.wait_turn(panel.chat_id)
        left = self._pause_left(panel)
        if left:
            self._due_in(left)
        return left > 0

    def _note_pause(self, panel: Panel, result: DeliveryResult) -> None:
        """A 429 answering a panel's request pauses the whole platform, as the outbox does for
        one answering a send: the platform counts every request toward its limit."""
        worker = self.workers.get(panel.platform)
        if result.outcome is Outcome.RETRY and result.retry_after is not None:
            if worker is not None:
                worker.paused_until = max(worker.paused_until,
                                          time.monotonic() + result.retry_after)
            self._due_in(result.retry_after)

    async def _settle(self, panel: Panel, result: DeliveryResult, shown: str,
                      now: datetime) -> str:
        store = self.bot.store
        self._note_pause(panel, result)
        if result.reason == CHAT_MOVED:
            # The row moved to the chat's new id without a message: posted there at once.
            self.due = 0.0
            return "waiting"
        if result.outcome is Outcome.GONE or result.reason == MESSAGE_GONE:
            # Deleted by someone, or the bot was removed from the chat: forgotten for good.
            await store.drop_panel(panel.platform, panel.chat_id, panel.message_id)
            log.info("%s: a panel is gone (%s); no longer editing it", panel.platform,
                     result.reason)
            return "dropped"
        if result.outcome in (Outcome.RETRY, Outcome.UNCERTAIN):
            return "waiting"  # tried again at the next check
        if not result.ok:  # refused for another reason: not retried until the content changes
            log.warning("%s: editing a panel failed: %s", panel.platform, result.reason)
        await store.panel_shown(panel, shown, now)
        return "edited"

    async def run(self, stop: asyncio.Event) -> None:
        """Check now, then every `poll` seconds or when woken, until `stop` is set."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.check()
            except Exception as exc:  # a failed check is tried again at the next one
                log.exception("panels: check failed: %s", type(exc).__name__)
            waker = asyncio.create_task(self._wake.wait())
            stopper = asyncio.create_task(stop.wait())
            # A panel waiting out its minute is checked when that minute ends.
            wait = self.poll if self.due is None else min(self.poll, self.due)
            await asyncio.wait({waker, stopper}, timeout=wait,
                               return_when=asyncio.FIRST_COMPLETED)
            waker.cancel()
            stopper.cancel()

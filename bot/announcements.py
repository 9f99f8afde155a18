"""Runs confirmed announcements one at a time: queues the recipients in the outbox, keeps the
moderator's progress message up to date, and reports per platform at the end."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from .core import Button, Reply, reply_to_dict
from .delivery import Sender
from .handlers.announce import announcement_reply, report_lines
from .registry import Bot

log = logging.getLogger(__name__)

PROGRESS = "Announcement #{id}: {done:,} / {total:,} sent"
FINISHED = "Announcement #{id} finished."
CANCELLED = "Announcement #{id} was cancelled."
NOBODY = "Announcement #{id}: nobody to send it to."
CANCEL = "Cancel"
EVERY = 3.0  # seconds between progress edits: often enough to watch, rare enough for limits


class AnnouncementRunner:
    def __init__(self, bot: Bot, wake_workers: Callable[[], None] = lambda: None,
                 every: float = EVERY):
        self.bot = bot
        self.wake_workers = wake_workers
        self.every = every
        self._wake = asyncio.Event()
        self._shown: dict[int, str] = {}  # announcement id -> last progress text shown
        self._alerts: set[asyncio.Task] = set()

    def wake(self) -> None:
        self._wake.set()

    def alert(self, text: str) -> None:
        """Tell the author of the announcement being sent (delivery paused, say); logged
        anyway by whoever raised it."""
        task = asyncio.get_running_loop().create_task(self._alert(text))
        self._alerts.add(task)
        task.add_done_callback(self._alerts.discard)

    async def _alert(self, text: str) -> None:
        for a in await self.bot.store.announcements_in(("sending",), limit=1):
            sender = self.bot.senders.get(a.author_platform)
            if sender is not None and a.author_chat:
                await sender.deliver(a.author_chat, Reply.of(text))

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self.bot.senders)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except Exception as exc:
                log.error("announcement runner failed: %s", type(exc).__name__, exc_info=True)
            self._wake.clear()
            waiters = {asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())}
            _, pending = await asyncio.wait(waiters, timeout=self.every,
                                            return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    async def step(self) -> None:
        """One pass: release scheduled ones that are due, start the next queued one if none is
        sending, and update the progress of the one sending."""
        store, now = self.bot.store, self.bot.clock.now()
        for a in await store.announcements_in(("scheduled",), limit=100):
            if a.send_at and a.send_at <= now:
                await store.update_announcement(a.id, expect=("scheduled",), status="queued")
        sending = await store.announcements_in(("sending",), limit=1)
        if not sending:
            queued = await store.announcements_in(("queued",), limit=1)
            if queued:
                await self._start(queued[0])
            sending = await store.announcements_in(("sending",), limit=1)
        for a in sending:
            await self._progress(a)
        for a in await store.announcements_in(("cancelled",), limit=100):
            if a.id in self._shown:  # cancelled while we showed progress: say so, once
                await self._show(a, Reply.of(CANCELLED.format(id=a.id)))
                del self._shown[a.id]

    async def _start(self, a) -> None:
        store, now = self.bot.store, self.bot.clock.now()
        message = await store.message(f"ann:{a.id}", "announcement",
                                      reply_to_dict(announcement_reply(a.text)), now)
        # Recipients are queued before the status flips, both idempotent: a crash in between
        # re-runs this and the UNIQUE keys add nobody twice.
        added = await store.enqueue_announcement(a, message, self.platforms, now)
        await store.update_announcement(a.id, expect=("queued",), status="sending",
                                        message_id=message, started_at=now)
        log.info("announcement #%d: %d recipients queued", a.id, added)
        self.wake_workers()

    async def _progress(self, a) -> None:
        store = self.bot.store
        # Unfinished first: a row finishing between the two reads then shows as done in the
        # counts, never as "not sent" in a final report.
        unfinished = await store.unfinished_rows(a.message_id)
        counts = await store.delivery_counts(a.message_id)
        total = sum(sum(states.values()) for states in counts.values())
        if unfinished == 0:
            await store.update_announcement(a.id, expect=("sending",), status="done",
                                            finished_at=self.bot.clock.now())
            closed = await store.dms_closed_counts(a.message_id)
            head = FINISHED if total else NOBODY
            text = "\n".join([head.format(id=a.id), *report_lines(counts, closed)])
            await self._show(a, Reply.of(text), final=True)
            self._shown.pop(a.id, None)
            return
        text = PROGRESS.format(id=a.id, done=total - unfinished, total=total)
        buttons = [[Button(CANCEL, "ann", (str(a.id), "cancel"))]]
        await self._show(a, Reply.of(text, buttons=buttons))

    async def _show(self, a, reply: Reply, final: bool = False) -> None:
        """Edit the progress message in the moderator's chat (or send it the first time)."""
        text = reply.plain_text()
        if self._shown.get(a.id) == text and not final:
            return
        sender: Sender | None = self.bot.senders.get(a.author_platform)
        if sender is None or not a.author_chat:
            return
        self._shown[a.id] = text
        if a.progress_id and hasattr(sender, "edit"):
            result = await sender.edit(a.author_chat, a.progress_id, reply)
            if result.ok:
                return
        result = await sender.deliver(a.author_chat, reply)
        if result.ok and result.message_id:
            await self.bot.store.update_announcement(
                a.id, expect=("sending", "done", "cancelled"), progress_id=result.message_id)

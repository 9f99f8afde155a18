"""Durable, paced delivery: one worker per platform drains that platform's outbox rows.

Each row is one message to one recipient. A row is claimed ('sending') just before its send, in
one statement that also refuses it when it must no longer go out: past its expiry ('expired'),
or its reason gone (a reminder whose RSVP was cancelled, a prompt whose subscription was not
active: 'cancelled'). Prompts and reminders are rendered at that moment from the config as it is
(handlers/messages.py). It is given its final state right after the send, so a crash (kill -9)
leaves at most the rows in flight in 'sending'; a restart sends those again. That is the only way
a recipient can get a message twice, and the bound is `concurrency` messages per platform.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import OrderedDict, deque
from datetime import timedelta
from typing import Callable

from aiolimiter import AsyncLimiter

from .announcement_runner import VERSIONS, Notice, pick_version
from .core import Reply, reply_from_dict
from .dispatch import Dispatcher
from .handlers.messages import RENDER, chat_paused_spec, render
from .i18n import N_, translator
from .pacing import ChatPacer, Pacing
from .sender import DeliveryResult, Outcome, Sender
from .slots import zone_or
from .storage import OutboxRow

log = logging.getLogger(__name__)

STATE = {Outcome.DELIVERED: "delivered", Outcome.GONE: "gone", Outcome.PERMANENT: "failed",
         Outcome.UNCERTAIN: "uncertain"}
INVALID_WINDOW = 600.0  # Discord counts invalid requests over 10 minutes
# Said to every moderator, each in their language (AnnouncementRunner.alert).
PAUSED = N_("Delivery on {platform} paused for about {minutes} minutes: {budget} failed "
            "requests in 10 minutes (the platform bans above that). It resumes by itself.")
CATCH_UP = 0.05  # seconds of sends the platform limiter may catch up on after a late wake-up
# Seconds an idle worker sleeps before looking again, when nothing woke it: it is woken for new
# work, but not for the notice it queues itself when a send finds a subscribed chat gone.
IDLE_POLL = 1.0


async def render_message(bot: Dispatcher, body: dict, platform: str, user_id: str | None
                         ) -> Reply | None:
    """A stored body as it goes out now: a finished reply (announcements) as it is; a spec
    (prompts, reminders) rendered from the current config, in the recipient's own zone and
    language (a group or channel: the campaign's default language)."""
    if RENDER not in body:
        return reply_from_dict(body)
    config = bot.config
    zone, lang = config.zone, config.languages[0]
    if user_id is not None and len(config.languages) > 1:
        chosen = await bot.store.recipient_language(platform, user_id)
        lang = chosen if chosen in config.languages else lang
    if body[RENDER] == VERSIONS:  # an announcement with versions: the recipient's language's
        return reply_from_dict(pick_version(body, lang))
    if user_id is not None and body[RENDER] == "reminder":
        zone = zone_or((await bot.store.settings_of(platform, user_id)).timezone, zone)
    return render(config, body, bot.clock.now(), zone, translator(lang))


class OutboxWorker:
    def __init__(
        self,
        bot: Dispatcher,
        sender: Sender,
        pacing: Pacing,
        *,
        concurrency: int = 16,
        batch: int = 200,
        max_attempts: int = 5,
        on_alert: Callable[[str], None] | None = None,
        on_drained: Callable[[], None] | None = None,
        idle_poll: float = IDLE_POLL,
    ):
        self.bot, self.sender, self.pacing = bot, sender, pacing
        self.platform = sender.platform
        # `rate` per second with a burst of at most CATCH_UP seconds' worth (never less than
        # one message). AsyncLimiter(rate, 1.0) would let `rate` messages out at once, then
        # `rate` more within the first second; a bucket of exactly one message loses, at every
        # send, the time the event loop takes to wake the waiter (1 ms of a 3 ms slot at 300/s),
        # which this small bucket gives back.
        burst = max(1.0, pacing.rate * CATCH_UP)
        self.limiter = AsyncLimiter(burst, burst / pacing.rate)
        self.chats = ChatPacer(pacing)
        self.slots = asyncio.Semaphore(concurrency)
        self.batch, self.max_attempts, self.idle_poll = batch, max_attempts, idle_poll
        self.on_alert = on_alert or (lambda text: None)
        # Told once each time nothing is left to send or in flight, so the announcement runner
        # can report "finished" at once instead of at its next poll.
        self.on_drained = on_drained or (lambda: None)
        self._queue_empty = self._drained_told = False
        self.paused_until = 0.0  # monotonic; a 429 pauses every send on the platform
        self.invalid: deque[float] = deque()
        self.bodies: OrderedDict[int, Reply | dict] = OrderedDict()
        self.in_flight: set[asyncio.Task] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        store, clock = self.bot.store, self.bot.clock
        resent = await store.reset_in_flight(self.platform, clock.now())
        if resent:
            log.warning("%s: %d messages were in flight at the last stop; sending them again",
                        self.platform, resent)
        await store.expire_stale(clock.now(), self.platform)
        while not stop.is_set():
            rows = await store.pending_batch(self.platform, clock.now(), self.batch)
            self._queue_empty = not rows
            if not rows:
                self._check_drained()
                await self._idle(stop)
                continue
            self._drained_told = False
            for row in rows:
                if stop.is_set():
                    break
                await self.limiter.acquire()
                await self.slots.acquire()
                # Checked after waiting for a slot: a 429 seen meanwhile pauses this send too.
                await self._wait_pause(stop)
                if stop.is_set():
                    self.slots.release()
                    break
                if not await store.claim(row.id, clock.now()):  # cancelled meanwhile
                    self.slots.release()
                    continue
                if stop.is_set():
                    # Stopped during the claim: stop() no longer waits for new sends, and the
                    # adapter may close under one. The row stays 'sending': the restart sends it.
                    self.slots.release()
                    break
                task = asyncio.create_task(self._send(row))
                self.in_flight.add(task)
                task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task) -> None:
        self.in_flight.discard(task)
        self._check_drained()

    def _check_drained(self) -> None:
        if self._queue_empty and not self.in_flight and not self._drained_told:
            self._drained_told = True
            self.on_drained()

    async def stop(self, grace: float = 3.0) -> None:
        """Give sends in flight a moment; any still running are cancelled and stay 'sending',
        to be sent again after the restart."""
        if self.in_flight:
            _, pending = await asyncio.wait(set(self.in_flight), timeout=grace)
            for task in pending:
                task.cancel()

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        wait = self.idle_poll
        store, now = self.bot.store, self.bot.clock.now()
        upcoming = await store.next_pending_at(self.platform)
        # Due yet not in the batch: expired rows. Sweep them, or they would keep waking us.
        if upcoming is not None and upcoming <= now and await store.expire_stale(now,
                                                                                 self.platform):
            upcoming = await store.next_pending_at(self.platform)
        if upcoming is not None:
            wait = min(wait, max((upcoming - self.bot.clock.now()).total_seconds(), 0.05))
        waiters = {asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=wait,
                                        return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    async def _wait_pause(self, stop: asyncio.Event) -> None:
        remaining = self.paused_until - time.monotonic()
        if remaining > 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass

    async def _reply(self, row: OutboxRow) -> Reply | None:
        """The reply for a claimed row, or None when it must not be sent (its row is then
        given its final state here): its event moved or is gone, or rendering failed."""
        body = self.bodies.get(row.message_id)
        if body is None:
            stored = await self.bot.store.message_body(row.message_id)
            body = stored if RENDER in stored else reply_from_dict(stored)
            self.bodies[row.message_id] = body
            if len(self.bodies) > 64:
                self.bodies.popitem(last=False)
        if isinstance(body, Reply):
            return body
        store, now = self.bot.store, self.bot.clock.now()
        try:
            reply = await render_message(self.bot, body, row.platform, row.user_id)
        except Exception as exc:  # a bug or a config it cannot read: record it, go on
            log.error("%s: rendering message %d raised %s\n%s", self.platform, row.message_id,
                      type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())
            await store.finish(row.id, "failed", now, type(exc).__name__)
            return None
        if reply is None:
            await store.finish(row.id, "cancelled", now, "event_changed")
        return reply

    async def _send(self, row: OutboxRow) -> None:
        try:
            await self.chats.wait_turn(row.chat_id)
            reply = await self._reply(row)
            if reply is None:
                return
            while (remaining := self.paused_until - time.monotonic()) > 0:
                await asyncio.sleep(remaining)  # a 429 arrived while this send waited its turn
            try:
                if row.parts_done:  # part of it arrived before: only the rest
                    result = await self.sender.deliver(row.chat_id, reply, skip=row.parts_done)
                else:  # (senders that never split take no `skip`)
                    result = await self.sender.deliver(row.chat_id, reply)
            except Exception as exc:  # a bug, not a platform answer: record it, keep going
                # Type and stack only: an exception's message can quote a recipient's data.
                log.error("%s: deliver raised %s\n%s", self.platform, type(exc).__name__,
                          "".join(traceback.format_tb(exc.__traceback__)).rstrip())
                result = DeliveryResult(Outcome.PERMANENT, reason=type(exc).__name__)
            await self._record(row, result)
        finally:
            self.slots.release()

    async def _record(self, row: OutboxRow, result: DeliveryResult) -> None:
        store, now = self.bot.store, self.bot.clock.now()
        # Parts of a split reply that arrived are never sent again (None: nothing new).
        parts = result.parts_done if result.parts_done > row.parts_done else None
        if result.outcome is Outcome.RETRY:
            if result.retry_after is not None:  # 429: wait exactly that long, everyone
                self.paused_until = max(self.paused_until, time.monotonic() + result.retry_after)
                delay = result.retry_after
                self._count_invalid()
            else:  # 5xx or a connection error: back off, a bounded number of times
                delay = min(2.0 ** row.attempts, 60.0)
            # row.attempts counts earlier tries; this one was attempt row.attempts + 1.
            if row.attempts + 1 >= self.max_attempts and result.retry_after is None:
                await store.finish(row.id, "failed", now, result.reason or "retries exhausted",
                                   parts_done=parts)
            else:
                # Stored to the second: round up, so a restart never sends before the wait ends.
                due = now + timedelta(seconds=delay)
                if due.microsecond:
                    due = due.replace(microsecond=0) + timedelta(seconds=1)
                await store.finish(row.id, "pending", now, result.reason, not_before=due,
                                   parts_done=parts)
            return
        await store.finish(row.id, STATE[result.outcome], now, result.reason, parts_done=parts)
        if result.outcome is Outcome.GONE:
            # If that was a subscribed group or channel, whoever subscribed it is told.
            # Rendered when sent, in the language of the person it is for.
            notice = chat_paused_spec(row.chat_id)
            await store.deactivate_recipient(self.platform, row.chat_id, result.reason or "gone",
                                             now, notice)
        if result.outcome in (Outcome.GONE, Outcome.PERMANENT):
            self._count_invalid()

    def _count_invalid(self) -> None:
        budget = self.pacing.invalid_budget
        if not budget:
            return
        now = time.monotonic()
        self.invalid.append(now)
        while self.invalid and self.invalid[0] < now - INVALID_WINDOW:
            self.invalid.popleft()
        if len(self.invalid) >= budget and self.paused_until < now + 1:
            # Past the budget: pause until the window has room again, and say so.
            self.paused_until = self.invalid[0] + INVALID_WINDOW
            self.invalid.clear()
            minutes = round((self.paused_until - now) / 60)
            log.warning("%s: %d failed requests in 10 minutes; pausing delivery %d minutes",
                        self.platform, budget, minutes)
            self.on_alert(Notice(PAUSED, platform=self.platform, minutes=minutes,
                                 budget=budget))

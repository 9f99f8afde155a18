"""Time -> messages. One loop wakes at each minute boundary and asks the database what is due.

The database, not an in-memory job list, is the source of truth: each subscription stores when
its next prompt is due, and the outbox's UNIQUE idempotency keys (one prompt per subscription per
local date, one reminder per RSVP, kind and event start) make a restart, or two, send nothing
twice. What is queued is a spec, rendered when sent (handlers/messages.py), and carries an
expiry past which it is never sent.

One bad row never stops the others: each row is handled on its own, a stored zone or time this
machine cannot use falls back to the campaign's, and a row that still fails is logged by its
rowid (never the person) and tried again an hour later.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from .config import Event
from .dispatch import Dispatcher
from .handlers import messages
from .slots import last_send, next_send, plan_next, send_moment, time_or, zone_or
from .storage import DuePrompt

__all__ = ["Scheduler", "last_send", "next_send", "send_moment"]

log = logging.getLogger(__name__)
BATCH = 500
RETRY_ROW = timedelta(hours=1)  # a row that failed unexpectedly is tried again this much later
# "Did you make it?" goes this long after an event ends, and is no use once ASK_FOR has passed.
ASK_AFTER, ASK_FOR = timedelta(hours=1), timedelta(days=2)


def stack(exc: BaseException) -> str:
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()


def end_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    """The first moment of the next local date."""
    tomorrow = moment.astimezone(zone).date() + timedelta(days=1)
    return send_moment(tomorrow, "00:00", zone)


class Scheduler:
    def __init__(self, bot: Dispatcher, platforms: Callable[[], tuple[str, ...]],
                 wake: Callable[[], None] = lambda: None):
        self.bot = bot
        self.platforms = platforms  # the platforms that can deliver right now
        self.wake = wake  # tells the outbox workers there is new work
        self._started = False

    def _zone_and_time(self, due: DuePrompt) -> tuple[ZoneInfo, str]:
        config = self.bot.config
        return (zone_or(due.timezone, config.zone, due.label),
                time_or(due.send_at, config.prompts.send_at, due.label))

    async def tick(self, now: datetime) -> int:
        """Queue everything due at `now`. Returns how many outbox rows were added."""
        if not self._started:
            await self._start(now)
        await self.bot.store.expire_stale(now)
        await self._plan_new(now)
        added = (await self._prompts(now) + await self._reminders(now)
                 + await self._attendance(now))
        if added:
            self.wake()
        return added

    async def _start(self, now: datetime) -> None:
        """Once per start: the config may have changed since the last run."""
        store, config = self.bot.store, self.bot.config
        reopened = await store.reopen_prompts(config.campaign.deadline, now)
        if reopened:
            log.warning("the deadline is later than before: daily prompts resume for %d "
                        "subscriptions", reopened)
        replanned = await store.replan_defaults(f"{config.campaign.timezone} "
                                                f"{config.prompts.send_at}")
        if replanned:
            log.info("the default send time or zone changed: %d subscriptions re-planned",
                     replanned)
        self._started = True

    async def _plan_new(self, now: datetime) -> None:
        store = self.bot.store
        for fetch in (store.subscriptions_without_schedule, store.chats_without_schedule):
            while batch := await fetch(BATCH):
                for due in batch:
                    try:
                        zone, hhmm = self._zone_and_time(due)
                        # No plan_after: resumed by the platform (unblocked): from now on.
                        at = plan_next(now, hhmm, zone, after=due.plan_after or now,
                                       done_through=due.prompted_through)
                        await store.plan_prompt(due, at, self._local_date(at, zone))
                    except Exception as exc:
                        self._row_failed(due, exc)
                        await self._set_next(due, now + RETRY_ROW)

    async def _set_next(self, due: DuePrompt, at: datetime) -> None:
        store = self.bot.store
        if due.user_id:
            await store.set_next_prompt(due.platform, due.user_id, at)
        else:
            await store.set_chat_next_prompt(due.platform, due.chat_id, at)

    def _row_failed(self, due: DuePrompt, exc: Exception) -> None:
        # Type and stack only: an exception's message can quote what the row holds.
        log.error("%s: its prompt failed with %s; trying again in an hour\n%s", due.label,
                  type(exc).__name__, stack(exc))

    async def _prompts(self, now: datetime) -> int:
        store, config = self.bot.store, self.bot.config
        added = skipped = 0
        platforms = self.platforms()
        while platforms and (batch := await store.due_prompts(now, platforms, BATCH)):
            for due in batch:
                try:
                    queued, missed = await self._prompt(due, now)
                except Exception as exc:
                    self._row_failed(due, exc)
                    await self._set_next(due, now + RETRY_ROW)
                    continue
                added += queued
                skipped += missed
        if skipped:
            log.warning("skipped %d daily prompts more than %s hours late (the bot was down)",
                        skipped, config.prompts.catch_up_hours)
        return added

    async def _prompt(self, due: DuePrompt, now: datetime) -> tuple[bool, int]:
        """Queue (or skip, or close) one subscription's due prompt. Returns whether a message
        was queued and how many prompts were skipped for being too late."""
        store, config = self.bot.store, self.bot.config
        catch_up = timedelta(hours=config.prompts.catch_up_hours)
        deadline = config.campaign.deadline
        zone, hhmm = self._zone_and_time(due)
        who = due.user_id or due.chat_id
        slot, skipped = due.due_at, 0
        if now - slot >= catch_up:
            # Down for longer than catch-up: the older slot is gone, but the latest one may
            # still be within it; the skipped one is recorded.
            latest = last_send(now, hhmm, zone)
            if latest > slot and now - latest < catch_up:
                if slot < deadline:
                    day = self._local_date(slot, zone)
                    await store.schedule_prompt(due, None, f"prompt:{due.platform}:{who}:{day}",
                                                now, latest, prompted=day)
                    skipped = 1
                slot = latest
                due = replace(due, due_at=latest)
        # The deadline is checked against the slot actually chosen: after it, only the
        # closing message (a slot AT the deadline too: its prompt would say it had passed).
        if slot >= deadline:
            return await self._close(due, now), skipped
        day = self._local_date(slot, zone)
        key = f"prompt:{due.platform}:{who}:{day}"
        next_at = plan_next(now, hhmm, zone, after=max(now, slot), done_through=day)
        if now - slot >= catch_up:
            added = await store.schedule_prompt(due, None, key, now, next_at, prompted=day)
            return False, skipped + added
        message = await self._message(f"prompt:{day}", "prompt", now, messages.prompt_spec(day))
        # Valid until the end of the recipient's local day, at most catch_up_hours after its
        # slot, and never past the deadline (it would count down to a moment gone by).
        expires = min(end_of_day(slot, zone), slot + catch_up, deadline)
        added = await store.schedule_prompt(due, message, key, now, next_at, expires_at=expires,
                                            prompted=day)
        return added, skipped

    async def _close(self, due: DuePrompt, now: datetime) -> bool:
        """One closing message per deadline value, to subscriptions made before it; a
        subscription made after the deadline was told there are no more prompts."""
        deadline = self.bot.config.campaign.deadline
        if due.created_at is not None and due.created_at >= deadline:
            await self.bot.store.schedule_prompt(due, None, "", now, None, over=True)
            return False
        message = await self._message("closing", "closing", now, messages.closing_spec())
        who = due.user_id or due.chat_id
        key = f"closing:{due.platform}:{who}:{deadline.astimezone(UTC):%Y%m%dT%H%M}Z"
        return await self.bot.store.schedule_prompt(due, message, key, now, None, over=True)

    @staticmethod
    def _local_date(moment: datetime, zone: ZoneInfo) -> date:
        return moment.astimezone(zone).date()

    async def _reminders(self, now: datetime) -> int:
        added = 0
        for event in self.bot.config.events:
            try:
                added += await self._event_reminders(event, now)
            except Exception as exc:  # one event's failure leaves the others' reminders
                log.error("reminders for event %s failed with %s\n%s", event.id,
                          type(exc).__name__, stack(exc))
        return added

    async def _event_reminders(self, event: Event, now: datetime) -> int:
        config, store = self.bot.config, self.bot.store
        catch_up = timedelta(hours=config.prompts.catch_up_hours)
        zone, added = config.zone, 0
        if event.starts_at <= now:
            return 0
        local_day = event.starts_at.astimezone(zone).date()
        for kind, day, hhmm in (
            ("day_before", local_day - timedelta(days=1), config.reminders.day_before_at),
            ("morning", local_day, config.reminders.morning_at),
        ):
            moment = send_moment(day, hhmm, zone)
            if not moment <= now < moment + catch_up:
                continue
            # Keyed by the start time: a moved event has messages and rows of its own.
            key = f"reminder:{kind}:{event.id}:{event.starts_at.isoformat()}"
            message = await self._message(key, "reminder", now,
                                          messages.reminder_spec(event, kind))
            added += await store.enqueue_rsvp_reminders(event.id, kind, message,
                                                        self.platforms(), now, event.starts_at)
        return added

    async def _attendance(self, now: datetime) -> int:
        """Once per person per event (their RSVP still standing), an hour after it ends; a
        restart within the two days still asks, later it does not."""
        added = 0
        for event in self.bot.config.events:
            ask_at = event.ends_at + ASK_AFTER
            if not ask_at <= now < ask_at + ASK_FOR:
                continue
            try:
                message = await self._message(f"attendance:{event.id}", "attendance", now,
                                              messages.attendance_spec(event))
                added += await self.bot.store.enqueue_attendance(
                    event.id, message, self.platforms(), now, ask_at + ASK_FOR, event.ends_at)
            except Exception as exc:  # one event's failure leaves the others' questions
                log.error("attendance for event %s failed with %s\n%s", event.id,
                          type(exc).__name__, stack(exc))
        return added

    async def _message(self, key: str, kind: str, now: datetime, spec: dict) -> int:
        return await self.bot.store.message(key, kind, spec, now)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick at every minute boundary until `stop` is set. A failing tick is logged and the
        next one tries again: the database still knows what is due."""
        while not stop.is_set():
            try:
                await self.tick(self.bot.clock.now())
            except Exception as exc:
                log.error("scheduler tick failed: %s", type(exc).__name__, exc_info=True)
            now = self.bot.clock.now()
            wait = 60 - now.second - now.microsecond / 1e6
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.5))
            except asyncio.TimeoutError:
                pass

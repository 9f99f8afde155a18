"""Time -> messages. One loop wakes at each minute boundary and asks the database what is due.

The database, not an in-memory job list, is the source of truth: each subscription stores when
its next prompt is due, and the outbox's UNIQUE idempotency keys (one prompt per subscription per
local date, one reminder per RSVP and kind) make a restart, or two, send nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from .core import reply_to_dict
from .handlers import events as event_messages
from .handlers import prompts as prompt_messages
from .registry import Bot
from .storage import DuePrompt

log = logging.getLogger(__name__)
BATCH = 500


def send_moment(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """HH:MM local on `day`. In a spring-forward gap zoneinfo gives the moment just after it;
    on a fall-back day, the first of the two: each local date has exactly one moment, so a DST
    change neither skips nor doubles a day."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def last_send(at_or_before: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The latest HH:MM local at or before the given moment."""
    today = at_or_before.astimezone(zone).date()
    moment = send_moment(today, hhmm, zone)
    return moment if moment <= at_or_before else send_moment(today - timedelta(days=1), hhmm, zone)


def next_send(after: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The first HH:MM local strictly after `after`."""
    start = after.astimezone(zone).date()
    for offset in range(3):
        moment = send_moment(start + timedelta(days=offset), hhmm, zone)
        if moment > after:
            return moment
    raise AssertionError("unreachable: a day always has an HH:MM")


class Scheduler:
    def __init__(self, bot: Bot, platforms: Callable[[], tuple[str, ...]],
                 wake: Callable[[], None] = lambda: None):
        self.bot = bot
        self.platforms = platforms  # the platforms that can deliver right now
        self.wake = wake  # tells the outbox workers there is new work

    def _zone_and_time(self, due: DuePrompt) -> tuple[ZoneInfo, str]:
        config = self.bot.config
        zone = ZoneInfo(due.timezone) if due.timezone else config.zone
        return zone, due.send_at or config.prompts.send_at

    async def tick(self, now: datetime) -> int:
        """Queue everything due at `now`. Returns how many outbox rows were added."""
        await self._plan_new(now)
        added = await self._prompts(now) + await self._reminders(now)
        if added:
            self.wake()
        return added

    async def _plan_new(self, now: datetime) -> None:
        store = self.bot.store
        while batch := await store.subscriptions_without_schedule(BATCH):
            for due in batch:
                zone, hhmm = self._zone_and_time(due)
                await store.set_next_prompt(due.platform, due.user_id, next_send(now, hhmm, zone))
        while batch := await store.chats_without_schedule(BATCH):
            for due in batch:
                zone, hhmm = self._zone_and_time(due)
                await store.set_chat_next_prompt(due.platform, due.chat_id,
                                                 next_send(now, hhmm, zone))

    async def _prompts(self, now: datetime) -> int:
        store, config = self.bot.store, self.bot.config
        catch_up = timedelta(hours=config.prompts.catch_up_hours)
        deadline = config.campaign.deadline
        added = skipped = 0
        platforms = self.platforms()
        while platforms and (batch := await store.due_prompts(now, platforms, BATCH)):
            for due in batch:
                zone, hhmm = self._zone_and_time(due)
                local_date = due.due_at.astimezone(zone).date()
                who = due.user_id or due.chat_id
                if due.due_at > deadline:  # the first slot after the deadline: one goodbye
                    message = await self._message("closing", "closing", now,
                                                  prompt_messages.closing_reply(config))
                    key = f"closing:{due.platform}:{who}"
                    added += await store.schedule_prompt(due, message, key, now, None, over=True)
                    continue
                late = now - due.due_at >= catch_up
                if late:
                    # Down for longer than a day: the older slots are gone, but the latest
                    # one may still be within catch-up; the skipped one is recorded.
                    latest = last_send(now, hhmm, zone)
                    if latest > due.due_at and now - latest < catch_up:
                        skip_key = f"prompt:{due.platform}:{who}:{local_date}"
                        await store.schedule_prompt(due, None, skip_key, now, latest)
                        skipped += 1
                        due = DuePrompt(due.platform, due.user_id, due.chat_id, latest,
                                        due.timezone, due.send_at)
                        local_date, late = latest.astimezone(zone).date(), False
                message = None
                if not late:
                    body = prompt_messages.prompt_reply(config, now, local_date)
                    message = await self._message(f"prompt:{local_date}:{due.due_at.isoformat()}",
                                                  "prompt", now, body)
                key = f"prompt:{due.platform}:{who}:{local_date}"
                next_at = next_send(max(now, due.due_at), hhmm, zone)
                if await store.schedule_prompt(due, message, key, now, next_at):
                    added += not late
                    skipped += late
        if skipped:
            log.warning("skipped %d daily prompts more than %s hours late (the bot was down)",
                        skipped, config.prompts.catch_up_hours)
        return added

    async def _reminders(self, now: datetime) -> int:
        config, store = self.bot.config, self.bot.store
        catch_up = timedelta(hours=config.prompts.catch_up_hours)
        zone, added = config.zone, 0
        for event in config.events:
            if event.starts_at <= now:
                continue
            local_day = event.starts_at.astimezone(zone).date()
            for kind, day, hhmm in (
                ("day_before", local_day - timedelta(days=1), config.reminders.day_before_at),
                ("morning", local_day, config.reminders.morning_at),
            ):
                moment = send_moment(day, hhmm, zone)
                if not moment <= now < moment + catch_up:
                    continue
                body = event_messages.reminder_reply(config, event, kind)
                message = await self._message(f"reminder:{kind}:{event.id}", "reminder", now, body)
                added += await store.enqueue_rsvp_reminders(event.id, kind, message,
                                                            self.platforms(), now)
        return added

    async def _message(self, key: str, kind: str, now: datetime, reply) -> int:
        return await self.bot.store.message(key, kind, reply_to_dict(reply), now)

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

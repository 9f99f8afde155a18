"""Retention while the bot runs: per-person history is purged once it has been kept as long as
the README's "Retention" section says. One sweep at start-up, then one a day.

"A day" is measured on the bot's clock (the injected Clock), polled every `poll` seconds, so a
test with a FrozenClock (tests/support/clock.py) moves the day forward by advancing the clock.
The periods live here, in one place, and the README states them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dispatch import Dispatcher

log = logging.getLogger(__name__)

# Settled outbox rows (sent, undeliverable, cancelled, skipped, expired), actions marked done,
# RSVPs after their event ended, and who wrote a finished announcement: kept this long.
RETENTION = timedelta(days=30)
# Unfinished forms (they may hold a name or an email) and unconfirmed announcement drafts.
FORM_LIFETIME = timedelta(days=2)
EVERY = timedelta(days=1)
POLL = 60.0  # seconds between looks at the clock


class Housekeeping:
    def __init__(self, bot: Dispatcher, every: timedelta = EVERY, poll: float = POLL):
        self.bot = bot
        self.every, self.poll = every, poll
        self.sweeps = self.polls = 0  # for tests and for the log
        self._next: datetime | None = None  # the bot's clock time of the next sweep

    async def sweep(self, now: datetime) -> dict[str, int]:
        """Purge everything past its retention at `now`. Returns rows touched per rule."""
        ended = tuple(e.id for e in self.bot.config.events if e.ends_at < now - RETENTION)
        done = await self.bot.store.purge_history(now, retention=RETENTION,
                                                  form_lifetime=FORM_LIFETIME,
                                                  ended_events=ended)
        self.sweeps += 1
        touched = {rule: n for rule, n in done.items() if n}
        if touched:  # counts only: nothing about whom they were
            log.info("housekeeping: %s", ", ".join(f"{n} {rule}" for rule, n in touched.items()))
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep now, then whenever a day has passed on the bot's clock, until `stop` is set.
        A failing sweep is logged and tried again at the next poll."""
        while not stop.is_set():
            now = self.bot.clock.now()
            if self._next is None or now >= self._next:
                try:
                    await self.sweep(now)
                    self._next = now + self.every
                except Exception as exc:
                    log.error("housekeeping failed: %s", type(exc).__name__, exc_info=True)
            self.polls += 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll)
            except asyncio.TimeoutError:
                pass

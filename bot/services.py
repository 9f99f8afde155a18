"""The background work of a running bot: the scheduler, one outbox worker per connected
platform, the announcement runner, housekeeping and the campaign panels. Started once after
the front ends, stopped first."""

from __future__ import annotations

import asyncio
import logging

from .announcement_runner import AnnouncementRunner
from .capabilities import Capabilities
from .dispatch import Dispatcher
from .housekeeping import Housekeeping
from .outbox import OutboxWorker
from .pacing import Pacing
from .panels import PanelService
from .scheduler import Scheduler

log = logging.getLogger(__name__)


def pacing_for(bot: Dispatcher, platform: str) -> Pacing:
    """How fast the outbox may send there, as the platform's adapter declares it."""
    known = bot.capabilities.get(platform, Capabilities(platform))
    return known.pacing(bot.config)


class DeliveryServices:
    def __init__(self, bot: Dispatcher):
        self.bot = bot
        self.stopping = asyncio.Event()
        self.runner = AnnouncementRunner(bot, self._wake_workers)
        # A worker with nothing left to send wakes the runner, which can then report the
        # announcement finished at once (its poll stays, for progress and as a fallback).
        self.workers = {platform: OutboxWorker(bot, sender, pacing_for(bot, platform),
                                               on_alert=self._alert,
                                               on_drained=self.runner.wake)
                        for platform, sender in bot.senders.items()}
        bot.announcer = self.runner  # /announce's Confirm wakes it
        self.scheduler = Scheduler(bot, lambda: tuple(bot.senders), self._wake_workers)
        self.housekeeping = Housekeeping(bot)  # retention: at start-up, then daily
        # Campaign panels, edited through the workers' pace (bot/panels.py).
        self.panels = PanelService(bot, self.workers)
        bot.panels = self.panels  # a signature or a withdrawal wakes it
        self.tasks: list[asyncio.Task] = []

    def _wake_workers(self) -> None:
        for worker in self.workers.values():
            worker.wake()

    def _alert(self, text: str) -> None:
        self.runner.alert(text)

    def start(self) -> None:
        jobs = [self.scheduler.run(self.stopping), self.runner.run(self.stopping),
                self.housekeeping.run(self.stopping), self.panels.run(self.stopping)]
        jobs += [worker.run(self.stopping) for worker in self.workers.values()]
        self.tasks = [asyncio.create_task(job) for job in jobs]

    async def stop(self, timeout: float = 4.0) -> None:
        """Stop taking new work, let sends in flight finish briefly; whatever is cut off stays
        in the outbox as 'sending' or 'pending' and goes out after the restart."""
        self.stopping.set()
        await asyncio.gather(*(w.stop(grace=timeout / 2) for w in self.workers.values()))
        done, pending = await asyncio.wait(self.tasks, timeout=timeout / 2)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception():
                log.error("%s ended with %s", task.get_coro().__qualname__,
                          type(task.exception()).__name__)

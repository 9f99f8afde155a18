"""A test-only front end for a third platform, laid out like the shipped ones: the package's
`capabilities` module declares what the core needs to know, and the adapter class is what app.py
starts (app.FRONT_ENDS). It sends nowhere: it records, like FakeSender."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from bot.dispatch import Dispatcher
from tests.support.senders import FakeSender

from .capabilities import PLATFORM


class MatrixAdapter(FakeSender):
    started: ClassVar[list[MatrixAdapter]] = []  # every one app.py started, for tests

    def __init__(self, bot: Dispatcher, token: str, stop: asyncio.Event) -> None:
        super().__init__(PLATFORM)
        self.bot, self.stop_event = bot, stop
        self.failed = False

    async def start(self) -> None:
        MatrixAdapter.started.append(self)

    async def stop(self) -> None:
        pass

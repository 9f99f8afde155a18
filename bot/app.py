"""Wires config, storage, the handler registry and whichever front ends can run.

Platform adapters (Telegram, Discord) plug in here; with no tokens set, the console runs."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator, TextIO

from .adapters.console_adapter import run_console
from .config import Config
from .core import Clock, SystemClock
from .handlers import ROUTERS
from .registry import Bot
from .storage import Storage

log = logging.getLogger(__name__)

NO_TOKENS = ("No TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set: opening a local console chat "
             "(same handlers, same database).")
NOT_YET = ("{variable} is set, but this build has no {platform} adapter yet. Unset it to use "
           "the console.")
STALE_FORMS = timedelta(days=2)  # unfinished forms hold personal data: don't keep them long


@asynccontextmanager
async def open_bot(config: Config, clock: Clock | None = None,
                   local_moderator: bool = False) -> AsyncIterator[Bot]:
    """The core, with its database open; the database is closed on every way out."""
    clock = clock or SystemClock()
    store = await Storage.open(config.storage.path)
    try:
        await store.purge_form_sessions(clock.now() - STALE_FORMS)
        yield Bot(config, store, clock, ROUTERS, local_moderator=local_moderator)
    finally:
        await store.close()


def tokens() -> dict[str, str]:
    found = {}
    for platform, variable in (("Telegram", "TELEGRAM_BOT_TOKEN"),
                               ("Discord", "DISCORD_BOT_TOKEN")):
        if os.environ.get(variable, "").strip():
            found[platform] = variable
    return found


async def run(config: Config, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    found = tokens()
    if found:
        for platform, variable in found.items():
            print(NOT_YET.format(variable=variable, platform=platform), file=sys.stderr)
        return 2
    print(NO_TOKENS, file=sys.stderr)
    return await console(config, stdin, stdout)


async def console(config: Config, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                  name: str | None = None, moderator: bool = False) -> int:
    async with open_bot(config, local_moderator=moderator) as bot:
        await run_console(bot, stdin, stdout, name)
    return 0

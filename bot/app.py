"""Wires config, storage, the dispatcher and whichever front ends can run.

Platform adapters (Telegram, Discord) plug in here; with no tokens set, the console runs."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from contextlib import asynccontextmanager
from typing import AsyncIterator, Protocol, TextIO

from .adapters.console import CAPABILITIES as CONSOLE
from .adapters.console import run_console
from .capabilities import Capabilities
from .config import Config
from .core import Clock, SystemClock
from .dispatch import Dispatcher
from .handlers import ROUTERS
from .housekeeping import FORM_LIFETIME
from .services import DeliveryServices
from .storage import Storage

log = logging.getLogger(__name__)

NO_TOKENS = ("No TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN set: opening a local console chat "
             "(same handlers, same database).")
STALE_FORMS = FORM_LIFETIME  # unfinished forms hold personal data: don't keep them long


@asynccontextmanager
async def open_bot(config: Config, clock: Clock | None = None,
                   local_moderator: bool = False) -> AsyncIterator[Dispatcher]:
    """The core, with its database open; the database is closed on every way out."""
    clock = clock or SystemClock()
    store = await Storage.open(config.storage.path)
    try:
        # Forms expire on read while the bot runs (the housekeeping task also purges them);
        # the console runs no housekeeping, so purge once here as well.
        store.forms_expire_before = lambda: clock.now() - STALE_FORMS
        await store.purge_form_sessions(clock.now() - STALE_FORMS)
        yield Dispatcher(config, store, clock, ROUTERS, capabilities=known_capabilities(),
                         local_moderator=local_moderator)
    finally:
        await store.close()


# platform -> (token variable, package, class). Each package's `capabilities` module declares
# what the platform can do (CAPABILITIES) without importing its library.
FRONT_ENDS = {
    "telegram": ("TELEGRAM_BOT_TOKEN", "bot.adapters.telegram", "TelegramAdapter"),
    "discord": ("DISCORD_BOT_TOKEN", "bot.adapters.discord", "DiscordAdapter"),
}
STOP_TIMEOUT = 4.0  # per front end; the whole shutdown stays well inside 10 seconds


class FrontEnd(Protocol):
    """A platform adapter as app.py runs it. `start` returns once it is receiving updates;
    `stop` undoes it. A front end that fails for good sets `failed` and the shared stop event."""

    failed: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def known_capabilities() -> list[Capabilities]:
    """Every platform's declaration, connected or not: /announce checks a draft against each
    platform's limit even when none is connected (the console)."""
    declared = [importlib.import_module(f"{package}.capabilities").CAPABILITIES
                for _, package, _ in FRONT_ENDS.values()]
    return [*declared, CONSOLE]


def tokens() -> dict[str, str]:
    """platform -> token, for each token set in the environment (the only place they live)."""
    found = {}
    for platform, (variable, _, _) in FRONT_ENDS.items():
        value = os.environ.get(variable, "").strip()
        if value:
            found[platform] = value
    return found


def front_end(platform: str, bot: Dispatcher, token: str, stop: asyncio.Event) -> FrontEnd:
    _, module, cls = FRONT_ENDS[platform]
    return getattr(importlib.import_module(module), cls)(bot, token, stop)


async def run(config: Config, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    found = tokens()
    if not found:
        print(NO_TOKENS, file=sys.stderr)
        return await console(config, stdin, stdout)
    return await serve(config, found)


async def serve(config: Config, found: dict[str, str], clock: Clock | None = None) -> int:
    """Run every front end whose token is set until SIGTERM or SIGINT, then stop them in
    reverse order and close the database last. Neither library installs signal handlers."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    started: list[FrontEnd] = []
    services = None
    try:
        async with open_bot(config, clock) as bot:
            try:
                for platform, token in found.items():
                    adapter = front_end(platform, bot, token, stop)
                    await adapter.start()
                    started.append(adapter)
                    bot.senders[platform] = adapter
                    log.info("%s front end started", platform)
                services = DeliveryServices(bot)
                services.start()
                await stop.wait()
                log.info("stopping")
            finally:
                if services is not None:
                    await services.stop()
                for adapter in reversed(started):
                    try:
                        await asyncio.wait_for(adapter.stop(), STOP_TIMEOUT)
                    except Exception as exc:  # keep stopping the others; close the database
                        log.error("stopping %s failed: %s", type(adapter).__name__,
                                  type(exc).__name__)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 1 if any(a.failed for a in started) else 0


async def console(config: Config, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                  name: str | None = None, moderator: bool = False, lang: str = "") -> int:
    async with open_bot(config, local_moderator=moderator) as bot:
        await run_console(bot, stdin, stdout, name, lang)
    return 0

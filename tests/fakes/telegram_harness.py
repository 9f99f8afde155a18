"""Running the real Telegram adapter (real PTB) against the fake Bot API, for tier-3 tests: the
`api` fixture (the fake), the `adapter` fixture (the adapter running against it) and the
`client` fixture (a bare python-telegram-bot client of the fake)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import Bot as PTBBot

from bot.adapters.telegram import TelegramAdapter, sending
from bot.dispatch import Dispatcher

from .telegram_api import FakeBot, FakeTelegram

TOKEN = "123456789:AAF-fake-token-for-tests_0123456789abc"
USERNAME = "CampaignTestBot"
BOUND = 10.0  # seconds: no step of a test may hang longer than this
QUICKER = 10  # `quick_retry_after`: the adapter waits a tenth of each retry_after


RUNNING: dict[tuple[str, str], FakeBot] = {}  # (base url, token) -> the fake of a fake_api()


@asynccontextmanager
async def fake_api(latency: float = 0.0) -> AsyncIterator[FakeBot]:
    """A running fake Bot API with one bot. At the end it must have refused nothing the test
    did not provoke: a test that provokes a refusal asserts on it (`take_refusals()`)."""
    server = FakeTelegram(latency)
    await server.start()
    try:
        api = server.add_bot(TOKEN, USERNAME)
        # The bot sets each moderator's command menu at start; Telegram answers "chat not
        # found" until that moderator has opened the bot (test_the_command_menus covers it).
        api.tolerate += [("setMyCommands", "chat not found"),
                         ("deleteMyCommands", "chat not found")]
        RUNNING[api.base_url, TOKEN] = api
        yield api
        assert api.refusals == [], f"the fake Bot API refused unprovoked: {api.refusals}"
    finally:
        RUNNING.pop((server.base_url, TOKEN), None)
        await server.stop()


@asynccontextmanager
async def running(bot: Dispatcher, token: str = TOKEN,
                  **options) -> AsyncIterator[TelegramAdapter]:
    """The adapter, started (polling) and stopped around the block. Retries back off in
    milliseconds here, so tests of 5xx handling stay quick."""
    options.setdefault("backoff", 0.02)
    options.setdefault("poll_timeout", 2.0)
    adapter = TelegramAdapter(bot, token, asyncio.Event(), **options)
    api = RUNNING.get((bot.config.telegram.base_url, token))
    if api is not None:  # tell api.wait_idle when the adapter has handled what it was served
        handle, handled, served = adapter._on_update, [0], api.served()

        async def counted(update, context) -> None:
            try:
                await handle(update, context)
            finally:
                handled[0] += 1

        adapter._on_update = counted  # type: ignore[method-assign]  # start() registers it
        api.handled_all = lambda: api.served() - served == handled[0]
    await asyncio.wait_for(adapter.start(), BOUND)
    try:
        yield adapter
    finally:
        if api is not None:
            api.handled_all = None
        await asyncio.wait_for(adapter.stop(), BOUND)


@pytest.fixture
def quick_retry_after(monkeypatch) -> list[float]:
    """Telegram's retry_after is whole seconds, so each 429 cost a test a second. With this,
    the adapter reads retry_after from the 429 as ever and then waits a tenth of it (QUICKER):
    what it does with the wait (halting the chat, sending once more) is unchanged, and a test
    asserts its waits in tenths. Returns each retry_after the adapter read, in seconds."""
    read: list[float] = []
    real = sending.retry_after_seconds

    def quicker(exc) -> float:
        read.append(real(exc))
        return read[-1] / QUICKER

    monkeypatch.setattr(sending, "retry_after_seconds", quicker)
    return read


@pytest.fixture
async def api() -> AsyncIterator[FakeBot]:
    """The fake Bot API for one test. A module whose bot writes first to people who never wrote
    to it overrides this to add their chats (`api.chats`), as if they had started the bot."""
    async with fake_api() as api:
        yield api


@pytest.fixture
async def client(api: FakeBot) -> AsyncIterator[PTBBot]:
    """A bare python-telegram-bot client of `api`, for tests of what the fake itself answers."""
    async with PTBBot(TOKEN, base_url=api.base_url) as client:
        yield client


@pytest.fixture
async def adapter(bot: Dispatcher, api: FakeBot) -> AsyncIterator[TelegramAdapter]:
    """The real adapter running against the test's `api` fake, stopped at the end."""
    async with running(bot) as adapter:
        yield adapter

"""A third platform (issue 10 item 4): a test-only adapter package (tests/support/matrix/) with
its own Capabilities works through dispatch, the moderator check, an announcement's length check
and the outbox's pacing, with one entry added to app.FRONT_ENDS and no change in the core."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from bot import app
from bot.flood import SLOW_DOWN, FloodGuard
from bot.routing import REFUSED
from bot.services import DeliveryServices
from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.matrix import MatrixAdapter
from tests.support.matrix.capabilities import CAPABILITIES, MAX_TEXT, PER_CHAT, is_room
from tests.support.memory import MemoryChat
from tests.support.outbox import enqueue, running, unfinished
from tests.support.waiting import wait_until

MATRIX = "matrix"
FRONT_END = ("MATRIX_ACCESS_TOKEN", "tests.support.matrix", "MatrixAdapter")
ADA, MODERATOR = "@ada:example.org", "@mod:example.org"


@pytest.fixture
def with_matrix(monkeypatch):
    monkeypatch.setitem(app.FRONT_ENDS, MATRIX, FRONT_END)


@pytest.fixture
async def bot(config, clock, with_matrix):
    async with app.open_bot(config, clock) as bot:
        yield bot


def on_matrix(bot, user_id: str = ADA) -> MemoryChat:
    return MemoryChat(bot, platform=MATRIX, user_id=user_id)


async def drafts(bot) -> list:
    return await bot.store.announcements_in(("draft",))


def test_the_dispatcher_knows_the_third_platform_from_its_package(bot):
    assert bot.capabilities[MATRIX] is CAPABILITIES
    assert {"telegram", "discord", "console"} <= set(bot.capabilities)


async def test_a_supporter_there_is_answered_and_slowed_like_anyone(bot):
    bot.flood = FloodGuard(per_minute=2)  # not the console: the per-person limit holds
    ada = on_matrix(bot)
    assert "left" in await ada.send("/countdown")
    assert "left" in await ada.send("/countdown")
    assert await ada.send("/countdown") == SLOW_DOWN


async def test_its_moderators_are_whom_its_adapter_says(bot):
    refused = REFUSED.format(name="stats")
    assert await on_matrix(bot).send("/stats") == refused
    # A Telegram moderator's id means nothing on another platform.
    assert await on_matrix(bot, MODERATOR_TELEGRAM_ID).send("/stats") == refused
    assert "Campaign stats" in await on_matrix(bot, MODERATOR).send("/stats")
    assert "What should the announcement say?" in await on_matrix(bot, MODERATOR).send(
        "/announce")


async def test_with_nothing_connected_an_announcement_must_fit_every_platform_known(bot):
    text = "é" * 600  # 600 characters, 1,200 bytes: fits Telegram and Discord, not Matrix
    answer = await on_matrix(bot, MODERATOR).send(f"/announce {text}")
    assert "Telegram: 600 of 4,096 characters ✓" in answer
    assert "Discord: 600 of 2,000 characters ✓" in answer
    assert f"Matrix: 1,200 characters, over the limit of {MAX_TEXT:,}" in answer
    assert "Console" not in answer  # no limit there
    assert await drafts(bot) == []


async def test_connected_it_is_checked_against_the_platforms_that_send(bot):
    adapter = MatrixAdapter(bot, "token", asyncio.Event())
    bot.senders[MATRIX] = adapter
    answer = await on_matrix(bot, MODERATOR).send("/announce " + "é" * 400)
    assert "Matrix: 800 of 1,000 characters ✓" in answer
    assert "Telegram" not in answer and "Discord" not in answer
    assert len(await drafts(bot)) == 1


async def test_the_outbox_paces_it_as_its_adapter_declares(bot, config):
    adapter = MatrixAdapter(bot, "token", asyncio.Event())
    bot.senders[MATRIX] = adapter
    worker = DeliveryServices(bot).workers[MATRIX]
    assert worker.pacing == CAPABILITIES.pacing(config)
    assert worker.pacing.is_group is is_room
    await enqueue(bot, ["!room:example.org"] * 3, platform=MATRIX)
    async with running(worker):
        await wait_until(lambda: len(adapter.sent) == 3)
    times = adapter.times("!room:example.org")
    assert all(b - a >= PER_CHAT * 0.95 for a, b in pairwise(times)), times
    assert unfinished(bot.store.path, MATRIX) == 0


async def test_app_starts_it_from_its_front_end_entry_and_sends_through_it(config, clock,
                                                                          with_matrix):
    MatrixAdapter.started.clear()
    serving = asyncio.create_task(app.serve(config, {MATRIX: "token"}, clock))
    try:
        await wait_until(lambda: MatrixAdapter.started)
        adapter = MatrixAdapter.started[0]
        assert adapter.bot.senders == {MATRIX: adapter}
        await enqueue(adapter.bot, ["@ada:example.org"], "Rally at noon", platform=MATRIX)
        # Rows written behind the services' back: wake the workers as the runner would, rather
        # than wait for the idle poll.
        adapter.bot.announcer.wake_workers()
        await wait_until(lambda: adapter.sent)
        assert adapter.sent == [("@ada:example.org", "Rally at noon")]
    finally:
        if MatrixAdapter.started:
            MatrixAdapter.started[0].stop_event.set()
        assert await asyncio.wait_for(serving, 10) == 0

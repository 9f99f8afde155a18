"""Channel permissions and rate-limit buckets, as Discord has them: what the fake answers, and
what the bot does when it can no longer post in a subscribed channel (it pauses the channel's
daily post, like a blocked person's, and tells whoever subscribed it, once per pause)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.core import Reply
from bot.handlers.prompts import CHAT_PAUSED
from bot.outbox import OutboxWorker, Pacing
from bot.scheduler import Scheduler
from bot.sender import DeliveryResult, Outcome
from tests.fakes.discord_api import (
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    bounded,
    running,
)
from tests.support.memory import MemoryChat
from tests.support.outbox import FAST, unfinished
from tests.support.outbox import running as worker_running
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

MANAGE_GUILD = 1 << 5  # "Manage Server": may subscribe a channel
PAUSED_START = CHAT_PAUSED.split("(")[0]
QUICK = 0.05  # seconds: the outbox worker's idle poll (1 s in production)


def chat_row(config, chat_id: str) -> tuple | None:
    with closing(sqlite3.connect(config.storage.path)) as db:
        return db.execute("SELECT active, subscribed_by FROM chat_subscriptions"
                          " WHERE chat_id = ?", (chat_id,)).fetchone()


async def daily_prompts(bot, clock, day: int) -> int:
    """Let the scheduler queue the daily prompts of `day` June 2027 (09:00 in New York)."""
    scheduler = Scheduler(bot, platforms=lambda: ("discord",))
    clock.current = datetime(2027, 6, day, 12, 0, tzinfo=UTC)
    await scheduler.tick(clock.current)
    clock.current = datetime(2027, 6, day, 13, 0, tzinfo=UTC)
    return await scheduler.tick(clock.current)


# Tier 1: the outbox pauses the channel and tells its subscriber -------------------------------

async def test_a_channel_the_bot_may_not_post_in_is_paused_and_its_subscriber_told_once(
        bot, clock, config, path):
    channel = "555"
    ada = MemoryChat(bot, platform="discord", user_id="1001", chat_id=channel,
                     can_manage_chat=True)
    assert "This chat will get" in await ada.send("/subscribe")
    assert chat_row(config, channel) == (1, "1001")
    assert await daily_prompts(bot, clock, 1) == 1

    lost = DeliveryResult(Outcome.GONE, reason="missing_permissions")
    sender = FakeSender("discord", per_chat={channel: [lost]})
    # The notice is queued after the channel's send: a worker polling every 50 ms sees it soon.
    async with worker_running(OutboxWorker(bot, sender, FAST, idle_poll=QUICK)):
        await wait_until(lambda: unfinished(path, "discord") == 0 and len(sender.sent) == 2)
    (to_channel, _), (to_ada, notice) = sender.sent
    assert (to_channel, to_ada) == (channel, "1001")
    assert notice.startswith(PAUSED_START) and f"(id {channel})" in notice
    assert chat_row(config, channel) == (0, "1001")

    # The next day nothing is tried there, and nobody is told again.
    assert await daily_prompts(bot, clock, 2) == 0
    async with worker_running(OutboxWorker(bot, sender, FAST, idle_poll=QUICK)):
        await asyncio.sleep(0.2)
    assert len(sender.sent) == 2

    # Subscribed again (permission restored), lost again: told again, once.
    assert "This chat will get" in await ada.send("/subscribe")
    assert await daily_prompts(bot, clock, 3) == 1
    sender.per_chat[channel] = [lost, lost]
    async with worker_running(OutboxWorker(bot, sender, FAST, idle_poll=QUICK)):
        await wait_until(lambda: unfinished(path, "discord") == 0 and len(sender.sent) == 4)
    assert [chat for chat, _ in sender.sent[2:]] == [channel, "1001"]


async def test_forget_unlinks_the_chats_a_person_subscribed(bot, config):
    ada = MemoryChat(bot, platform="discord", user_id="1001", chat_id="555",
                     can_manage_chat=True)
    await ada.send("/subscribe")
    await bot.store.forget("discord", "1001")
    assert chat_row(config, "555") == (1, None)  # the channel keeps its daily post


async def test_nobody_is_told_when_nobody_is_known_to_have_subscribed(bot, clock, config,
                                                                     path):
    await bot.store.subscribe_chat("discord", "556", clock.now())  # before subscribed_by
    assert await daily_prompts(bot, clock, 1) == 1
    sender = FakeSender("discord", default=DeliveryResult(Outcome.GONE, reason="missing_access"))
    async with worker_running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(path, "discord") == 0)
    assert sender.chats == ["556"] and chat_row(config, "556") == (0, None)


# Tier 3: the fake answers like Discord --------------------------------------------------------

@pytest.fixture
async def adapter(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as started:
        yield started


@pytest.mark.parametrize("code, reason", [(MISSING_PERMISSIONS, "missing_permissions"),
                                          (MISSING_ACCESS, "missing_access")])
@bounded(20)
async def test_a_channel_without_permission_is_gone_not_a_permanent_failure(
        adapter, fake, code, reason):
    fake.deny(fake.other_channel_id, code)
    result = await adapter.deliver(fake.other_channel_id, Reply.of("Today's action"))
    assert (result.outcome, result.reason) == (Outcome.GONE, reason)
    assert [r[2:] for r in fake.refusals] == [(403, code)]
    fake.refusals.clear()
    assert (await adapter.deliver(fake.channel_id, Reply.of("Elsewhere it works"))).ok


@bounded(30)
async def test_the_daily_post_stops_and_the_subscriber_gets_a_dm(adapter, fake, config, clock):
    bot = adapter.bot
    subscribed = await fake.command("subscribe", options={"channel": fake.other_channel_id},
                                    permissions=MANAGE_GUILD, user_id="1001")
    await fake.until(lambda: fake.answered(subscribed))
    assert chat_row(config, fake.other_channel_id) == (1, "1001")
    fake.deny(fake.other_channel_id, MISSING_PERMISSIONS)
    assert await daily_prompts(bot, clock, 1) == 1

    stop = asyncio.Event()
    task = asyncio.create_task(OutboxWorker(bot, adapter, Pacing(rate=50),
                                            idle_poll=QUICK).run(stop))
    try:
        await fake.until(lambda: "1001" in fake.dm_channels and any(
            m["channel_id"] == fake.dm_channels["1001"] for m in fake.messages.values()))
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    [dm] = [m for m in fake.messages.values() if m["channel_id"] == fake.dm_channels["1001"]]
    assert dm["content"].startswith(PAUSED_START)
    assert not [m for m in fake.messages.values() if m["channel_id"] == fake.other_channel_id]
    assert [r[2:] for r in fake.refusals] == [(403, MISSING_PERMISSIONS)]
    fake.refusals.clear()
    assert not await bot.store.chat_subscribed("discord", fake.other_channel_id)
    assert await daily_prompts(bot, clock, 2) == 0  # not retried daily


@bounded(20)
async def test_buckets_answer_discords_headers_and_429_past_the_limit(fake):
    fake.bucket_limit, fake.bucket_window = 2, 30.0
    url = f"{fake.base_url}/channels/{fake.channel_id}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as session:
        answers = []
        for n in range(3):
            async with session.post(url, json={"content": f"post {n}"}, headers=headers) as r:
                answers.append((r.status, dict(r.headers), await r.read()))
    (ok1, h1, _), (ok2, h2, _), (limited, h3, body) = answers
    assert (ok1, ok2, limited) == (200, 200, 429)
    assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"]) == ("2", "1")
    assert h2["X-RateLimit-Remaining"] == "0"
    assert h2["X-RateLimit-Bucket"] == h1["X-RateLimit-Bucket"]
    assert 29 < float(h2["X-RateLimit-Reset-After"]) <= 30
    assert float(h2["X-RateLimit-Reset"]) > datetime.now(UTC).timestamp() + 29
    assert h3["Content-Type"] == "application/json" and h3["Via"]
    assert h3["X-RateLimit-Scope"] == "user" and int(h3["Retry-After"]) == 30
    assert json.loads(body)["retry_after"] > 29 and fake.rate_limited == 1
    assert [r[2:] for r in fake.refusals] == [(429, None)]
    fake.refusals.clear()


@bounded(20)
async def test_discord_py_waits_for_the_bucket_instead_of_being_refused(adapter, fake):
    fake.bucket_limit, fake.bucket_window = 3, 0.6
    long = Reply.of("\n\n".join(["A paragraph of the briefing. " * 60] * 5))
    result = await adapter.deliver(fake.other_channel_id, long)
    assert result.ok and result.parts_done == 5
    posts = fake.calls_to("POST", r"/channels/\d+/messages")
    assert len(posts) == 5 and fake.rate_limited == 0  # never refused
    assert posts[3].at - posts[0].at >= 0.5  # the fourth waited for the bucket to reset

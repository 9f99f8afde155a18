"""Tier 3: DiscordAdapter.deliver (the outbox's Sender) against the fake Discord: where a
message goes, how every failure is classified, and closed DMs."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest

from bot.core import Button, Reply
from bot.sender import DMS_CLOSED, MESSAGE_GONE, Outcome
from tests.fakes.discord_api import EPHEMERAL, bounded, running, with_fake

DAILY = Reply.of("Today's action: call your representative.",
                 buttons=[[Button("RSVP", "rsvp", ("day1",))]])


@pytest.fixture
async def adapter(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as started:
        yield started


def subscription(config, user_id: str) -> tuple | None:
    with closing(sqlite3.connect(config.storage.path)) as db:
        return db.execute("SELECT active, paused_reason FROM subscriptions WHERE user_id = ?",
                          (user_id,)).fetchone()


@bounded(20)
async def test_a_person_gets_a_dm_and_a_channel_gets_a_post(adapter, fake):
    to_person = await adapter.deliver("1001", DAILY)
    assert to_person.outcome is Outcome.DELIVERED and to_person.message_id
    dm = fake.messages[to_person.message_id]
    assert dm["channel_id"] == fake.dm_channels["1001"] and "guild_id" not in dm
    assert dm["components"][0]["components"][0]["custom_id"] == "rsvp:day1"
    to_channel = await adapter.deliver(fake.other_channel_id, DAILY)
    assert to_channel.ok
    assert fake.messages[to_channel.message_id]["channel_id"] == fake.other_channel_id
    assert len(fake.calls_to("POST", "/users/@me/channels")) == 1
    assert all(m["_allowed_mentions"] == {"parse": []} for m in fake.messages.values())


@bounded(20)
async def test_a_message_sent_can_be_edited_in_place(adapter, fake):
    sent = await adapter.deliver("1001", Reply.of("Announcement #1: 10 / 100 sent",
                                                  buttons=[[Button("Cancel", "ann", ("1",))]]))
    edited = await adapter.edit("1001", sent.message_id, Reply.of("Announcement #1 finished."))
    assert edited.ok and edited.message_id == sent.message_id
    message = fake.messages[sent.message_id]
    assert message["content"] == "Announcement #1 finished." and message["components"] == []
    missing = await adapter.edit("1001", "123", Reply.of("x"))
    assert missing.outcome is Outcome.PERMANENT and missing.reason == MESSAGE_GONE
    fake.refusals.clear()


@bounded(20)
async def test_a_long_post_is_split_under_2000_characters(adapter, fake):
    result = await adapter.deliver(fake.channel_id, Reply.of(("A paragraph. " * 60 + "\n\n") * 6))
    assert result.ok
    posted = [c.body for c in fake.calls_to("POST", r"/channels/\d+/messages")]
    assert len(posted) == 3 and all(len(p["content"]) <= 2000 for p in posted)


@pytest.mark.parametrize("code", [50007, 50278])
@bounded(30)
async def test_closed_dms_pause_the_subscription_and_the_next_interaction_explains(
        adapter, fake, config, code):
    done = await fake.command("subscribe")
    await fake.until(lambda: fake.answered(done))
    fake.closed_dms["1001"] = code
    result = await adapter.deliver("1001", DAILY)
    assert (result.outcome, result.reason) == (Outcome.GONE, DMS_CLOSED)
    assert [r[2:] for r in fake.refusals] == [(403, code)]
    fake.refusals.clear()
    assert subscription(config, "1001") == (0, "dms_closed")

    first = await fake.command("countdown")
    await fake.until(lambda: fake.answered(first, 2))
    countdown, notice = fake.messages_of(first)
    assert "Your daily prompts are paused" in notice["content"]
    assert "allow direct messages from members of this server" in notice["content"]
    assert "/subscribe channel:" in notice["content"]
    assert notice["flags"] & EPHEMERAL and countdown["flags"] == 0
    assert "left until" in countdown["content"]

    second = await fake.command("countdown")
    await fake.until(lambda: fake.answered(second))
    assert len(fake.messages_of(second)) == 1  # told once

    fake.closed_dms.clear()  # they opened their DMs and subscribed again
    resumed = await fake.command("subscribe")
    await fake.until(lambda: fake.answered(resumed))
    assert subscription(config, "1001") == (1, None)
    assert (await adapter.deliver("1001", DAILY)).ok


@bounded(20)
async def test_a_long_rate_limit_is_reported_with_its_retry_after(adapter, fake):
    fake.fail("POST", r"/channels/\d+/messages", 429, retry_after=60)
    result = await adapter.deliver(fake.channel_id, DAILY)
    assert result.outcome is Outcome.RETRY and result.retry_after == 60


@bounded(20)
async def test_a_short_rate_limit_is_waited_out_exactly(adapter, fake):
    fake.fail("POST", r"/channels/\d+/messages", 429, retry_after=0.3)
    result = await adapter.deliver(fake.channel_id, DAILY)
    assert result.ok
    first, second = fake.calls_to("POST", r"/channels/\d+/messages")
    assert second.at - first.at >= 0.3


@bounded(20)
async def test_a_429_without_via_is_not_discords_limiter_and_is_retried_later(adapter, fake):
    fake.fail("POST", r"/channels/\d+/messages", 429, retry_after=5, via=False)
    result = await adapter.deliver(fake.channel_id, DAILY)
    assert result.outcome is Outcome.RETRY and result.retry_after == 5


@pytest.mark.parametrize("status, code, outcome, reason", [
    (503, 0, Outcome.RETRY, "503/0"),
    (400, 50035, Outcome.PERMANENT, "400/50035"),
    # Missing Permissions in a channel: paused like a blocked person (test_discord_faults.py)
    (403, 50013, Outcome.GONE, "missing_permissions"),
    (404, 10003, Outcome.PERMANENT, "404/10003"),
])
@bounded(20)
async def test_failures_are_classified(adapter, fake, status, code, outcome, reason):
    fake.fail("POST", r"/channels/\d+/messages", status, code=code)
    result = await adapter.deliver(fake.other_channel_id, DAILY)
    assert result.outcome is outcome and result.reason == reason


@bounded(20)
async def test_a_timeout_after_sending_is_uncertain(adapter, fake):
    adapter.send_timeout = 0.1
    fake.fail("POST", r"/channels/\d+/messages", delay=0.3)
    result = await adapter.deliver(fake.channel_id, DAILY)
    assert result.outcome is Outcome.UNCERTAIN


@bounded(20)
async def test_nothing_is_sent_when_not_connected(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        pass
    assert (await adapter.deliver("1001", DAILY)).outcome is Outcome.RETRY
    assert (await adapter.deliver("@everyone", DAILY)).outcome is Outcome.RETRY


@bounded(30)
async def test_daily_prompts_go_out_through_the_outbox_by_dm_and_to_a_channel(
        adapter, fake, config, clock):
    from datetime import UTC, datetime

    from bot.outbox import OutboxWorker, Pacing
    from bot.scheduler import Scheduler

    bot = adapter.bot
    clock.current = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # 08:00 in New York
    for user_id in ("1001", "1002"):
        done = await fake.command("subscribe", user_id=user_id)
        await fake.until(lambda: fake.answered(done))
    channel = await fake.command("subscribe", options={"channel": fake.other_channel_id},
                                 permissions=1 << 5)
    await fake.until(lambda: fake.answered(channel))
    fake.closed_dms["1002"] = 50007
    scheduler = Scheduler(bot, platforms=lambda: ("discord",))
    await scheduler.tick(clock.current)
    clock.current = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)  # 09:00: prompts are due
    assert await scheduler.tick(clock.current) == 3

    stop = asyncio.Event()
    worker = OutboxWorker(bot, adapter, Pacing(rate=50))
    task = asyncio.create_task(worker.run(stop))
    try:
        await fake.until(lambda: len(fake.calls_to("POST", r"/channels/\d+/messages")) == 3)
        await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    dm = [m for m in fake.messages.values() if m["channel_id"] == fake.dm_channels["1001"]]
    post = [m for m in fake.messages.values() if m["channel_id"] == fake.other_channel_id]
    assert len(dm) == 1 and len(post) == 1 and "left until" in dm[0]["content"]
    assert [b["label"] for r in dm[0]["components"] for b in r["components"]] == [
        "Done ✓", "Stop daily prompts"]
    assert subscription(config, "1002") == (0, DMS_CLOSED)
    assert [r[2:] for r in fake.refusals] == [(403, 50007)]
    fake.refusals.clear()
    with closing(sqlite3.connect(config.storage.path)) as db:
        states = dict(db.execute("SELECT chat_id, state FROM outbox").fetchall())
    assert states == {"1001": "delivered", "1002": "gone", fake.other_channel_id: "delivered"}

    # Pressing "Done ✓" in the DM (no server: a plain reply, not ephemeral).
    done_id = dm[0]["components"][0]["components"][0]["custom_id"]
    pressed = await fake.press(dm[0], done_id)
    await fake.until(lambda: fake.answered(pressed))
    thanks = fake.messages_of(pressed)
    assert "Thank you for taking action today!" in thanks[0]["content"]
    assert thanks[0]["flags"] == 0

    # "Stop daily prompts" under the channel's post stops the channel's, for managers only.
    stop_id = post[0]["components"][0]["components"][1]["custom_id"]
    refused = await fake.press(post[0], stop_id, user_id="1001")
    await fake.until(lambda: fake.answered(refused))
    assert "Only the people who manage this chat" in fake.messages_of(refused)[0]["content"]
    assert fake.messages_of(refused)[0]["flags"] & EPHEMERAL
    assert await bot.store.chat_subscribed("discord", fake.other_channel_id)
    assert (await bot.store.subscription_of("discord", "1001")).active  # not theirs either
    stopped = await fake.press(post[0], stop_id, user_id="1001", permissions=1 << 5)
    await fake.until(lambda: fake.answered(stopped))
    assert not await bot.store.chat_subscribed("discord", fake.other_channel_id)

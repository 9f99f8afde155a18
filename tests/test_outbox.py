"""The outbox worker: durable, paced delivery of outbox rows through a platform's Sender.

A FakeSender (tests/support/senders.py) stands in for an adapter: it records every send (chat
id, plain text, monotonic time) and answers with scripted outcomes. The bot's clock is frozen
(Tue 1 June 2027, 13:00 UTC), so `not_before` times on the clock only come due when a test
advances it; pauses and pacing are measured in real monotonic time, with loose tolerances.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot import outbox as outbox_module
from bot.app import open_bot
from bot.outbox import ChatPacer, OutboxWorker, Pacing
from bot.scheduler import Scheduler
from bot.sender import DeliveryResult, Outcome
from bot.storage import iso
from tests.support.memory import MemoryChat
from tests.support.outbox import FAST, enqueue, outbox, row_of, running, unfinished
from tests.support.senders import DELIVERED, FakeSender, retry
from tests.support.waiting import wait_until


def cancel_pending(path, message_id: int, now: datetime) -> int:
    """A message's rows not sent yet cancelled behind the worker's back, as a moderator's Cancel
    does (Storage.cancel_announcement, which needs an announcement around the message)."""
    db = sqlite3.connect(path)
    try:
        with db:
            return db.execute("UPDATE outbox SET state = 'cancelled', updated_at = ?"
                              " WHERE message_id = ? AND state = 'pending'",
                              (iso(now), message_id)).rowcount
    finally:
        db.close()




async def subscribe_many(bot, clock, user_ids, platform="telegram") -> None:
    """Subscribe each person and let the scheduler queue their 1 June prompt."""
    clock.current = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    for user_id in user_ids:
        assert "subscribed" in await MemoryChat(bot, platform=platform, user_id=user_id).send(
            "/subscribe")
    scheduler = Scheduler(bot, platforms=lambda: ("telegram", "discord"))
    await scheduler.tick(clock.current)
    clock.current = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
    await scheduler.tick(clock.current)


# Delivering ---------------------------------------------------------------------------------

async def test_every_pending_row_is_delivered_once(bot, clock, path):
    people = [str(5000 + n) for n in range(50)]
    await subscribe_many(bot, clock, people)
    await subscribe_many(bot, clock, ["6000"], platform="discord")
    assert len(outbox(path)) == 51
    sender = FakeSender("telegram")
    worker = OutboxWorker(bot, sender, FAST, concurrency=8, batch=20)
    async with running(worker):
        await wait_until(lambda: unfinished(path) == 0, what="all telegram rows")

    assert sorted(sender.chats) == sorted(people)
    assert all("left until" in text for _, text in sender.sent)
    telegram = outbox(path, platform="telegram")
    assert {(r["state"], r["attempts"]) for r in telegram} == {("delivered", 1)}
    [discord] = outbox(path, platform="discord")  # another platform's worker sends that one
    assert (discord["state"], discord["attempts"]) == ("pending", 0)
    counts = await bot.store.delivery_counts(telegram[0]["message_id"])
    assert counts == {"telegram": {"delivered": 50}, "discord": {"pending": 1}}


@pytest.mark.parametrize("outcome, state, reason", [
    (DELIVERED, "delivered", None),
    (DeliveryResult(Outcome.GONE, reason="blocked"), "gone", "blocked"),
    (DeliveryResult(Outcome.PERMANENT, reason="400"), "failed", "400"),
    (DeliveryResult(Outcome.UNCERTAIN, reason="timeout"), "uncertain", "timeout"),
    (RuntimeError("adapter bug"), "failed", "RuntimeError"),
], ids=["delivered", "gone", "permanent", "uncertain", "raises"])
async def test_each_final_outcome_is_recorded_never_resent_and_delivery_goes_on(
        bot, clock, path, outcome, state, reason):
    await enqueue(bot, ["7", "8", "9"])
    sender = FakeSender(per_chat={"7": [outcome]})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1, max_attempts=3)
    async with running(worker):
        await wait_until(lambda: unfinished(path) == 0, what="all rows final")
        # Hours later nothing is tried again.
        clock.advance(hours=2)
        worker.wake()
        await asyncio.sleep(0.1)  # room for a resend, were there one
        # The worker is still alive and delivers what comes next.
        await enqueue(bot, ["10"])
        worker.wake()
        await wait_until(lambda: unfinished(path) == 0, what="the later row")

    assert sender.chats == ["7", "8", "9", "10"]
    seven = row_of(path, "7")
    assert (seven["state"], seven["reason"], seven["attempts"]) == (state, reason, 1)
    assert {row_of(path, c)["state"] for c in ("8", "9", "10")} == {"delivered"}


async def test_gone_deactivates_the_subscription_and_the_chat_for_good(bot, clock, path):
    clock.current = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    for user_id in ("1001", "1002"):
        assert "subscribed" in await MemoryChat(bot, user_id=user_id).send("/subscribe")
    assert "This chat will get" in await MemoryChat(
        bot, user_id="9", chat_id="-100555", can_manage_chat=True).send("/subscribe")
    scheduler = Scheduler(bot, platforms=lambda: ("telegram",))
    await scheduler.tick(clock.current)
    clock.current = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
    assert await scheduler.tick(clock.current) == 3

    gone = DeliveryResult(Outcome.GONE, reason="blocked")
    kicked = DeliveryResult(Outcome.GONE, reason="kicked")
    sender = FakeSender(per_chat={"1001": [gone] * 5, "-100555": [kicked] * 5})
    # The notice to the group's subscriber is queued just after the group's row is final, so
    # an empty outbox alone can come before it; the worker's idle poll (1 s) then finds it.
    worker = OutboxWorker(bot, sender, FAST, concurrency=2, idle_poll=0.05)
    async with running(worker):
        await wait_until(lambda: unfinished(path) == 0 and "9" in sender.chats)
    # The group's subscriber ("9") is told its daily post is paused (test_discord_faults.py).
    assert sorted(sender.chats) == sorted(["1001", "1002", "-100555", "9"])

    assert not (await bot.store.subscription_of("telegram", "1001")).active
    assert await bot.store.take_pause_notice("telegram", "1001") == "blocked"
    assert (await bot.store.subscription_of("telegram", "1002")).active
    assert not await bot.store.chat_subscribed("telegram", "-100555")
    assert {r["state"] for r in outbox(path, chat_id="1001")} == {"gone"}

    # The next day's prompts skip them, and a new worker never retries them.
    clock.current = datetime(2027, 6, 2, 13, 0, tzinfo=UTC)
    assert await scheduler.tick(clock.current) == 1
    clock.advance(hours=1)
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(path) == 0)
        await asyncio.sleep(0.1)
    assert sender.chats == ["1002"]


# Retries --------------------------------------------------------------------------------------

async def test_429_waits_retry_after_on_the_clock_and_is_sent_once_more(bot, clock, path):
    await enqueue(bot, ["a"])
    sender = FakeSender(per_chat={"a": [retry(0.15, "429")]})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1, max_attempts=2)
    async with running(worker):
        await wait_until(lambda: row_of(path, "a")["attempts"] == 1
                         and row_of(path, "a")["state"] == "pending")
        row = row_of(path, "a")
        assert row["reason"] == "429"
        # Stored to the second, rounded up: a restart never sends before the wait ends.
        assert row["not_before"] == iso(clock.now() + timedelta(seconds=1))
        # The in-memory pause is over, but the clock has not moved: the row is not due yet.
        await wait_until(lambda: worker.paused_until <= time.monotonic(), what="pause over")
        worker.wake()
        await asyncio.sleep(0.1)  # room for a send too early, were there one
        assert sender.chats == ["a"]
        clock.advance(seconds=1)
        worker.wake()
        await wait_until(lambda: unfinished(path) == 0)
    assert sender.chats == ["a", "a"]
    row = row_of(path, "a")
    assert (row["state"], row["attempts"], row["reason"]) == ("delivered", 2, None)


async def keep_the_clock_moving(worker: OutboxWorker, clock, path) -> None:
    """Advance the frozen clock a second at a time (and wake the worker) until every row is
    final, so that retries come due."""
    deadline = time.monotonic() + 5
    while unfinished(path):
        assert time.monotonic() < deadline, "rows never became final"
        clock.advance(seconds=1)
        worker.wake()
        await asyncio.sleep(0.02)


async def test_a_short_429_retries_after_the_pause(bot, clock, path):
    await enqueue(bot, ["a"])
    sender = FakeSender(per_chat={"a": [retry(0.15, "429")]})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1)
    async with running(worker):
        await wait_until(lambda: len(sender.sent) >= 1)
        # The clock moves on at once, so the row is due again within milliseconds: only the
        # in-memory pause holds it back for retry_after.
        await keep_the_clock_moving(worker, clock, path)
    first, second = sender.times("a")
    assert second - first >= 0.14
    assert row_of(path, "a")["state"] == "delivered"


async def test_429s_do_not_use_up_the_attempts(bot, clock, path):
    await enqueue(bot, ["a"])
    sender = FakeSender(per_chat={"a": [retry(0.01, "429")] * 4})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1, max_attempts=3)
    async with running(worker):
        await keep_the_clock_moving(worker, clock, path)
    assert sender.chats == ["a"] * 5
    assert (row_of(path, "a")["state"], row_of(path, "a")["attempts"]) == ("delivered", 5)


async def test_a_429_pauses_every_send_on_the_platform(bot, clock, path):
    await enqueue(bot, ["a", "b"])
    sender = FakeSender(per_chat={"a": [retry(0.15, "429")]})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1)
    async with running(worker):
        await wait_until(lambda: "b" in sender.chats)
        clock.advance(seconds=1)
        worker.wake()
        await wait_until(lambda: unfinished(path) == 0)
    [a_first, _] = sender.times("a")
    [b] = sender.times("b")
    assert b - a_first >= 0.14


async def test_a_fractional_retry_after_is_not_rounded_down_in_not_before(bot, clock, path):
    await enqueue(bot, ["a"])
    sender = FakeSender(per_chat={"a": [retry(1.5, "429")]})
    async with running(OutboxWorker(bot, sender, FAST, concurrency=1), grace=0):
        await wait_until(lambda: row_of(path, "a")["attempts"] == 1
                         and row_of(path, "a")["state"] == "pending")
    # One second later (1.5 s are asked for), the row must not be due yet.
    due = await bot.store.pending_batch("telegram", clock.now() + timedelta(seconds=1), 10)
    assert due == []


async def test_5xx_backs_off_then_fails_after_max_attempts(bot, clock, path):
    await enqueue(bot, ["a", "b"])
    sender = FakeSender(per_chat={"a": [retry(None, "503")] * 10})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1, max_attempts=3)
    async with running(worker):
        # First try, then the bystander goes out at once: a backoff is not a pause.
        await wait_until(lambda: sender.chats == ["a", "b"])
        assert sender.stamps[1] - sender.stamps[0] < 0.5
        await wait_until(lambda: row_of(path, "a")["state"] == "pending")
        row = row_of(path, "a")
        assert (row["attempts"], row["reason"]) == (1, "503")
        assert row["not_before"] == iso(clock.now() + timedelta(seconds=1))
        worker.wake()
        await asyncio.sleep(0.1)  # room for a send too early, were there one
        assert sender.chats.count("a") == 1  # not before its time on the clock

        clock.advance(seconds=1)
        worker.wake()
        await wait_until(lambda: sender.chats.count("a") == 2)
        await wait_until(lambda: row_of(path, "a")["state"] == "pending")
        row = row_of(path, "a")
        assert row["attempts"] == 2
        assert row["not_before"] == iso(clock.now() + timedelta(seconds=2))  # longer backoff

        clock.advance(seconds=2)
        worker.wake()
        await wait_until(lambda: row_of(path, "a")["state"] == "failed")
        clock.advance(minutes=10)
        worker.wake()
        await asyncio.sleep(0.1)  # room for a fourth try, were there one
    assert sender.chats.count("a") == 3
    row = row_of(path, "a")
    assert (row["state"], row["attempts"], row["reason"]) == ("failed", 3, "503")
    assert row_of(path, "b")["state"] == "delivered"


async def test_exhausted_retries_without_a_reason_say_so(bot, clock, path):
    await enqueue(bot, ["a"])
    sender = FakeSender(per_chat={"a": [retry()] * 5})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1, max_attempts=1)
    async with running(worker):
        await wait_until(lambda: unfinished(path) == 0)
    assert (row_of(path, "a")["state"], row_of(path, "a")["reason"]) == (
        "failed", "retries exhausted")


# Crash safety --------------------------------------------------------------------------------

async def test_rows_left_sending_by_a_crash_are_sent_again(bot, clock, path, caplog):
    await enqueue(bot, [str(n) for n in range(5)])
    claimed = [r["id"] for r in outbox(path)[:2]]
    for row_id in claimed:  # the crashed process had marked these, then died
        assert await bot.store.claim(row_id, clock.now())
    caplog.set_level(logging.WARNING, logger="bot.outbox")
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, FAST, concurrency=2)):
        await wait_until(lambda: unfinished(path) == 0)
    assert sorted(sender.chats) == [str(n) for n in range(5)]
    assert [r["attempts"] for r in outbox(path)] == [2, 2, 1, 1, 1]
    assert any("2 messages were in flight" in r.getMessage() for r in caplog.records)


async def test_a_kill_mid_delivery_then_a_restart_reaches_everyone(config, clock):
    path = config.storage.path
    concurrency = 3
    chats = [str(n) for n in range(10)]
    hung = FakeSender(gate=asyncio.Event())  # sends that never come back
    async with open_bot(config, clock) as bot:
        await enqueue(bot, chats)
        worker = OutboxWorker(bot, hung, FAST, concurrency=concurrency)
        task = asyncio.create_task(worker.run(asyncio.Event()))
        await wait_until(lambda: len(hung.sent) == concurrency)
        await asyncio.sleep(0.1)
        # kill -9: everything stops where it is.
        in_flight = list(worker.in_flight)
        for t in [task, *in_flight]:
            t.cancel()
        await asyncio.gather(task, *in_flight, return_exceptions=True)
    assert len(hung.sent) == concurrency
    assert sum(r["state"] == "sending" for r in outbox(path)) == concurrency

    sender = FakeSender()
    async with open_bot(config, clock) as bot:  # the restart
        async with running(OutboxWorker(bot, sender, FAST, concurrency=concurrency)):
            await wait_until(lambda: unfinished(path) == 0)
    assert {r["state"] for r in outbox(path)} == {"delivered"}
    assert sorted(set(hung.chats) | set(sender.chats)) == sorted(chats)
    assert len(sender.chats) == len(set(sender.chats)) == len(chats)
    duplicates = len(hung.sent) + len(sender.sent) - len(chats)
    assert duplicates <= concurrency


async def test_a_stopped_worker_leaves_hung_sends_to_be_resent(bot, clock, path):
    await enqueue(bot, ["a", "b"])
    hung = FakeSender(gate=asyncio.Event())
    worker = OutboxWorker(bot, hung, FAST, concurrency=2)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: len(hung.sent) == 2)
    stop.set()
    started = time.monotonic()
    await asyncio.wait_for(worker.stop(grace=0.2), timeout=3)
    await asyncio.wait_for(task, timeout=3)
    assert time.monotonic() - started < 2
    assert {r["state"] for r in outbox(path)} == {"sending"}
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(path) == 0)
    assert sorted(sender.chats) == ["a", "b"]


# Cancelling -----------------------------------------------------------------------------------

async def test_a_cancelled_message_is_not_sent(bot, clock, path):
    cancelled = await enqueue(bot, ["1", "2", "3"], text="Oops")
    kept = await enqueue(bot, ["4", "5"], text="Right")
    assert cancel_pending(path, cancelled, clock.now()) == 3
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(path) == 0)
        await asyncio.sleep(0.1)
    assert sender.sent == [("4", "Right"), ("5", "Right")]
    assert await bot.store.delivery_counts(cancelled) == {"telegram": {"cancelled": 3}}
    assert await bot.store.delivery_counts(kept) == {"telegram": {"delivered": 2}}


async def test_cancelling_mid_delivery_stops_the_rest(bot, clock, path):
    message_id = await enqueue(bot, ["1", "2", "3", "4"])

    async def cancel_then_deliver():
        cancel_pending(path, message_id, clock.now())
        return DELIVERED

    sender = FakeSender(per_chat={"2": [cancel_then_deliver]})
    async with running(OutboxWorker(bot, sender, FAST, concurrency=1)):
        await wait_until(lambda: unfinished(path) == 0)
        await asyncio.sleep(0.1)
    assert sender.chats == ["1", "2"]
    assert await bot.store.delivery_counts(message_id) == {
        "telegram": {"delivered": 2, "cancelled": 2}}


# Pacing -----------------------------------------------------------------------------------------

RATE = 100  # per second: fast enough for a quick test, slow enough that 40 sends take 0.35 s
BURST = RATE * outbox_module.CATCH_UP  # what the limiter lets out at once: 5 sends


async def test_the_platform_rate_spreads_sends_out(bot, path):
    await enqueue(bot, [str(n) for n in range(40)])
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, Pacing(rate=RATE))):
        await wait_until(lambda: unfinished(path) == 0, timeout=10)
    assert len(sender.sent) == 40
    # A burst of BURST at once, then one every 1/RATE s: (40 - 5) / 100 = 0.35 s at least.
    assert sender.stamps[-1] - sender.stamps[0] >= (40 - BURST) / RATE - 0.02


async def test_no_second_carries_more_than_the_configured_rate(bot, path):
    await enqueue(bot, [str(n) for n in range(40)])
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, Pacing(rate=RATE))):
        await wait_until(lambda: unfinished(path) == 0, timeout=10)
    # In any 0.2 s (a fifth of a second: 20 sends at RATE), at most 20 + the burst.
    window = 0.2
    busiest = max(sum(start <= t < start + window for t in sender.stamps)
                  for start in sender.stamps)
    assert busiest <= RATE * window + BURST + 1


async def test_a_rate_under_one_per_second_still_delivers(bot, path):
    await enqueue(bot, ["a"])
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, Pacing(rate=0.5))) as task:
        await wait_until(lambda: unfinished(path) == 0 or task.done(), timeout=3)
    assert sender.chats == ["a"]


async def test_messages_to_one_chat_are_spaced_by_the_per_chat_interval(bot, path):
    await enqueue(bot, ["a", "a", "a", "b"])
    sender = FakeSender()
    pacing = Pacing(rate=100, per_chat_interval=0.1)
    async with running(OutboxWorker(bot, sender, pacing, concurrency=1)):
        await wait_until(lambda: unfinished(path) == 0)
    first, second, third = sender.times("a")
    assert second - first >= 0.09 and third - second >= 0.09


async def test_concurrent_sends_to_one_chat_are_still_spaced(bot, path):
    await enqueue(bot, ["a", "a", "a"])
    sender = FakeSender()
    pacing = Pacing(rate=100, per_chat_interval=0.1)
    async with running(OutboxWorker(bot, sender, pacing, concurrency=16)):
        await wait_until(lambda: unfinished(path) == 0)
    first, second, third = sorted(sender.times("a"))
    assert second - first >= 0.09 and third - second >= 0.09


async def test_a_group_gets_at_most_group_per_minute_messages(bot, path):
    await enqueue(bot, ["-100", "-100", "-100", "7"])
    sender = FakeSender()
    pacing = Pacing(rate=100, group_per_minute=2, is_group=lambda chat: chat.startswith("-"))
    async with running(OutboxWorker(bot, sender, pacing), grace=0):
        await wait_until(lambda: len(sender.sent) == 3)
        await asyncio.sleep(0.1)  # room for a fourth send, were there one
        assert sender.chats.count("-100") == 2  # the third waits for the minute to pass
        assert "7" in sender.chats  # a private chat is not held back
    third = [r for r in outbox(path, chat_id="-100") if r["state"] != "delivered"]
    assert len(third) == 1 and third[0]["state"] == "sending"  # sent again after a restart


async def test_chat_pacer_forgets_chats_idle_for_a_minute(monkeypatch):
    fake = SimpleNamespace(now=1000.0)
    monkeypatch.setattr("bot.pacing.time", SimpleNamespace(monotonic=lambda: fake.now))
    pacer = ChatPacer(Pacing(rate=100, per_chat_interval=0.001))
    largest = 0
    for n in range(5000):
        fake.now += 0.1  # 5,000 chats over 500 s: about 600 of them in any minute
        await pacer.wait_turn(f"chat{n}")
        largest = max(largest, len(pacer.recent))
    assert largest <= 1001
    assert "chat4999" in pacer.recent and "chat0" not in pacer.recent


async def test_chat_pacer_without_per_chat_limits_remembers_nothing():
    pacer = ChatPacer(Pacing(rate=100))
    for n in range(100):
        await pacer.wait_turn(str(n))
    assert pacer.recent == {}


# The invalid-request budget --------------------------------------------------------------------

async def budget_run(bot, path, settle: float):
    await enqueue(bot, [str(n) for n in range(10)], platform="discord")
    alerts: list[str] = []
    bad = DeliveryResult(Outcome.PERMANENT, reason="50035")
    sender = FakeSender("discord", default=bad)
    worker = OutboxWorker(bot, sender, Pacing(rate=100, invalid_budget=5), concurrency=1,
                          on_alert=alerts.append)
    async with running(worker, grace=0):
        await wait_until(lambda: alerts, what="the alert")
        await asyncio.sleep(settle)
        before_stop = len(sender.sent)
    return sender, alerts, before_stop


async def test_past_the_invalid_request_budget_the_worker_pauses_and_alerts_once(bot, path):
    sender, alerts, before_stop = await budget_run(bot, path, settle=0.1)
    assert len(alerts) == 1
    assert "discord" in alerts[0] and "paused" in alerts[0]
    assert 5 <= before_stop < 10  # it paused: the rest were not sent
    assert sum(r["state"] == "pending" for r in outbox(path, platform="discord")) >= 3


async def test_past_the_invalid_request_budget_nothing_more_is_sent(bot, path):
    sender, alerts, _ = await budget_run(bot, path, settle=0.1)
    assert len(sender.sent) == 5


async def test_a_stop_during_a_claim_sends_nothing_after_the_stop(bot, clock, path, monkeypatch):
    """SIGTERM: the app stops the workers (each waits for its sends in flight), then the
    adapters. A row being claimed when the stop came must not start its send afterwards: no
    one would wait for it, and the adapter closing under it made it 'uncertain', never resent.
    It stays 'sending', and the restart sends it (tests/test_delivery_process.py)."""
    await enqueue(bot, ["a", "b"])
    sender = FakeSender()
    worker = OutboxWorker(bot, sender, FAST, concurrency=1)
    stop = asyncio.Event()
    claim, claiming = bot.store.claim, asyncio.Event()

    async def claim_as_the_stop_comes(row_id, now):
        claiming.set()
        claimed = await claim(row_id, now)
        stop.set()  # SIGTERM while the claim's write was on its way
        await worker.stop(grace=1)  # the app's first step: sends in flight end
        return claimed

    monkeypatch.setattr(bot.store, "claim", claim_as_the_stop_comes)
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(claiming.wait(), timeout=3)
    await asyncio.wait_for(task, timeout=3)
    await asyncio.sleep(0.05)  # room for a send begun after the stop, were there one
    assert sender.sent == []
    assert [r["state"] for r in outbox(path)] == ["sending", "pending"]
    sender = FakeSender()  # the restart
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(path) == 0)
    assert sorted(sender.chats) == ["a", "b"]


async def test_stopping_during_a_pause_sends_nothing_more(bot, clock, path):
    await enqueue(bot, ["a", "b", "c"])
    sender = FakeSender(per_chat={"a": [retry(30, "429")]})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        # The 429 is recorded, so the 30 s pause has begun; "b" and "c" were due all along.
        await wait_until(lambda: row_of(path, "a")["state"] == "pending")
        await asyncio.sleep(0.1)  # room for a send during the pause, were there one
        assert sender.chats == ["a"]
    finally:
        stop.set()
        await asyncio.wait_for(worker.stop(grace=0), timeout=3)
        await asyncio.wait_for(task, timeout=3)
    assert sender.chats == ["a"]
    assert [r["state"] for r in outbox(path)] == ["pending"] * 3

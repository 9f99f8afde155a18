"""What the outbox sends is still right when it is sent: stale rows expire, the text comes from the
config as it is now, prompts and reminders go before announcements, and a row whose reason is
gone (a cancelled RSVP, an unsubscription, a withdrawn signature) is never sent.

Frozen clock as in tests/test_schedule.py (Tue 1 June 2027, 13:00 UTC = 09:00 EDT); the
worker runs against a FakeSender (tests/support/senders.py).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from bot.app import open_bot
from bot.core import Reply, reply_to_dict
from bot.outbox import OutboxWorker
from bot.storage import iso
from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.memory import MemoryChat
from tests.support.outbox import FAST, enqueue, outbox, running, unfinished
from tests.support.schedule import (
    DAY_BEFORE,
    JUNE_1_ACTION,
    MORNING,
    body_of,
    rsvp,
    scheduler_for,
    subscriber,
    tick,
    utc,
)
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

DAY1_START = utc(2027, 6, 7, 23, 0)  # 19:00 EDT on Mon 7 June


def with_event(config, event_id: str, **changes):
    events = tuple(e.model_copy(update=changes) if e.id == event_id else e
                   for e in config.events)
    return config.model_copy(update={"events": events})


async def deliver_all(bot, path, platform: str = "telegram", **options) -> FakeSender:
    sender = FakeSender(platform)
    async with running(OutboxWorker(bot, sender, FAST, **options)):
        await wait_until(lambda: unfinished(path, platform) == 0, what="the outbox drained")
    return sender


def state_of(path, key: str) -> str:
    [row] = outbox(path, idem_key=key)
    return row["state"]


# 9.3: stale messages expire -------------------------------------------------------------------

async def test_a_prompt_queued_before_a_crash_a_week_ago_is_never_sent(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 1, 12, 0)
    async with open_bot(config, clock) as bot:
        await subscriber(bot, "1001")
        scheduler = scheduler_for(bot)
        await tick(scheduler, clock, clock.current)
        await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))  # queued, then the crash
    clock.current = utc(2027, 6, 8, 13, 0)
    async with open_bot(config, clock) as bot:
        sender = await deliver_all(bot, path)
        await tick(scheduler_for(bot), clock, clock.current)
        sender2 = await deliver_all(bot, path)
    assert sender.sent == []
    assert state_of(path, "prompt:telegram:1001:2027-06-01") == "expired"
    [(chat, text)] = sender2.sent
    assert chat == "1001" and "Today's action (Tue 8 Jun 2027)" in text


async def test_a_prompt_is_valid_until_the_end_of_the_local_day_and_catch_up_hours(
        bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 0, 0)
    await subscriber(bot, "1001")  # 09:00 EDT: catch_up_hours (3) ends it first
    await subscriber(bot, "1002", timezone="Asia/Tokyo", send_at="22:30")  # midnight does
    for moment in (clock.current, utc(2027, 6, 1, 13, 0), utc(2027, 6, 1, 13, 30)):
        await tick(scheduler, clock, moment)
    expiry = {r["user_id"]: r["expires_at"] for r in outbox(path)}
    assert expiry == {"1001": iso(utc(2027, 6, 1, 16, 0)),  # 12:00 EDT
                      "1002": iso(utc(2027, 6, 1, 15, 0))}  # 00:00 JST on 2 June
    clock.current = utc(2027, 6, 1, 15, 30)
    sender = await deliver_all(bot, path)
    assert sender.chats == ["1001"]
    assert state_of(path, "prompt:telegram:1002:2027-06-01") == "expired"


async def test_a_reminder_is_valid_until_the_event_starts(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 5, 12, 0)
    await rsvp(bot, "1001")
    assert await tick(scheduler, clock, DAY_BEFORE) == 1
    assert await tick(scheduler, clock, MORNING) == 1
    assert {r["expires_at"] for r in outbox(path)} == {iso(DAY1_START)}
    clock.current = DAY1_START
    sender = await deliver_all(bot, path)
    assert sender.sent == []
    assert {r["state"] for r in outbox(path)} == {"expired"}


async def test_the_claim_refuses_an_expired_row_and_records_it(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    [row] = outbox(path)
    assert not await bot.store.claim(row["id"], utc(2027, 6, 1, 16, 0))
    [row] = outbox(path)
    assert (row["state"], row["attempts"]) == ("expired", 0)


async def test_expired_rows_are_swept_counted_in_stats_and_in_delivery_counts(
        bot, clock, scheduler, path, make_chat):
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1001")
    await subscriber(bot, "1002")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    await tick(scheduler, clock, utc(2027, 6, 1, 16, 0))  # no worker ran: both expire
    assert {r["state"] for r in outbox(path)} == {"expired"}
    message_id = outbox(path)[0]["message_id"]
    assert await bot.store.delivery_counts(message_id) == {"telegram": {"expired": 2}}
    stats = await make_chat(user_id=MODERATOR_TELEGRAM_ID).send("/stats")
    assert "Messages that expired before they could be sent: 2" in stats


# 9.4: the text is the config's as it is when sending ---------------------------------------------

async def test_a_queued_prompt_is_rendered_from_the_config_as_it_is_at_sending(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 1, 12, 0)
    async with open_bot(config, clock) as bot:
        await subscriber(bot, "1001")
        scheduler = scheduler_for(bot)
        await tick(scheduler, clock, clock.current)
        await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    actions = tuple(a.model_copy(update={"text": "Call your representative today."})
                    if a.date.isoformat() == "2027-06-01" else a for a in config.actions)
    edited = config.model_copy(update={"actions": actions})
    clock.current = utc(2027, 6, 1, 13, 5)
    async with open_bot(edited, clock) as bot:
        sender = await deliver_all(bot, path)
    [(_, text)] = sender.sent
    assert "Call your representative today." in text and JUNE_1_ACTION not in text


async def test_reminders_follow_an_edited_event_and_a_moved_event_gets_its_own(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 5, 12, 0)
    async with open_bot(config, clock) as bot:
        await rsvp(bot, "1001")
        assert await tick(scheduler_for(bot), clock, DAY_BEFORE) == 1  # queued, not yet sent
    # The organisers move the kick-off a week later, with a new link.
    moved = with_event(config, "day1", starts_at=utc(2027, 6, 14, 23, 0),
                       ends_at=utc(2027, 6, 15, 0, 0),
                       url="https://mediajustice.org/eyesonamazon/kickoff-moved")
    clock.current = utc(2027, 6, 6, 22, 30)
    async with open_bot(moved, clock) as bot:
        sender = await deliver_all(bot, path)
        assert sender.sent == []  # the old day-before reminder is about a time that is gone
        [old] = outbox(path)
        assert old["state"] == "cancelled"
        clock.current = utc(2027, 6, 10, 12, 0)
        await rsvp(bot, "1002")  # after the move
        scheduler = scheduler_for(bot)
        assert await tick(scheduler, clock, utc(2027, 6, 13, 22, 0)) == 2
        sender = await deliver_all(bot, path)
    assert sorted(sender.chats) == ["1001", "1002"]
    for _, text in sender.sent:
        assert "Reminder: tomorrow you're going to" in text
        assert "Mon 14 Jun 2027, 19:00–20:00 EDT" in text
        assert "kickoff-moved" in text


# 9.13: prompts and reminders first; "Today" only where it is today ------------------------------

async def test_prompts_do_not_wait_behind_a_big_announcement(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    clock.current = utc(2027, 6, 1, 13, 0)
    await enqueue(bot, [str(90000 + n) for n in range(300)])  # queued first
    assert await tick(scheduler, clock, clock.current) == 1
    sender = await deliver_all(bot, path, concurrency=1, batch=40)
    assert len(sender.chats) == 301
    assert sender.chats.index("1001") < 4


async def test_the_outbox_queue_index_serves_the_batch_query(bot, clock, monkeypatch, path):
    seen: list[tuple[str, tuple]] = []
    real = bot.store._all

    async def spy(sql, params=()):
        seen.append((sql, params))
        return await real(sql, params)

    monkeypatch.setattr(bot.store, "_all", spy)
    await bot.store.pending_batch("telegram", clock.now(), 50)
    assert seen
    db = sqlite3.connect(path)
    try:
        for sql, params in seen:
            plan = " | ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING INDEX outbox_queue" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
    finally:
        db.close()


async def test_the_morning_reminder_says_today_only_where_it_is_still_that_day(
        bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 5, 12, 0)
    await rsvp(bot, "1001")  # New York: the kick-off is at 19:00 today
    tokyo = MemoryChat(bot, user_id="1002")
    await tokyo.send("/settings timezone Asia/Tokyo")  # 08:00 JST on Tue 8 June
    await rsvp(bot, "1002")
    assert await tick(scheduler, clock, MORNING) == 2  # 08:00 EDT = 21:00 JST on Mon 7 June
    texts = {r["user_id"]: (await body_of(bot, r)).plain_text() for r in outbox(path)}
    assert texts["1001"].startswith("Today: Kick-off call")
    assert not texts["1002"].startswith("Today")
    assert texts["1002"].startswith("Reminder: on Tue 8 Jun 2027 you're going to Kick-off call")
    assert "Tue 8 Jun 2027, 08:00–09:00 JST" in texts["1002"]


# Issue 8.8: what a row depends on still holds -------------------------------------------------

async def test_cancelling_an_rsvp_cancels_its_reminders_at_once(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 5, 12, 0)
    ada = await rsvp(bot, "1001")
    bea = await rsvp(bot, "1002")
    await rsvp(bot, "1003")
    assert await tick(scheduler, clock, DAY_BEFORE) == 3
    clock.current = DAY_BEFORE
    assert "no longer down for" in await ada.press_data("rsvp:day1:no")
    assert "taken you off" in await bea.press_data("rsvpr:day1:no")  # "Can't make it"
    assert {r["user_id"]: r["state"] for r in outbox(path)} == {
        "1001": "cancelled", "1002": "cancelled", "1003": "pending"}
    sender = await deliver_all(bot, path)
    assert sender.chats == ["1003"]


async def test_the_worker_rechecks_the_rsvp_and_the_subscription_when_claiming(
        bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 6, 12, 0)
    await rsvp(bot, "1001")
    await subscriber(bot, "1002")
    await subscriber(bot, "1003")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, MORNING)  # the morning reminder for 1001
    await tick(scheduler, clock, utc(2027, 6, 7, 13, 0))  # prompts for 1002 and 1003
    # Changed behind the outbox's back (another process, a race with a press):
    async with bot.store.transaction() as db:
        await db.execute("DELETE FROM rsvps WHERE user_id = '1001'")
        await db.execute("UPDATE subscriptions SET active = 0 WHERE user_id = '1002'")
    clock.current = utc(2027, 6, 7, 13, 1)
    sender = await deliver_all(bot, path)
    assert sender.chats == ["1003"]
    states = {r["user_id"]: (r["state"], r["attempts"]) for r in outbox(path)
              if r["state"] != "skipped"}
    assert states == {"1001": ("cancelled", 0), "1002": ("cancelled", 0),
                      "1003": ("delivered", 1)}


async def test_unsubscribing_cancels_the_pending_prompt_in_the_same_step(bot, clock, scheduler,
                                                                        path):
    clock.current = utc(2027, 6, 1, 12, 0)
    ada = await subscriber(bot, "1001")
    bea = await subscriber(bot, "1002")
    admin = MemoryChat(bot, user_id="9", chat_id="-100555", can_manage_chat=True)
    await admin.send("/subscribe")
    await subscriber(bot, "1003")
    await tick(scheduler, clock, clock.current)
    assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 0)) == 4
    await ada.send("/unsubscribe")
    [row] = outbox(path, user_id="1002")
    [[_, stop]] = (await body_of(bot, row)).buttons
    await bea.press_data(stop.data)
    await admin.send("/unsubscribe")
    states = {r["chat_id"]: r["state"] for r in outbox(path)}
    assert states == {"1001": "cancelled", "1002": "cancelled", "-100555": "cancelled",
                      "1003": "pending"}
    sender = await deliver_all(bot, path)
    assert sender.chats == ["1003"]


async def announce_to_everyone(bot, text: str = "News from the campaign") -> int:
    store, now = bot.store, bot.clock.now()
    number = await store.create_announcement("telegram", MODERATOR_TELEGRAM_ID, "Mo",
                                             MODERATOR_TELEGRAM_ID, text, now)
    message = await store.message(f"ann:{number}", "announcement",
                                  reply_to_dict(Reply.of(text)), now)
    assert await store.update_announcement(number, expect=("draft",), audience="everyone",
                                           status="queued")
    await store.start_announcement(await store.announcement(number), message, ("telegram",),
                                   now + timedelta(days=1), now)
    return message


async def sign(bot, user_id: str) -> MemoryChat:
    await bot.store.sign("telegram", user_id, name="Ada", email=None, postcode=None,
                         wants_updates=True, consent_text="Keep me updated.",
                         consent_version="1", now=bot.clock.now())
    return MemoryChat(bot, user_id=user_id)


async def test_unsign_and_unsubscribe_cancel_announcements_that_reached_them_only_so(
        bot, clock, path):
    only_signed = await sign(bot, "2001")  # in the audience because they asked for updates
    both = await sign(bot, "2002")
    await subscriber(bot, "2002")  # ... and because they get the daily prompts
    only_subscribed = await subscriber(bot, "2003")
    signed_too = await subscriber(bot, "2004")
    await sign(bot, "2004")
    await announce_to_everyone(bot)
    assert len(outbox(path)) == 4
    for chat in (only_signed, both):
        await chat.send("/unsign")
        assert "withdrawn" in await chat.press_data("unsign:yes")
    await only_subscribed.send("/unsubscribe")
    await signed_too.send("/unsubscribe")
    states = {r["chat_id"]: r["state"] for r in outbox(path)}
    assert states == {"2001": "cancelled", "2002": "pending", "2003": "cancelled",
                      "2004": "pending"}

"""Retention (issue 8, items 9 and 10): per-person history is kept only as long as the README's
"Retention" section says, and a housekeeping task purges the rest while the bot runs (once at
start-up, then daily by the bot's clock)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.housekeeping import FORM_LIFETIME, RETENTION, Housekeeping
from bot.services import DeliveryServices
from bot.storage import DuePrompt, FormSession
from tests.support.conversations import sign_up
from tests.support.database import rows
from tests.support.waiting import wait_until

ADA, GRACE, BOB = "1001", "2002", "3003"


async def delivered_prompt(store, user_id: str, key: str, now) -> int:
    prompt = await store.message("prompt:test", "prompt", {"body": []}, now)
    await store.subscribe("telegram", user_id, user_id, now)  # a prompt is sent only to them
    due = DuePrompt("telegram", user_id, user_id, now, None, None)
    assert await store.schedule_prompt(due, prompt, key, now, None)
    row = next(r for r in await store.pending_batch("telegram", now, 50) if r.user_id == user_id)
    assert await store.claim(row.id, now)
    await store.finish(row.id, "delivered", now)
    return row.id


async def sent_announcement(store, now) -> tuple[int, int]:
    """An announcement delivered to Ada and undeliverable to Grace; (announcement, message)."""
    a = await store.create_announcement("telegram", "42", "Mo Derator", "42", "Friday!", now)
    await store.update_announcement(a, expect=("draft",), audience="everyone", status="queued")
    message = await store.message(f"ann:{a}", "announcement", {"body": []}, now)
    assert await store.start_announcement(await store.announcement(a), message,
                                          ("telegram",), now + timedelta(days=1), now) == 2
    for row in await store.pending_batch("telegram", now, 50):
        if row.message_id == message:
            assert await store.claim(row.id, now)
            await store.finish(row.id, "delivered" if row.user_id == ADA else "gone", now,
                               "" if row.user_id == ADA else "blocked")
    await store.update_announcement(a, expect=("sending",), status="done", finished_at=now)
    return a, message


@pytest.fixture
async def people(bot, make_chat):
    """Ada and Grace signed and asked for updates."""
    await sign_up(make_chat(), "Ada Lovelace", "ada@example.com", updates=True)
    await sign_up(make_chat(user_id=GRACE, name="Grace Hopper"), "Grace Hopper",
                  "grace@example.org", updates=True)


async def test_sent_messages_are_forgotten_30_days_after_they_were_settled(
        bot, people, config, clock):
    store, start = bot.store, clock.now()
    prompt_row = await delivered_prompt(store, ADA, "prompt:telegram:1001:a", start)
    _, message = await sent_announcement(store, start)
    counts = await store.delivery_counts(message)
    waiting = await store.message("prompt:later", "prompt", {"body": []}, start)
    due = DuePrompt("telegram", GRACE, GRACE, start, None, None)
    assert await store.schedule_prompt(due, waiting, "prompt:telegram:2002:b", start, None)
    housekeeping = Housekeeping(bot)

    clock.advance(days=30, minutes=-1)
    await housekeeping.sweep(clock.now())
    assert len(rows(config, "SELECT * FROM outbox")) == 4  # not yet

    clock.advance(minutes=2)
    await housekeeping.sweep(clock.now())

    # The delivered prompt is gone; the announcement's rows stay as anonymous counts, so its
    # report still adds up; the prompt still waiting is untouched.
    assert rows(config, "SELECT id FROM outbox WHERE id = ?", (prompt_row,)) == []
    assert rows(config, "SELECT chat_id, user_id, idem_key LIKE 'purged:%' FROM outbox"
                " WHERE message_id = ?", (message,)) == [("", None, 1), ("", None, 1)]
    assert await store.delivery_counts(message) == counts
    assert rows(config, "SELECT user_id, state FROM outbox WHERE message_id = ?",
                (waiting,)) == [(GRACE, "pending")]
    assert rows(config, "SELECT COUNT(*) FROM outbox WHERE user_id = ? OR chat_id = ?"
                " OR idem_key LIKE ?", (ADA, ADA, f"%{ADA}%")) == [(0,)]


async def test_mydata_stops_counting_messages_once_their_records_are_gone(
        bot, people, chat, clock):
    await delivered_prompt(bot.store, ADA, "prompt:telegram:1001:a", clock.now())
    assert "Daily prompts: 1 sent" in await chat.send("/mydata")

    clock.advance(days=31)
    await Housekeeping(bot).sweep(clock.now())

    assert "Messages to you" not in await chat.send("/mydata")


async def test_unfinished_forms_are_purged_after_two_days_without_being_read(bot, config, clock):
    store = bot.store
    await store.save_form_session("telegram", ADA, FormSession("sign", 1, {"name": "Ada"}),
                                  clock.now())
    clock.advance(minutes=1)
    await store.save_form_session("telegram", GRACE, FormSession("sign", 1, {"name": "G"}),
                                  clock.now())
    clock.advance(days=2)  # Ada's is two days and a minute old, Grace's exactly two days

    await Housekeeping(bot).sweep(clock.now())

    assert rows(config, "SELECT user_id FROM form_sessions") == [(GRACE,)]
    assert FORM_LIFETIME == timedelta(days=2) and RETENTION == timedelta(days=30)


async def test_actions_done_and_rsvps_to_long_finished_events_are_purged(
        bot, chat, config, clock):
    store = bot.store
    await store.mark_action_done("telegram", ADA, "2027-06-01", clock.now())
    await store.set_rsvps("telegram", ADA, {"day1", "day2"}, set(), clock.now())
    day1_end = config.event("day1").ends_at
    clock.current = day1_end + RETENTION + timedelta(minutes=1)
    await store.mark_action_done("telegram", ADA, clock.now().date().isoformat(), clock.now())

    await Housekeeping(bot).sweep(clock.now())

    assert await store.actions_done("telegram", ADA) == [clock.now().date().isoformat()]
    assert await store.rsvps_of("telegram", ADA) == {"day2"}  # day2 ended a day later


async def test_unreachable_notes_are_kept_only_while_the_chat_is_still_in_an_audience(
        bot, people, chat, config, clock):
    store, now = bot.store, clock.now()
    await chat.send("/subscribe")
    for who in (ADA, BOB):  # Ada is subscribed and signed; Bob is in no audience
        await store.deactivate_recipient("telegram", who, "blocked", now)
    await store.deactivate_recipient("telegram", "-100", "blocked", now)  # a group, forgotten

    clock.advance(days=60)
    await Housekeeping(bot).sweep(clock.now())

    assert rows(config, "SELECT chat_id FROM unreachable") == [(ADA,)]


async def test_announcements_lose_their_author_30_days_after_and_drafts_after_two(
        bot, people, moderator, config, clock):
    store, start = bot.store, clock.now()
    old, _ = await sent_announcement(store, start)
    await store.create_announcement("telegram", "42", "Mo Derator", "42", "Hm", start)
    clock.advance(days=2, minutes=1)
    recent, _ = await sent_announcement(store, clock.now())
    clock.current = start + RETENTION + timedelta(minutes=1)

    await Housekeeping(bot).sweep(clock.now())

    assert rows(config, "SELECT id, author_id, author_name, author_chat, text FROM announcements"
                " ORDER BY id") == [(old, "", "", "", "Friday!"),
                                    (recent, "42", "Mo Derator", "42", "Friday!")]
    history = await moderator.send("/announcements")
    assert f"#{old} done — (erased) on telegram" in history


async def test_the_housekeeping_loop_sweeps_at_start_then_once_a_day_by_the_bots_clock(
        bot, config, clock):
    store = bot.store
    stale = clock.now() - FORM_LIFETIME - timedelta(minutes=1)
    await store.save_form_session("telegram", ADA, FormSession("sign", 1, {}), stale)
    housekeeping = Housekeeping(bot, poll=0.001)
    stop = asyncio.Event()
    task = asyncio.create_task(housekeeping.run(stop))
    try:
        await wait_until(lambda: housekeeping.sweeps == 1)  # the start-up sweep
        assert await _form_count(store, 0)
        await store.save_form_session("telegram", GRACE, FormSession("sign", 1, {}), stale)
        polls = housekeeping.polls
        await wait_until(lambda: housekeeping.polls >= polls + 5)
        assert housekeeping.sweeps == 1  # the bot's clock has not moved a day
        assert await _form_count(store, 1)

        clock.advance(days=1)

        await wait_until(lambda: housekeeping.sweeps == 2)
        assert await _form_count(store, 0)
    finally:
        stop.set()
        await asyncio.wait_for(task, 2)


async def test_delivery_services_run_the_housekeeping(bot, config, clock):
    stale = clock.now() - FORM_LIFETIME - timedelta(minutes=1)
    await bot.store.save_form_session("telegram", ADA, FormSession("sign", 1, {}), stale)
    services = DeliveryServices(bot)
    services.start()
    try:
        await wait_until(lambda: _form_count(bot.store, 0))
    finally:
        await services.stop()
    assert all(task.done() for task in services.tasks)


async def _form_count(store, expected: int) -> bool:
    return await store._scalar("SELECT COUNT(*) FROM form_sessions") == expected

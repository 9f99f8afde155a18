"""Attendance: an hour after an event ends, each person who still holds an RSVP is asked "Did
you make it?" through the outbox (once, in their language at sending, for two days); the
answer is stored on the RSVP row, and /mydata shows it and /forget erases it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

from tests.support.memory import MemoryChat
from tests.support.outbox import outbox
from tests.support.schedule import body_of, rsvp, tick, utc

DAY1_ENDS = utc(2027, 6, 8, 0, 0)  # 20:00 EDT on Mon 7 June
ASK_AT = DAY1_ENDS + timedelta(hours=1)
TITLE = "Kick-off call: why we have our eyes on Amazon"


def questions(path) -> list[dict]:
    return [r for r in outbox(path) if r["idem_key"].startswith("attendance:")]


async def test_asked_an_hour_after_the_end_once_and_not_after_cancelling(bot, clock,
                                                                        scheduler, path):
    await rsvp(bot, "1001")
    await rsvp(bot, "2002", platform="discord")
    cancelled = await rsvp(bot, "3003")
    await cancelled.press_data("rsvp:day1:no")
    await tick(scheduler, clock, ASK_AT - timedelta(minutes=1))
    assert questions(path) == []
    assert await tick(scheduler, clock, ASK_AT) == 2
    rows = questions(path)
    assert sorted((r["platform"], r["user_id"]) for r in rows) == [
        ("discord", "2002"), ("telegram", "1001")]
    assert {r["expires_at"] for r in rows} == {(ASK_AT + timedelta(days=2)).isoformat()}
    await tick(scheduler, clock, ASK_AT + timedelta(hours=5))  # once per person per event
    assert len(questions(path)) == 2
    reply = await body_of(bot, rows[0])
    assert reply.plain_text() == f"Did you make it to {TITLE}?"
    assert [b.label for row in reply.buttons for b in row] == ["I was there",
                                                               "Couldn't make it"]


async def test_rendered_at_sending_in_the_recipients_language(bot, clock, scheduler, path):
    chat = MemoryChat(bot, user_id="1001", locale="es")
    await chat.press_data("rsvp:day1")
    await tick(scheduler, clock, ASK_AT)
    reply = await body_of(bot, questions(path)[0])
    assert reply.plain_text().startswith("¿Pudiste ir a Llamada de arranque")
    assert [b.label for row in reply.buttons for b in row] == ["Estuve ahí", "No pude ir"]


async def test_too_late_is_never_asked_and_a_queued_question_expires(bot, clock, scheduler,
                                                                     path):
    await rsvp(bot, "1001")
    await tick(scheduler, clock, ASK_AT + timedelta(days=2))
    assert questions(path) == []
    await tick(scheduler, clock, ASK_AT + timedelta(days=2) - timedelta(minutes=1))
    assert len(questions(path)) == 1
    await bot.store.expire_stale(ASK_AT + timedelta(days=2))
    assert questions(path)[0]["state"] == "expired"


async def test_cancelled_between_queueing_and_sending_is_not_sent(bot, clock, scheduler, path):
    await rsvp(bot, "1001")
    await rsvp(bot, "2002")
    await tick(scheduler, clock, ASK_AT)
    second = questions(path)[1]
    await bot.store.set_rsvps("telegram", "1001", set(), {"day1"}, clock.now())
    assert questions(path)[0]["state"] == "cancelled"
    # Gone without the cancelling path (erased by hand, say): the claim refuses it too.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DELETE FROM rsvps WHERE user_id = '2002'")
    assert not await bot.store.claim(second["id"], clock.now())
    assert questions(path)[1]["state"] == "cancelled"


async def test_answers_are_stored_updated_and_refused_without_an_rsvp(bot, clock):
    chat = await rsvp(bot, "1001")
    clock.current = ASK_AT
    assert await chat.press_data("attended:day1:yes") == (
        f"Thank you for coming to {TITLE}! We've noted it.")
    assert await bot.store.attendance_of("telegram", "1001") == {"day1": True}
    assert "next one" in await chat.press_data("attended:day1:no")  # a second press updates
    assert await bot.store.attendance_of("telegram", "1001") == {"day1": False}
    await bot.store.set_rsvps("telegram", "1001", set(), {"day1"}, clock.now())
    assert await chat.press_data("attended:day1:yes") == (
        f"You no longer have an RSVP for {TITLE}, so there is nothing to record.")
    assert await bot.store.attendance_of("telegram", "1001") == {}


async def test_tampered_or_early_answers_change_nothing(bot, clock):
    chat = await rsvp(bot, "1001", event="day5")
    clock.current = ASK_AT
    for data in ("attended:day5:yes", "attended:nope:yes", "attended:day1:maybe",
                 "attended:day1"):
        assert "no longer available" in await chat.press_data(data)
    assert await bot.store.attendance_of("telegram", "1001") == {"day5": None}


async def test_mydata_shows_the_answer_and_forget_erases_it(bot, clock):
    chat = await rsvp(bot, "1001")
    clock.current = ASK_AT
    await chat.press_data("attended:day1:yes")
    assert f"{TITLE}: you said you were there" in await chat.send("/mydata")
    await chat.send("/forget")
    assert "1 RSVP" in await chat.press("Yes, erase everything")
    assert await bot.store.attendance_of("telegram", "1001") == {}
    assert await chat.press_data("attended:day1:yes") == (
        f"You no longer have an RSVP for {TITLE}, so there is nothing to record.")
    assert await bot.store.attendance_of("telegram", "1001") == {}


async def test_an_event_moved_later_is_asked_about_again_after_its_new_end(bot, clock,
                                                                          scheduler, path):
    await rsvp(bot, "1001")
    assert await tick(scheduler, clock, ASK_AT) == 1
    # The organisers move the kick-off a day later (its question went out for the old end).
    moved = bot.config.events[0].model_copy(update={
        "starts_at": bot.config.events[0].starts_at + timedelta(days=1),
        "ends_at": DAY1_ENDS + timedelta(days=1)})
    bot.config = bot.config.model_copy(update={"events": (moved, *bot.config.events[1:])})
    assert await tick(scheduler, clock, ASK_AT + timedelta(days=1)) == 1
    assert len(questions(path)) == 2

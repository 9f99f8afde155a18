"""Marking the day's action done (the daily prompt's Done, or /today then Done) extends the
streak; the Done answer encourages exactly at 3, 7 and 14 days, and never otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

THREE = "That's 3 days in a row. Nice rhythm!"
SEVEN = "A whole week: 7 days in a row. Thank you for sticking with it!"
FOURTEEN = "14 days in a row! You're one of the campaign's steadiest supporters."


async def test_today_shows_a_done_button_that_marks_the_local_date(chat, bot, clock):
    # 22:30 in New York on 1 June is already 2 June in UTC: the local date is the one marked.
    clock.current = datetime(2027, 6, 2, 2, 30, tzinfo=UTC)
    text = await chat.send("/today")
    assert text.startswith("Today's action (Tue 1 Jun 2027):")
    assert "Done ✓" in chat.labels
    assert await chat.press("Done ✓") == "Thank you for taking action today!"
    assert await bot.store.actions_done("telegram", "1001") == ["2027-06-01"]


async def test_encouragement_exactly_at_3_7_and_14_days(chat, clock):
    clock.current = datetime(2027, 5, 1, 13, 0, tzinfo=UTC)  # 09:00 in New York
    said: dict[int, str] = {}
    for day in range(1, 16):
        await chat.send("/today")
        said[day] = await chat.press("Done ✓")
        assert await chat.press("Done ✓") == (  # a repeated press: no encouragement
            "You already marked this day's action as done. Thank you!")
        clock.advance(days=1)
    thanks = "Thank you for taking action today!"
    assert said[3] == f"{thanks} {THREE}"
    assert said[7] == f"{thanks} {SEVEN}"
    assert said[14] == f"{thanks} {FOURTEEN}"
    for day in set(said) - {3, 7, 14}:
        assert said[day] == thanks, day


async def test_a_missed_day_resets_and_the_encouragement_comes_again_at_3(chat, clock):
    clock.current = datetime(2027, 5, 1, 13, 0, tzinfo=UTC)
    answers = []
    for skip in (False, False, True, False, False, False):
        if not skip:
            await chat.send("/today")
            answers.append(await chat.press("Done ✓"))
        clock.advance(days=1)
    # Days 1, 2, (missed), 4, 5, 6: the streak reached 3 only on day 6.
    assert [THREE in a for a in answers] == [False, False, False, False, True]


async def test_the_daily_prompts_done_extends_the_streak(chat, bot, clock):
    clock.current = datetime(2027, 5, 1, 13, 0, tzinfo=UTC)
    for offset in (0, 1):
        day = (datetime(2027, 5, 1) + timedelta(days=offset)).date().isoformat()
        assert "Thank you" in await chat.press_data(f"done:{day}")
    clock.advance(days=2)
    # The prompt of 3 May, pressed late that evening: the third day in a row.
    clock.current = datetime(2027, 5, 4, 3, 0, tzinfo=UTC)
    assert THREE in await chat.press_data("done:2027-05-03")
    # An older prompt pressed now fills no current run: no encouragement.
    old = await chat.press_data("done:2027-04-28")
    assert old == "Thank you for taking action today!"

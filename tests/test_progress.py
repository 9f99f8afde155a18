"""/progress: a supporter's part so far (signature, events and attendance, actions done,
streaks) and what is next; a friendly nudge for someone with nothing yet; Spanish."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.conversations import sign_up

NUDGE = ("Nothing here yet, and that's easy to change: sign the petition with /sign, join a "
         "Week of Action event with /rsvp, and get one small action a day with /subscribe.")


async def test_nothing_yet_gets_a_friendly_nudge(chat):
    assert await chat.send("/progress") == NUDGE
    assert chat.replies[0].private


async def test_progress_shows_signature_events_actions_streak_and_todays_action(chat, bot,
                                                                               clock):
    await sign_up(chat)  # 1 June, 09:00 in New York
    for day in ("2027-05-31", "2027-06-01"):
        await chat.press_data(f"done:{day}")
    await chat.press_data("rsvp:day1")
    await chat.press_data("rsvp:day2")
    clock.current = datetime(2027, 6, 8, 13, 0, tzinfo=UTC)  # day1 is over, day2 tonight
    await bot.store.set_attendance("telegram", "1001", "day1", True, clock.now())
    text = await chat.send("/progress")
    assert "You signed the petition as #1 on Tue 1 Jun 2027." in text
    assert "You RSVPed to 2 events." in text
    assert ("Kick-off call: why we have our eyes on Amazon (Mon 7 Jun 2027): you were there ✓"
            in text)
    assert "(Tue 8 Jun 2027): you're going" in text
    assert "You've marked 2 daily actions done." in text
    assert "Current streak: 0 days in a row. Best streak: 2 days." in text
    assert "Today's action (Tue 8 Jun 2027):" in text
    assert text.index("Today's action") < text.index("Next event:")  # both, in that order
    assert chat.labels == ["Done ✓"]  # already going to the next event: no Going button
    await chat.press("Done ✓")
    text = await chat.send("/progress")
    assert "Current streak: 1 day in a row. Best streak: 2 days." in text
    # Today's action done: only the next event.
    assert "Today's action" not in text
    assert "Next event:" in text and "You're going." in text


async def test_the_next_event_comes_with_an_rsvp_hint_when_not_going(chat, clock):
    clock.current = datetime(2027, 6, 11, 13, 0, tzinfo=UTC)  # after the deadline
    await chat.press_data("done:2027-06-11")
    text = await chat.send("/progress")
    assert "Next event:" in text and "Send /rsvp to join it." in text
    assert any(label.startswith("Going:") for label in chat.labels)


async def test_the_streak_follows_a_timezone_change_made_in_settings(chat, clock):
    for day in ("2027-05-31", "2027-06-01", "2027-06-02"):
        await chat.press_data(f"done:{day}")
    # 23:30 on 3 June in New York: the streak is alive (yesterday was done).
    clock.current = datetime(2027, 6, 4, 3, 30, tzinfo=UTC)
    assert "Current streak: 3 days in a row." in await chat.send("/progress")
    # In Tokyo it is already 4 June: the 3rd was missed.
    assert "Asia/Tokyo" in await chat.send("/settings timezone Asia/Tokyo")
    text = await chat.send("/progress")
    assert "Current streak: 0 days in a row. Best streak: 3 days." in text
    assert "Today's action (Fri 4 Jun 2027):" in text


async def test_progress_in_a_group_goes_private(make_chat):
    group = make_chat(chat_id="-100")
    assert "private chat" in await group.send("/progress")


async def test_progress_in_spanish(make_chat, clock):
    chat = make_chat(locale="es")
    assert (await chat.send("/progress")).startswith("Todavía no hay nada aquí")
    await sign_up_es(chat)
    await chat.press_data("done:2027-06-01")
    text = await chat.send("/progress")
    assert "Firmaste la petición como n.º 1 el mar, 1 jun 2027." in text
    assert "Has marcado 1 acción diaria como hecha." in text
    assert "Racha actual: 1 día seguido. Mejor racha: 1 día." in text


async def sign_up_es(chat) -> None:
    await chat.send("/sign")
    await chat.send("Ada")
    await chat.press("Omitir")  # email
    await chat.press("Omitir")  # postcode
    await chat.press("Firmar")


async def test_going_under_progress_answers_with_the_list_and_leaves_the_summary(chat):
    await chat.press_data("done:2027-06-01")  # today's action done: the next event shows
    assert "Send /rsvp to join it." in await chat.send("/progress")
    text = await chat.press("Going: Kick-off call")
    assert text.startswith("You're going to Kick-off call")
    assert not chat.edited  # a new message: the summary it was pressed under stays


async def test_a_subscriber_with_nothing_else_sees_their_progress_not_the_nudge(chat):
    await chat.send("/subscribe")
    text = await chat.send("/progress")
    assert text != NUDGE and "You haven't signed the petition yet" in text

"""/rsvp: a supporter sees the Week of Action, signs up for events, and cancels.

The clock fixture stands at Tue 1 June 2027, 09:00 in New York, before every event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import open_bot
from tests.support.memory import MemoryChat

ALL_IDS = {"day1", "day2", "day3", "day4", "day5"}
STALE = "no longer available"

# What the shipped config.toml promises, as a supporter reads it.
EVENTS = [
    ("day1", "Kick-off call: why we have our eyes on Amazon", "Mon 7 Jun 2027, 19:00–20:00 EDT",
     "Join online (https://mediajustice.org/eyesonamazon/kickoff)"),
    ("day2", "Teach-in: facial recognition and policing", "Tue 8 Jun 2027, 19:00–20:30 EDT",
     "Join online (https://mediajustice.org/eyesonamazon/teach-in)"),
    ("day3", "Call-in day: tell Amazon's leadership", "Wed 9 Jun 2027, 12:00–13:00 EDT",
     "Join online (https://mediajustice.org/eyesonamazon/call-in)"),
    ("day4", "Anniversary day of visibility", "Thu 10 Jun 2027, 12:00–14:00 EDT",
     "Outside Amazon offices in participating cities (details sent to RSVPs)"),
    ("day5", "Closing call: what comes next", "Fri 11 Jun 2027, 19:00–20:00 EDT",
     "Join online (https://mediajustice.org/eyesonamazon/next)"),
]

# Day 1 ends at 20:00 EDT on 7 June, which is midnight UTC.
AFTER_DAY1 = datetime(2027, 6, 8, 0, 30, tzinfo=UTC)




def section(text: str, title: str) -> str:
    """The block of the event list about one event (its title up to the next blank line)."""
    start = text.index("\n\n" + title, text.index("Week of Action")) + 2
    end = text.find("\n\n", start)
    return text[start:] if end == -1 else text[start:end]


async def test_rsvp_lists_every_event_in_order_with_time_place_and_count(chat):
    text = await chat.send("/rsvp")

    assert text.startswith("Week of Action")
    positions = [text.index(title) for _, title, _, _ in EVENTS]
    assert positions == sorted(positions)
    for _, title, when, where in EVENTS:
        block = section(text, title)
        assert when in block
        assert where in block
        assert block.endswith("0 coming")
    assert "Choose the events you'll join" in text
    assert chat.labels == [
        "Going: Kick-off call: why we have …",
        "Going: Teach-in: facial recognitio…",
        "Going: Call-in day: tell Amazon's …",
        "Going: Anniversary day of visibili…",
        "Going: Closing call: what comes ne…",
        "All of them",
    ]


async def test_pressing_an_event_signs_you_up_and_pressing_again_cancels(chat, bot):
    await chat.send("/rsvp")

    text = await chat.press("Going: Teach-in")

    assert text.startswith(
        "You're going to Teach-in: facial recognition and policing. See you there!")
    assert section(text, "Teach-in").endswith("1 coming · you're going ✓")
    assert section(text, "Kick-off call").endswith("0 coming")
    assert "Cancel: Teach-in: facial recognitio…" in chat.labels
    assert "Going: Teach-in: facial recognitio…" not in chat.labels
    assert "You're signed up for 1 of 5" in text
    assert await bot.store.rsvps_of("telegram", "1001") == {"day2"}

    text = await chat.press("Cancel: Teach-in")

    assert text.startswith("You're no longer down for Teach-in: facial recognition and policing.")
    assert section(text, "Teach-in").endswith("0 coming")
    assert "you're going" not in text
    assert "Going: Teach-in: facial recognitio…" in chat.labels
    assert "Choose the events you'll join" in text
    assert await bot.store.rsvps_of("telegram", "1001") == set()


async def test_all_of_them_signs_up_for_every_event_and_then_disappears(chat, bot):
    await chat.send("/rsvp")
    await chat.press("Going: Call-in day")

    text = await chat.press("All of them")

    assert text.startswith("You're going to every upcoming event of the Week of Action.")
    assert await bot.store.rsvps_of("telegram", "1001") == ALL_IDS
    for _, title, _, _ in EVENTS:
        assert section(text, title).endswith("1 coming · you're going ✓")
    assert "All of them" not in chat.labels
    assert all(label.startswith("Cancel: ") for label in chat.labels[:-1])
    assert chat.labels[-1] == "Add my events to calendar"
    assert len(chat.labels) == 6
    assert "You're signed up for 5 of 5" in text


async def test_all_of_them_pressed_twice_changes_nothing(chat, bot):
    await chat.send("/rsvp")
    await chat.press("All of them")

    text = await chat.press_data("rsvp:all")  # a second tap on the old button

    assert text.startswith("You were already going to every upcoming event.")
    assert await bot.store.rsvps_of("telegram", "1001") == ALL_IDS
    assert (await bot.store.rsvp_counts()) == {event_id: 1 for event_id in ALL_IDS}


async def test_counts_add_up_across_supporters(chat, make_chat, bot):
    grace = make_chat(user_id="2002", name="Grace Hopper")
    await chat.send("/rsvp")
    await chat.press("Going: Teach-in")
    await grace.send("/rsvp")
    await grace.press("Going: Teach-in")
    await grace.press("Going: Closing call")

    text = await chat.send("/rsvp")

    assert section(text, "Teach-in").endswith("2 coming · you're going ✓")
    assert section(text, "Closing call").endswith("1 coming")
    assert section(text, "Kick-off call").endswith("0 coming")
    assert "You're signed up for 1 of 5" in text
    grace_sees = await grace.send("/rsvp")
    assert section(grace_sees, "Closing call").endswith("1 coming · you're going ✓")
    assert "You're signed up for 2 of 5" in grace_sees
    assert await bot.store.rsvp_counts() == {"day2": 2, "day5": 1}


async def test_rsvp_again_shows_what_you_signed_up_for(chat):
    await chat.send("/rsvp")
    await chat.press("Going: Kick-off")
    await chat.press("Going: Anniversary")

    text = await chat.send("/rsvp")

    assert "You're signed up for 2 of 5. Press an event again to cancel." in text
    assert section(text, "Kick-off call").endswith("you're going ✓")
    assert section(text, "Anniversary day").endswith("you're going ✓")
    assert "Cancel: Kick-off call: why we have …" in chat.labels
    assert "Cancel: Anniversary day of visibili…" in chat.labels
    assert "All of them" in chat.labels


async def test_an_event_that_is_over_is_shown_as_over_without_a_button(chat, clock):
    clock.current = AFTER_DAY1

    text = await chat.send("/rsvp")

    assert section(text, "Kick-off call").endswith("0 coming · this event is over")
    assert not any("Kick-off" in label for label in chat.labels)
    assert "Going: Teach-in: facial recognitio…" in chat.labels
    assert "All of them" in chat.labels


async def test_an_event_is_over_exactly_when_it_ends(chat, clock):
    clock.current = datetime(2027, 6, 7, 23, 59, tzinfo=UTC)
    text = await chat.send("/rsvp")
    assert "over" not in section(text, "Kick-off call")
    assert "Going: Kick-off call: why we have …" in chat.labels

    clock.current = datetime(2027, 6, 8, 0, 0, tzinfo=UTC)
    text = await chat.send("/rsvp")
    assert section(text, "Kick-off call").endswith("this event is over")
    assert not any("Kick-off" in label for label in chat.labels)


async def test_pressing_the_old_button_of_an_event_that_is_over_changes_nothing(chat, bot, clock):
    await chat.send("/rsvp")
    saved = next(b.data for b in chat.buttons if b.label.startswith("Going: Kick-off"))
    clock.current = AFTER_DAY1

    text = await chat.press_data(saved)

    assert text == "That event is already over."
    assert await bot.store.rsvps_of("telegram", "1001") == set()
    assert await bot.store.rsvp_counts() == {}


async def test_cancelling_an_event_that_is_over_keeps_the_rsvp(chat, bot, clock):
    await chat.send("/rsvp")
    await chat.press("Going: Kick-off")
    saved = next(b.data for b in chat.buttons if b.label.startswith("Cancel: Kick-off"))
    clock.current = AFTER_DAY1

    text = await chat.press_data(saved)

    assert text == "That event is already over."
    assert await bot.store.rsvps_of("telegram", "1001") == {"day1"}


async def test_all_of_them_skips_events_that_are_over(chat, bot, clock):
    clock.current = AFTER_DAY1
    await chat.send("/rsvp")

    text = await chat.press("All of them")

    assert text.startswith("You're going to every upcoming event")
    assert await bot.store.rsvps_of("telegram", "1001") == ALL_IDS - {"day1"}
    assert section(text, "Kick-off call").endswith("0 coming · this event is over")
    assert "You're signed up for 4 of 5" in text
    assert "All of them" not in chat.labels


async def test_no_all_of_them_button_when_one_event_is_left(chat, clock):
    clock.current = datetime(2027, 6, 11, 12, 0, tzinfo=UTC)  # only the closing call is ahead

    await chat.send("/rsvp")

    assert chat.labels == ["Going: Closing call: what comes ne…"]


@pytest.mark.parametrize("data", ["rsvp:nope", "rsvp:", "rsvp:day1:extra", "rsvp"])
async def test_tampered_button_data_changes_nothing(chat, bot, data):
    await chat.send("/rsvp")

    text = await chat.press_data(data)

    assert STALE in text
    assert "You're going" not in text
    assert await bot.store.rsvps_of("telegram", "1001") == set()
    assert await bot.store.rsvp_counts() == {}


async def test_another_supporters_rsvp_cannot_be_cancelled_by_a_replayed_button(
        chat, make_chat, bot):
    # Button data names the event and the intent only; the user always comes from the platform.
    grace = make_chat(user_id="2002", name="Grace Hopper")
    await chat.send("/rsvp")
    await chat.press("Going: Teach-in")
    saved = next(b.data for b in chat.buttons if b.label.startswith("Cancel: Teach-in"))

    text = await grace.press_data(saved)

    assert text.startswith("You're no longer down for Teach-in")
    assert await bot.store.rsvps_of("telegram", "1001") == {"day2"}
    assert await bot.store.rsvps_of("telegram", "2002") == set()


async def test_an_old_going_button_never_cancels(chat, bot):
    await chat.send("/rsvp")
    going = next(b.data for b in chat.buttons if b.label.startswith("Going: Teach-in"))
    await chat.press_data(going)
    assert (await chat.press_data(going)).startswith("You're going to Teach-in")
    assert await bot.store.rsvps_of("telegram", "1001") == {"day2"}


async def test_a_campaign_without_events_says_so(config, clock):
    no_events = config.model_copy(update={"events": ()})
    async with open_bot(no_events, clock) as bot:
        chat = MemoryChat(bot)

        text = await chat.send("/rsvp")

        assert text == "There are no events planned right now."
        assert chat.labels == []
        pressed = await chat.press_data("rsvp:day1")
        assert STALE in pressed
        assert await bot.store.rsvps_of("telegram", "1001") == set()


async def test_in_a_group_rsvp_shows_counts_but_nobodys_own_rsvps(make_chat, bot):
    bot.deep_links["telegram"] = lambda command: f"https://t.me/CampaignBot?start={command}"
    me = make_chat(user_id="3001")
    await me.send("/rsvp")
    await me.press("Going: Teach-in")
    in_group = make_chat(user_id="3001", chat_id="-100777")
    text = await in_group.send("/rsvp")
    assert "1 coming" in text
    assert "you're going" not in text and "signed up for" not in text
    assert [b.url for b in in_group.buttons] == ["https://t.me/CampaignBot?start=rsvp"]

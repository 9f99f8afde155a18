"""Tier 1: presses whose answer is the same list re-rendered replace the pressed message
(Reply.edit); a refusal or a note about something else stays a new message."""

from __future__ import annotations


async def test_rsvp_presses_update_the_list_in_place(chat):
    await chat.send("/rsvp")
    assert not chat.edited  # a command's answer is a new message
    going = await chat.press("Going: Kick-off call")
    assert going.startswith("You're going to Kick-off call") and chat.edited
    assert "Cancel: Kick-off call" in "".join(chat.labels)  # the same list, re-rendered
    everything = await chat.press("All of them")
    assert everything.startswith("You're going to every upcoming event") and chat.edited
    cancelled = await chat.press("Cancel: Teach-in")
    assert cancelled.startswith("You're no longer down for Teach-in") and chat.edited


async def test_a_stale_rsvp_press_answers_in_a_new_message(chat):
    await chat.send("/rsvp")
    await chat.press_data("rsvp:no-such-event")
    assert chat.replies and not chat.edited

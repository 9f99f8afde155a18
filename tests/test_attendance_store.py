"""Attendance answers live on the RSVP row: stored only for a standing RSVP, replaced by a later
answer, tallied per event, and gone with the RSVP (cancel or /forget)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core import Attachment, Reply, reply_to_dict
from bot.storage import EventTally, Storage

NOW = datetime(2027, 6, 8, 22, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path):
    async with await Storage.open(tmp_path / "a.db") as store:
        yield store


async def test_an_answer_needs_a_standing_rsvp(store):
    assert not await store.set_attendance("telegram", "1", "day1", True, NOW)
    assert await store.attendance_of("telegram", "1") == {}
    await store.set_rsvps("telegram", "1", {"day1", "day2"}, set(), NOW)
    assert await store.set_attendance("telegram", "1", "day1", True, NOW)
    assert await store.attendance_of("telegram", "1") == {"day1": True, "day2": None}
    assert await store.set_attendance("telegram", "1", "day1", False, NOW)  # changed their mind
    assert await store.attendance_of("telegram", "1") == {"day1": False, "day2": None}


async def test_tallies_count_rsvps_and_each_answer(store):
    for user in ("1", "2", "3"):
        await store.set_rsvps("telegram", user, {"day1"}, set(), NOW)
    await store.set_attendance("telegram", "1", "day1", True, NOW)
    await store.set_attendance("telegram", "2", "day1", False, NOW)
    assert await store.event_tallies() == {"day1": EventTally(rsvps=3, attended=1, missed=1)}


async def test_cancelling_or_forgetting_takes_the_answer_with_the_rsvp(store):
    await store.set_rsvps("telegram", "1", {"day1"}, set(), NOW)
    await store.set_attendance("telegram", "1", "day1", True, NOW)
    await store.forget("telegram", "1")
    assert await store.attendance_of("telegram", "1") == {}
    assert await store.event_tallies() == {}


def test_a_reply_with_a_file_is_never_queued():
    chart = Attachment("growth.png", "image/png", b"\x89PNG")
    assert chart.is_image and not Attachment("x.ics", "text/calendar", b"").is_image
    with pytest.raises(ValueError):
        reply_to_dict(Reply.of("chart", attachments=(chart,)))

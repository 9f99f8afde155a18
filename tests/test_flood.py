"""Per-person limits (issue 8, item 15): someone who floods the bot with state changes is slowed
with one polite message, further events that minute change nothing and get no answer, and a
minute later they work again. Time is the bot's FrozenClock: nothing here sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import ChatRef, Incoming, Reply, UserRef
from bot.flood import PER_MINUTE, SLOW_DOWN, FloodGuard, Verdict
from tests.conftest import MODERATOR_TELEGRAM_ID

T0 = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
GOING = "Going: Teach-in"
CANCEL = "Cancel: Teach-in"


async def rsvp_toggles(chat, count: int) -> list[str]:
    """Press the Teach-in button `count` times, going and cancelling in turn."""
    replies = []
    for _ in range(count):
        label = GOING if any(label.startswith(GOING) for label in chat.labels) else CANCEL
        replies.append(await chat.press(label))
    return replies


# The guard on its own -------------------------------------------------------------------------


def test_the_limit_is_twenty_a_minute_then_one_notice_then_silence_then_again():
    guard = FloodGuard()
    key = ("telegram", "1001")

    verdicts = [guard.check(key, T0 + timedelta(seconds=i)) for i in range(25)]

    assert PER_MINUTE == 20
    assert verdicts == [Verdict.GO] * 20 + [Verdict.NOTICE] + [Verdict.DROP] * 4
    assert guard.check(key, T0 + timedelta(seconds=59, microseconds=999_999)) is Verdict.DROP
    assert guard.check(key, T0 + timedelta(minutes=1)) is Verdict.GO
    again = [guard.check(key, T0 + timedelta(minutes=1)) for _ in range(20)]
    assert again[-1] is Verdict.NOTICE  # a new minute, a new (single) notice


def test_people_are_counted_apart_and_by_platform():
    guard = FloodGuard(per_minute=2)
    for _ in range(3):
        guard.check(("telegram", "1"), T0)

    assert guard.check(("telegram", "2"), T0) is Verdict.GO
    assert guard.check(("discord", "1"), T0) is Verdict.GO
    assert guard.check(("telegram", "1"), T0) is Verdict.DROP


def test_moderators_get_a_generous_limit_but_a_limit():
    guard = FloodGuard(per_minute=2, moderator_per_minute=5)
    verdicts = [guard.check(("telegram", "42"), T0, moderator=True) for _ in range(7)]
    assert verdicts == [Verdict.GO] * 5 + [Verdict.NOTICE, Verdict.DROP]


def test_idle_people_are_forgotten_and_memory_has_a_ceiling():
    guard = FloodGuard(max_people=100)
    for person in range(250):
        guard.check(("telegram", str(person)), T0)
    assert len(guard) == 100  # the oldest windows went first

    guard.check(("telegram", "someone"), T0 + timedelta(minutes=1))
    assert len(guard) == 1  # every other window had ended: nothing kept about them


def test_a_clock_set_back_starts_a_fresh_window():
    guard = FloodGuard(per_minute=1)
    guard.check(("telegram", "1"), T0)
    assert guard.check(("telegram", "1"), T0) is Verdict.NOTICE
    assert guard.check(("telegram", "1"), T0 - timedelta(hours=1)) is Verdict.GO


# Through the bot ------------------------------------------------------------------------------


async def test_rsvp_toggles_are_slowed_after_twenty_and_work_again_a_minute_later(
        bot, chat, clock):
    await chat.send("/rsvp")  # event 1
    replies = await rsvp_toggles(chat, PER_MINUTE - 1)  # events 2..20
    assert all("Teach-in" in reply for reply in replies)
    going = await bot.store.rsvps_of("telegram", "1001")

    notice = await rsvp_toggles(chat, 1)  # event 21
    assert notice == [SLOW_DOWN]
    assert chat.replies[0].private
    dropped = await rsvp_toggles(chat, 10)
    assert dropped == [""] * 10  # no answer at all
    assert await bot.store.rsvps_of("telegram", "1001") == going  # nothing toggled

    clock.advance(minutes=1)
    [after] = await rsvp_toggles(chat, 1)
    assert "Teach-in" in after
    assert await bot.store.rsvps_of("telegram", "1001") != going


async def test_a_sign_unsign_loop_is_slowed_and_changes_nothing_once_slowed(bot, chat, clock):
    await chat.send("/countdown")
    await chat.send("/countdown")
    for _ in range(2):  # 7 events a round
        await chat.send("/sign")
        await chat.send("Ada Lovelace")
        await chat.press("Skip")
        await chat.press("Skip")
        await chat.press("Sign")
        await chat.send("/unsign")
        assert "withdrawn" in await chat.press("Yes, withdraw it")
    await chat.send("/sign")
    await chat.send("Ada Lovelace")
    await chat.press("Skip")
    await chat.press("Skip")  # the 20th event of the minute

    assert await chat.press("Sign") == SLOW_DOWN
    assert await bot.store.signature_total() == 0
    assert await chat.send("/sign") == ""
    assert await bot.store.signature_total() == 0

    clock.advance(minutes=1)
    assert "You are signature #1." in await chat.press("Sign")  # the form was kept
    assert await bot.store.signature_total() == 1


async def test_one_person_flooding_does_not_slow_anyone_else(make_chat):
    ada, grace = make_chat(), make_chat(user_id="2002", name="Grace Hopper")
    discord_ada = make_chat(platform="discord", user_id="1001")
    for _ in range(PER_MINUTE + 5):
        await ada.send("/countdown")

    assert await ada.send("/countdown") == ""
    assert "left" in await grace.send("/countdown")
    assert "left" in await discord_ada.send("/countdown")


async def test_typed_answers_and_unknown_text_count_too(chat):
    for _ in range(PER_MINUTE):
        await chat.send("hello?")
    assert await chat.send("hello?") == SLOW_DOWN
    assert await chat.send("/help") == ""


async def test_the_console_operator_is_never_slowed(make_chat):
    console = make_chat(platform="console", user_id="local")
    for _ in range(3 * PER_MINUTE):
        assert "left" in await console.send("/countdown")


async def test_a_moderator_has_room_for_a_busy_minute(make_chat):
    moderator = make_chat(user_id=MODERATOR_TELEGRAM_ID, name="Mo Derator")
    for _ in range(2 * PER_MINUTE):
        assert "Signatures" in await moderator.send("/stats")


async def test_where_every_event_must_be_answered_the_notice_answers_each(bot, clock):
    # Discord: an interaction without a response shows "This interaction failed", so the adapter
    # passes ephemeral=True and a dropped event is answered with the notice (never "Done.").
    user = UserRef("discord", "5005", "Ada")
    incoming = Incoming("command", user, ChatRef("discord", "9", is_direct=False),
                        name="countdown")
    for _ in range(PER_MINUTE):
        await bot.handle(incoming, modal=True, ephemeral=True)

    for _ in range(3):
        [reply] = await bot.handle(incoming, modal=True, ephemeral=True)
        assert isinstance(reply, Reply) and reply.private
        assert reply.plain_text() == SLOW_DOWN


async def test_the_slow_down_log_line_names_no_one(make_chat, caplog):
    chat = make_chat(user_id="8675309", name="Jenny Secret")
    with caplog.at_level("INFO", logger="bot"):
        for _ in range(PER_MINUTE + 3):
            await chat.send("/countdown")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.flood"]
    assert lines == ["slowed down a person on telegram"]
    assert "8675309" not in caplog.text and "Jenny" not in caplog.text


@pytest.mark.parametrize("per_minute", [1, 5])
async def test_the_limit_is_set_on_the_bot(bot, make_chat, per_minute):
    bot.flood = FloodGuard(per_minute=per_minute)
    chat = make_chat()
    for _ in range(per_minute):
        assert "left" in await chat.send("/countdown")
    assert await chat.send("/countdown") == SLOW_DOWN

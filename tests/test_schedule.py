"""The scheduler: time -> outbox rows, on a frozen clock.

The clock fixture stands at Tue 1 June 2027, 13:00 UTC (09:00 in New York, EDT). The campaign
deadline is 10 June 2027, 12:00 EDT = 16:00 UTC. Each test moves the clock to the minutes it
cares about and calls `tick`, as the run loop would at each minute boundary; the database is
read directly (the outbox table) to see what was queued.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import pytest

from bot.app import open_bot
from bot.core import Moment
from tests.support.memory import MemoryChat
from tests.support.outbox import outbox
from tests.support.schedule import (
    DAY_BEFORE,
    JUNE_1_ACTION,
    MORNING,
    body_of,
    keys,
    rsvp,
    scheduler_for,
    subscriber,
    tick,
    tick_log,
    utc,
)
from tests.support.waiting import wait_until

STALE = "no longer available"
JUNE_2_ACTION = "Send the petition to three people you think would sign it."
FALLBACK = "Share the #EyesOnAmazon petition with one person who has not signed yet."
DAY1_TITLE = "Kick-off call: why we have our eyes on Amazon"
DAY1_SPAN = "Mon 7 Jun 2027, 19:00–20:00 EDT"
DAY1_URL = "https://mediajustice.org/eyesonamazon/kickoff"


def minute(moment: datetime, n: int = 1) -> datetime:
    return moment + timedelta(minutes=n)


@pytest.fixture
def later_deadline(config):
    """The shipped campaign with its deadline moved to 2028, so prompts run all through 2027."""
    campaign = config.campaign.model_copy(update={"deadline": utc(2028, 1, 1, 12)})
    return config.model_copy(update={"campaign": campaign})


# Daily prompts at the right local time --------------------------------------------------------

async def test_default_subscriber_gets_one_prompt_at_nine_new_york_time(bot, clock, scheduler,
                                                                        path):
    clock.current = utc(2027, 6, 1, 11, 30)  # 07:30 EDT
    await subscriber(bot, "1001")

    before = [utc(2027, 6, 1, 11, 30), utc(2027, 6, 1, 12, 0), utc(2027, 6, 1, 12, 59)]
    assert [await tick(scheduler, clock, m) for m in before] == [0, 0, 0]
    assert outbox(path) == []

    nine = utc(2027, 6, 1, 13, 0)
    added = [await tick(scheduler, clock, minute(nine, n)) for n in range(61)]  # 09:00 .. 10:00
    assert added[0] == 1 and sum(added) == 1
    [row] = outbox(path)
    assert row["idem_key"] == "prompt:telegram:1001:2027-06-01"
    assert (row["platform"], row["chat_id"], row["user_id"]) == ("telegram", "1001", "1001")
    assert row["state"] == "pending" and row["attempts"] == 0

    # The next day: nothing until 09:00 EDT again, then exactly one.
    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 1, 23, 59), utc(2027, 6, 2, 4, 0), utc(2027, 6, 2, 12, 59),
        utc(2027, 6, 2, 13, 0), utc(2027, 6, 2, 13, 1), utc(2027, 6, 2, 16, 0)])
    assert log == {"prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 13, 0)}


async def test_each_subscriber_is_prompted_at_their_own_local_time(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 0, 0)
    await subscriber(bot, "2001", timezone="Europe/London", send_at="07:30")
    await subscriber(bot, "2002", timezone="Asia/Tokyo", send_at="20:00")
    await subscriber(bot, "2003", timezone="America/Los_Angeles")

    london = utc(2027, 6, 1, 6, 30)  # 07:30 BST
    tokyo = utc(2027, 6, 1, 11, 0)  # 20:00 JST
    los_angeles = utc(2027, 6, 1, 16, 0)  # 09:00 PDT
    moments = [utc(2027, 6, 1, 0, 0)]
    for m in (london, tokyo, los_angeles):
        moments += [minute(m, -1), m, minute(m, 1), minute(m, 30)]
    log = await tick_log(scheduler, clock, path, moments)
    assert log == {
        "prompt:telegram:2001:2027-06-01": london,
        "prompt:telegram:2002:2027-06-01": tokyo,
        "prompt:telegram:2003:2027-06-01": los_angeles,
    }

    # The next local date for each: Tokyo's 2 June starts while it is still 1 June in the US.
    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 2, 6, 29), utc(2027, 6, 2, 6, 30), utc(2027, 6, 2, 10, 59),
        utc(2027, 6, 2, 11, 0), utc(2027, 6, 2, 15, 59), utc(2027, 6, 2, 16, 0)])
    assert log == {
        "prompt:telegram:2001:2027-06-02": utc(2027, 6, 2, 6, 30),
        "prompt:telegram:2002:2027-06-02": utc(2027, 6, 2, 11, 0),
        "prompt:telegram:2003:2027-06-02": utc(2027, 6, 2, 16, 0),
    }


async def test_the_prompt_names_the_action_of_the_subscribers_own_local_date(bot, clock,
                                                                             scheduler, path):
    # 20:00 on 1 June in Tokyo is still the morning of 1 June in New York: June 1's action.
    clock.current = utc(2027, 6, 1, 0, 0)
    await subscriber(bot, "2002", timezone="Asia/Tokyo", send_at="20:00")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 11, 0))
    # 08:00 on 2 June in Tokyo is 19:00 on 1 June in New York: June 2's action.
    assert "08:00" in await MemoryChat(bot, user_id="2002").send("/settings time 08:00")
    await tick(scheduler, clock, utc(2027, 6, 1, 12, 0))
    await tick(scheduler, clock, utc(2027, 6, 1, 23, 0))
    first, second = outbox(path)
    assert second["idem_key"] == "prompt:telegram:2002:2027-06-02"
    assert JUNE_1_ACTION in (await body_of(bot, first)).plain_text()
    assert JUNE_2_ACTION in (await body_of(bot, second)).plain_text()


# Daylight saving time -------------------------------------------------------------------------

def each_minute_around(days, hours_utc) -> list[datetime]:
    """For each day, the minutes just before, at and after each of the given UTC hours."""
    moments = []
    for d in days:
        for hour in hours_utc:
            at = d.replace(hour=hour, minute=0)
            moments += [minute(at, -1), at, minute(at, 1)]
    return moments


async def test_spring_forward_neither_skips_nor_doubles_a_nine_oclock_prompt(later_deadline,
                                                                             clock):
    clock.current = utc(2027, 3, 10, 0, 0)
    async with open_bot(later_deadline, clock) as bot:
        await subscriber(bot, "3001")
        scheduler = scheduler_for(bot)
        days = [utc(2027, 3, d) for d in range(10, 19)]
        log = await tick_log(scheduler, clock, later_deadline.storage.path,
                             [clock.current] + each_minute_around(days, (13, 14)))
    # 09:00 EST is 14:00 UTC until Sat 13 March; from Sun 14 March 09:00 EDT is 13:00 UTC.
    expected = {f"prompt:telegram:3001:2027-03-{d:02d}": utc(2027, 3, d, 14 if d < 14 else 13)
                for d in range(10, 19)}
    assert log == expected


async def test_fall_back_neither_skips_nor_doubles_a_nine_oclock_prompt(later_deadline, clock):
    clock.current = utc(2027, 11, 3, 0, 0)
    async with open_bot(later_deadline, clock) as bot:
        await subscriber(bot, "3002")
        scheduler = scheduler_for(bot)
        days = [utc(2027, 11, d) for d in range(3, 11)]
        log = await tick_log(scheduler, clock, later_deadline.storage.path,
                             [clock.current] + each_minute_around(days, (13, 14)))
    # 09:00 EDT is 13:00 UTC until Sat 6 November; from Sun 7 November 09:00 EST is 14:00 UTC.
    expected = {f"prompt:telegram:3002:2027-11-{d:02d}": utc(2027, 11, d, 13 if d < 7 else 14)
                for d in range(3, 11)}
    assert log == expected


async def test_a_send_time_inside_the_spring_forward_gap_is_sent_once_that_day(later_deadline,
                                                                               clock):
    # 02:30 does not exist on 14 March 2027 in New York (02:00 EST jumps to 03:00 EDT).
    clock.current = utc(2027, 3, 12, 0, 0)
    async with open_bot(later_deadline, clock) as bot:
        await subscriber(bot, "3003", send_at="02:30")
        scheduler = scheduler_for(bot)
        days = [utc(2027, 3, d) for d in range(12, 17)]
        moments = [clock.current]
        for d in days:  # every half hour of each day
            moments += [d + timedelta(minutes=30 * n) for n in range(48)]
        log = await tick_log(scheduler, clock, later_deadline.storage.path, moments)
    assert log == {
        "prompt:telegram:3003:2027-03-12": utc(2027, 3, 12, 7, 30),  # 02:30 EST
        "prompt:telegram:3003:2027-03-13": utc(2027, 3, 13, 7, 30),  # 02:30 EST
        "prompt:telegram:3003:2027-03-14": utc(2027, 3, 14, 7, 30),  # just after the gap
        "prompt:telegram:3003:2027-03-15": utc(2027, 3, 15, 6, 30),  # 02:30 EDT
        "prompt:telegram:3003:2027-03-16": utc(2027, 3, 16, 6, 30),
    }


async def test_a_send_time_in_the_repeated_fall_back_hour_is_sent_once_that_day(later_deadline,
                                                                                clock):
    # 01:30 happens twice on 7 November 2027 in New York (EDT, then EST).
    clock.current = utc(2027, 11, 5, 0, 0)
    async with open_bot(later_deadline, clock) as bot:
        await subscriber(bot, "3004", send_at="01:30")
        scheduler = scheduler_for(bot)
        days = [utc(2027, 11, d) for d in range(5, 10)]
        moments = [clock.current]
        for d in days:
            moments += [d + timedelta(minutes=30 * n) for n in range(48)]
        log = await tick_log(scheduler, clock, later_deadline.storage.path, moments)
    assert log == {
        "prompt:telegram:3004:2027-11-05": utc(2027, 11, 5, 5, 30),  # 01:30 EDT
        "prompt:telegram:3004:2027-11-06": utc(2027, 11, 6, 5, 30),
        "prompt:telegram:3004:2027-11-07": utc(2027, 11, 7, 5, 30),  # the first 01:30 only
        "prompt:telegram:3004:2027-11-08": utc(2027, 11, 8, 6, 30),  # 01:30 EST
        "prompt:telegram:3004:2027-11-09": utc(2027, 11, 9, 6, 30),
    }


# Catch-up after downtime, and skip -----------------------------------------------------------

async def planned_at_eight(bot, clock, scheduler, user_id="918273645"):
    clock.current = utc(2027, 6, 1, 12, 0)  # 08:00 EDT
    await subscriber(bot, user_id)
    assert await tick(scheduler, clock, clock.current) == 0


async def test_a_prompt_under_catch_up_hours_late_goes_out_once_on_restart(bot, clock,
                                                                           scheduler, path):
    await planned_at_eight(bot, clock, scheduler)
    # Down from 08:00 until 11:59 EDT: 2 h 59 min late, under catch_up_hours = 3.
    assert await tick(scheduler, clock, utc(2027, 6, 1, 15, 59)) == 1
    [row] = outbox(path)
    assert row["state"] == "pending" and row["message_id"] is not None
    assert row["idem_key"] == "prompt:telegram:918273645:2027-06-01"
    assert row["expires_at"] == "2027-06-01T16:00:00+00:00"  # 09:00 + catch_up_hours
    assert await tick(scheduler, clock, utc(2027, 6, 1, 16, 0)) == 0


async def test_a_prompt_over_catch_up_hours_late_is_skipped_and_logged(bot, clock, scheduler,
                                                                       path, caplog):
    await planned_at_eight(bot, clock, scheduler)
    caplog.set_level(logging.WARNING, logger="bot.scheduler")
    # Down until 12:01 EDT: 3 h 1 min late.
    assert await tick(scheduler, clock, utc(2027, 6, 1, 16, 1)) == 0
    [row] = outbox(path)
    assert row["state"] == "skipped" and row["message_id"] is None
    assert row["idem_key"] == "prompt:telegram:918273645:2027-06-01"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 1 daily prompt" in warnings[0].getMessage()
    assert all("918273645" not in r.getMessage() for r in caplog.records)

    # Nothing else that day; the next day works normally.
    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 1, 16, 2), utc(2027, 6, 1, 20, 0), utc(2027, 6, 2, 12, 59),
        utc(2027, 6, 2, 13, 0), utc(2027, 6, 2, 13, 1)])
    assert log == {"prompt:telegram:918273645:2027-06-02": utc(2027, 6, 2, 13, 0)}
    assert outbox(path, idem_key="prompt:telegram:918273645:2027-06-02")[0]["state"] == "pending"


async def test_after_days_down_todays_prompt_under_catch_up_hours_late_still_goes_out(
        bot, clock, scheduler, path):
    await planned_at_eight(bot, clock, scheduler, user_id="1001")
    # Down from 1 June 08:00 EDT until 3 June 10:00 EDT: the 3 June prompt is 1 hour late.
    await tick(scheduler, clock, utc(2027, 6, 3, 14, 0))
    pending = [r["idem_key"] for r in outbox(path, state="pending")]
    assert pending == ["prompt:telegram:1001:2027-06-03"]


# Restarts -------------------------------------------------------------------------------------

async def test_restarting_twice_in_a_day_sends_nothing_twice(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 1, 12, 0)
    async with open_bot(config, clock) as bot:
        await subscriber(bot, "1001")
        await subscriber(bot, "1002", platform="discord")
        scheduler = scheduler_for(bot)
        assert await tick(scheduler, clock, utc(2027, 6, 1, 12, 0)) == 0
        assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 0)) == 2
    for later in (utc(2027, 6, 1, 13, 0), utc(2027, 6, 1, 13, 1)):
        async with open_bot(config, clock) as bot:  # a restart, at the same or a later minute
            scheduler = scheduler_for(bot)
            assert await tick(scheduler, clock, later) == 0
            assert await tick(scheduler, clock, minute(later, 30)) == 0
    assert sorted(keys(path)) == ["prompt:discord:1002:2027-06-01",
                                  "prompt:telegram:1001:2027-06-01"]


async def test_a_new_send_time_after_todays_prompt_does_not_send_a_second_one(bot, clock,
                                                                             scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    chat = await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 0)) == 1
    # At 09:02 the person moves the prompt to 09:05: next_prompt_at is recomputed for today.
    clock.current = utc(2027, 6, 1, 13, 2)
    assert "09:05" in await chat.send("/settings time 09:05")
    log = await tick_log(scheduler, clock, path, [minute(utc(2027, 6, 1, 13, 2), n)
                                                  for n in range(10)])
    assert log == {}
    # Even a next_prompt_at forced back to today's slot adds nothing: the key is UNIQUE.
    await bot.store.set_next_prompt("telegram", "1001", utc(2027, 6, 1, 13, 5))
    assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 30)) == 0
    assert keys(path) == ["prompt:telegram:1001:2027-06-01"]
    # The next day it comes at the new time.
    log = await tick_log(scheduler, clock, path, [utc(2027, 6, 2, 13, 0), utc(2027, 6, 2, 13, 4),
                                                  utc(2027, 6, 2, 13, 5)])
    assert log == {"prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 13, 5)}


# Who gets prompts ----------------------------------------------------------------------------

async def test_unsubscribed_and_paused_subscribers_get_nothing_until_resumed(bot, clock,
                                                                            scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    gone = await subscriber(bot, "1001")
    await subscriber(bot, "1002")
    await subscriber(bot, "1003")
    await tick(scheduler, clock, clock.current)  # all three planned for 09:00
    assert "no more daily prompts" in await gone.send("/unsubscribe")
    assert await bot.store.set_subscription_active("telegram", "1002", False, reason="blocked")

    log = await tick_log(scheduler, clock, path, [utc(2027, 6, 1, 13, 0), utc(2027, 6, 1, 14, 0),
                                                  utc(2027, 6, 2, 13, 0)])
    assert log == {"prompt:telegram:1003:2027-06-01": utc(2027, 6, 1, 13, 0),
                   "prompt:telegram:1003:2027-06-02": utc(2027, 6, 2, 13, 0)}

    # Resumed at 10:00 EDT on 2 June: the next one is 3 June at 09:00.
    clock.current = utc(2027, 6, 2, 14, 0)
    assert await bot.store.set_subscription_active("telegram", "1002", True)
    log = await tick_log(scheduler, clock, path, [utc(2027, 6, 2, 14, 0), utc(2027, 6, 2, 20, 0),
                                                  utc(2027, 6, 3, 13, 0)])
    assert log == {"prompt:telegram:1002:2027-06-03": utc(2027, 6, 3, 13, 0),
                   "prompt:telegram:1003:2027-06-03": utc(2027, 6, 3, 13, 0)}
    assert not [k for k in keys(path) if ":1001:" in k]


async def test_a_subscribed_group_gets_the_daily_post_at_the_campaign_send_time(bot, clock,
                                                                                scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    admin = MemoryChat(bot, user_id="1001", chat_id="-100555", can_manage_chat=True)
    # The admin's own zone does not matter for the group: it follows the campaign's.
    await MemoryChat(bot, user_id="1001").send("/settings timezone Asia/Tokyo")
    assert "This chat will get the countdown" in await admin.send("/subscribe")

    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 1, 12, 0), utc(2027, 6, 1, 12, 59), utc(2027, 6, 1, 13, 0),
        utc(2027, 6, 1, 13, 1), utc(2027, 6, 2, 0, 0), utc(2027, 6, 2, 13, 0)])
    assert log == {"prompt:telegram:-100555:2027-06-01": utc(2027, 6, 1, 13, 0),
                   "prompt:telegram:-100555:2027-06-02": utc(2027, 6, 2, 13, 0)}
    row = outbox(path)[0]
    assert (row["chat_id"], row["user_id"]) == ("-100555", None)
    assert "left until" in (await body_of(bot, row)).plain_text()


async def test_subscribers_on_platforms_that_cannot_deliver_get_no_rows(bot, clock, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1", platform="console")
    await subscriber(bot, "1001")
    scheduler = scheduler_for(bot, platforms=("telegram", "discord"))
    for moment in (utc(2027, 6, 1, 12, 0), utc(2027, 6, 1, 13, 0), utc(2027, 6, 1, 13, 1),
                   utc(2027, 6, 2, 13, 0)):
        await tick(scheduler, clock, moment)  # bounded: a console row must not loop forever
    assert sorted(keys(path)) == ["prompt:telegram:1001:2027-06-01",
                                  "prompt:telegram:1001:2027-06-02"]

    nobody = scheduler_for(bot, platforms=())
    assert await tick(nobody, clock, utc(2027, 6, 3, 13, 0)) == 0
    assert len(outbox(path)) == 2


# The prompt itself and its buttons --------------------------------------------------------------

async def test_the_prompt_has_the_countdown_the_days_action_and_two_buttons(bot, clock,
                                                                            scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    chat = await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    reply = await body_of(bot, outbox(path)[0])
    text = reply.plain_text()
    assert text.startswith("9 days and 3 hours left until Moratorium anniversary")
    assert "Today's action (Tue 1 Jun 2027):\n" + JUNE_1_ACTION in text
    assert any(isinstance(span, Moment) for span in reply.body)  # a timestamp on Discord
    [row] = reply.buttons
    assert [b.label for b in row] == ["Done ✓", "Stop daily prompts"]
    done, stop = row

    assert "Thank you for taking action today!" in await chat.press_data(done.data)
    assert "already marked" in await chat.press_data(done.data)
    assert await bot.store.actions_done("telegram", "1001") == ["2027-06-01"]

    for tampered in ("done:notadate", "done:2099-01-01", "done", "done:2027-06-01:x",
                     "done:2027-06-0１"):
        assert STALE in await chat.press_data(tampered)
    assert await bot.store.actions_done("telegram", "1001") == ["2027-06-01"]

    assert "Daily prompts stopped" in await chat.press_data(stop.data)
    assert await bot.store.subscription_of("telegram", "1001") is None
    assert await tick(scheduler, clock, utc(2027, 6, 2, 13, 0)) == 0


async def test_a_day_without_an_action_gets_the_fallback_action(later_deadline, clock):
    clock.current = utc(2027, 7, 1, 12, 0)
    async with open_bot(later_deadline, clock) as bot:
        await subscriber(bot, "1001")
        scheduler = scheduler_for(bot)
        await tick(scheduler, clock, clock.current)
        await tick(scheduler, clock, utc(2027, 7, 1, 13, 0))
        [row] = outbox(later_deadline.storage.path)
        text = (await body_of(bot, row)).plain_text()
    assert "Today's action (Thu 1 Jul 2027):\nNo special action today. " + FALLBACK in text


async def test_stop_under_a_group_post_leaves_the_members_own_subscription_alone(
        bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1001")  # a member who also gets the prompt privately
    assert "This chat will get" in await MemoryChat(
        bot, user_id="9", chat_id="-100555", can_manage_chat=True).send("/subscribe")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    [group_row] = outbox(path, chat_id="-100555")
    [[_, stop]] = (await body_of(bot, group_row)).buttons
    member_in_group = MemoryChat(bot, user_id="1001", chat_id="-100555")
    await member_in_group.press_data(stop.data)
    subscription = await bot.store.subscription_of("telegram", "1001")
    assert subscription is not None and subscription.active


# The end of the campaign ------------------------------------------------------------------------

async def test_after_the_deadline_one_closing_message_then_nothing(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 8, 12, 0)
    async with open_bot(config, clock) as bot:
        person = await subscriber(bot, "1001")
        await subscriber(bot, "2001", platform="discord", timezone="Europe/London")
        assert "This chat will get" in await MemoryChat(
            bot, user_id="9", chat_id="-100555", can_manage_chat=True).send("/subscribe")
        scheduler = scheduler_for(bot)
        moments = [clock.current] + each_minute_around(
            [utc(2027, 6, d) for d in range(8, 14)], (8, 13))
        log = await tick_log(scheduler, clock, path, moments)
        assert log == {
            "prompt:telegram:1001:2027-06-08": utc(2027, 6, 8, 13),
            "prompt:telegram:1001:2027-06-09": utc(2027, 6, 9, 13),
            "prompt:telegram:1001:2027-06-10": utc(2027, 6, 10, 13),  # before 16:00 UTC
            "closing:telegram:1001:20270610T1600Z": utc(2027, 6, 11, 13),
            "prompt:telegram:-100555:2027-06-08": utc(2027, 6, 8, 13),
            "prompt:telegram:-100555:2027-06-09": utc(2027, 6, 9, 13),
            "prompt:telegram:-100555:2027-06-10": utc(2027, 6, 10, 13),
            "closing:telegram:-100555:20270610T1600Z": utc(2027, 6, 11, 13),
            "prompt:discord:2001:2027-06-09": utc(2027, 6, 9, 8),  # 09:00 BST
            "prompt:discord:2001:2027-06-10": utc(2027, 6, 10, 8),
            "closing:discord:2001:20270610T1600Z": utc(2027, 6, 11, 8),
        }
        [closing] = outbox(path, idem_key="closing:telegram:1001:20270610T1600Z")
        assert (await body_of(bot, closing)).plain_text() == config.prompts.closing_message
        assert (await body_of(bot, closing)).buttons == ()
        # Unsubscribing and subscribing again does not bring a second goodbye.
        assert "no more daily prompts" in await person.send("/unsubscribe")
        assert "deadline has passed" in await person.send("/subscribe")
        assert await tick(scheduler, clock, utc(2027, 6, 14, 13, 0)) == 0
    async with open_bot(config, clock) as bot:  # a restart after the end
        scheduler = scheduler_for(bot)
        for moment in (utc(2027, 6, 11, 13, 0), utc(2027, 6, 15, 13, 0), utc(2027, 6, 16, 13)):
            assert await tick(scheduler, clock, moment) == 0
    assert len(outbox(path)) == 11


# RSVP reminders -------------------------------------------------------------------------------

DAY1_STAMP = "20270607T2300Z"  # reminders are keyed by the event's start (UTC)


def reminders(path, kind: str, event: str = "day1") -> list[str]:
    """The reminder keys of one kind and event, without the start-time stamp."""
    prefix = f"reminder:{kind}:{event}:"
    return sorted(k.replace(f":{DAY1_STAMP}", "") for k in keys(path) if k.startswith(prefix))


async def test_rsvp_reminders_the_day_before_and_the_morning_once_each(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 5, 12, 0)
    async with open_bot(config, clock) as bot:
        ada = await rsvp(bot, "1001")
        bea = await rsvp(bot, "2001", platform="discord")
        await MemoryChat(bot, user_id="1003").send("/rsvp")  # looks, does not RSVP
        scheduler = scheduler_for(bot)
        assert await tick(scheduler, clock, minute(DAY_BEFORE, -1)) == 0
        assert await tick(scheduler, clock, DAY_BEFORE) == 2
        assert reminders(path, "day_before") == ["reminder:day_before:day1:discord:2001",
                                                 "reminder:day_before:day1:telegram:1001"]
        rows = outbox(path)
        assert {(r["platform"], r["chat_id"], r["user_id"]) for r in rows} == {
            ("telegram", "1001", "1001"), ("discord", "2001", "2001")}
        body = await body_of(bot, rows[0])
        text = body.plain_text()
        assert text.startswith("Reminder: tomorrow you're going to " + DAY1_TITLE)
        assert DAY1_SPAN in text
        assert [b.label for row in body.buttons for b in row] == ["Still coming", "Can't make it"]
        still, cant = body.buttons[0]
        for moment in (minute(DAY_BEFORE), minute(DAY_BEFORE, 90)):
            assert await tick(scheduler, clock, moment) == 0

        # Ada can't make it after all; Bea confirms.
        assert "taken you off" in await ada.press_data(cant.data)
        assert "day1" not in await bot.store.rsvps_of("telegram", "1001")
        assert "see you there" in await bea.press_data(still.data)
        assert "day1" in await bot.store.rsvps_of("discord", "2001")

    async with open_bot(config, clock) as bot:  # a restart in the evening changes nothing
        scheduler = scheduler_for(bot)
        assert await tick(scheduler, clock, minute(DAY_BEFORE, 120)) == 0
        assert await tick(scheduler, clock, minute(MORNING, -1)) == 0
        assert await tick(scheduler, clock, MORNING) == 1
        assert reminders(path, "morning") == ["reminder:morning:day1:discord:2001"]
        [row] = outbox(path, idem_key=f"reminder:morning:day1:{DAY1_STAMP}:discord:2001")
        body = await body_of(bot, row)
        text = body.plain_text()
        assert text.startswith("Today: " + DAY1_TITLE)
        assert DAY1_SPAN in text and DAY1_URL in text
        assert body.buttons == ()
        for moment in (minute(MORNING), minute(MORNING, 120), utc(2027, 6, 7, 22, 59)):
            assert await tick(scheduler, clock, moment) == 0
    async with open_bot(config, clock) as bot:
        assert await tick(scheduler_for(bot), clock, minute(MORNING, 30)) == 0
    assert len(reminders(path, "day_before")) == 2 and len(reminders(path, "morning")) == 1
    assert not [k for k in keys(path) if ":1003" in k]


async def test_still_coming_restores_an_rsvp_and_tampered_reminder_buttons_are_refused(
        bot, clock):
    clock.current = utc(2027, 6, 6, 22, 30)
    chat = await rsvp(bot, "1001")
    assert "taken you off" in await chat.press_data("rsvpr:day1:no")
    assert "day1" not in await bot.store.rsvps_of("telegram", "1001")
    assert "see you there" in await chat.press_data("rsvpr:day1:yes")
    assert "day1" in await bot.store.rsvps_of("telegram", "1001")
    assert "see you there" in await chat.press_data("rsvpr:day1:yes")
    assert await bot.store.rsvps_of("telegram", "1001") == {"day1"}

    for tampered in ("rsvpr:day9:yes", "rsvpr:day1:maybe", "rsvpr:day1", "rsvpr:day1:no:x",
                     "rsvpr::no", "rsvpr"):
        assert STALE in await chat.press_data(tampered)
    assert await bot.store.rsvps_of("telegram", "1001") == {"day1"}

    clock.current = utc(2027, 6, 8, 0, 30)  # day1 is over
    assert "already over" in await chat.press_data("rsvpr:day1:no")
    assert await bot.store.rsvps_of("telegram", "1001") == {"day1"}


async def test_an_rsvp_after_the_reminder_window_gets_no_late_reminder(bot, clock, scheduler,
                                                                       path):
    clock.current = utc(2027, 6, 5, 12, 0)
    await rsvp(bot, "1001")
    assert await tick(scheduler, clock, DAY_BEFORE) == 1
    # Inside the window (catch_up_hours = 3), a new RSVP still gets the day-before reminder...
    clock.current = minute(DAY_BEFORE, 30)
    await rsvp(bot, "1002")
    assert await tick(scheduler, clock, minute(DAY_BEFORE, 31)) == 1
    # ...after it, not: 21:30 EDT is past 18:00 + 3 hours.
    clock.current = minute(DAY_BEFORE, 210)
    await rsvp(bot, "1003")
    assert await tick(scheduler, clock, minute(DAY_BEFORE, 211)) == 0
    assert reminders(path, "day_before") == ["reminder:day_before:day1:telegram:1001",
                                             "reminder:day_before:day1:telegram:1002"]
    # The morning reminder goes to all three.
    assert await tick(scheduler, clock, MORNING) == 3
    # A restart more than catch_up_hours after the morning slot sends no late one either.
    clock.current = utc(2027, 6, 7, 15, 30)
    await rsvp(bot, "1004")
    assert await tick(scheduler, clock, utc(2027, 6, 7, 15, 31)) == 0
    assert len(reminders(path, "morning")) == 3


async def test_reminders_skip_platforms_that_cannot_deliver(bot, clock, path):
    clock.current = utc(2027, 6, 5, 12, 0)
    await rsvp(bot, "1", platform="console")
    await rsvp(bot, "1001")
    scheduler = scheduler_for(bot, platforms=("telegram",))
    assert await tick(scheduler, clock, DAY_BEFORE) == 1
    assert reminders(path, "day_before") == ["reminder:day_before:day1:telegram:1001"]


# The run loop -----------------------------------------------------------------------------------

async def test_the_run_loop_ticks_and_stops_promptly(bot, clock, path):
    woken = []
    scheduler = scheduler_for(bot, wake=lambda: woken.append(True))
    clock.current = utc(2027, 6, 1, 12, 0)
    await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    clock.current = utc(2027, 6, 1, 13, 0)

    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        # The row is committed a moment before the tick wakes the workers: wait for both (a
        # tick that never wakes them times out here).
        await wait_until(lambda: outbox(path) and woken, what="the tick's row and the wake-up")
        assert keys(path) == ["prompt:telegram:1001:2027-06-01"]
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(task, timeout=3)
    assert time.monotonic() - started < 1.0


async def test_a_group_admin_can_stop_the_group_post_from_its_button(bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)
    admin = MemoryChat(bot, user_id="9", chat_id="-100555", can_manage_chat=True)
    await admin.send("/subscribe")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    [group_row] = outbox(path, chat_id="-100555")
    [[_, stop]] = (await body_of(bot, group_row)).buttons
    member = MemoryChat(bot, user_id="10", chat_id="-100555")
    assert "Only the people who manage this chat" in await member.press_data(stop.data)
    assert await bot.store.chat_subscribed("telegram", "-100555")
    assert "no more daily posts" in await admin.press_data(stop.data)
    assert not await bot.store.chat_subscribed("telegram", "-100555")


@pytest.mark.parametrize("day", ["1999-01-01", "2027-05-20"])
async def test_done_for_a_day_long_past_is_refused(bot, clock, day):
    chat = MemoryChat(bot, user_id="1001")
    assert "no longer available" in await chat.press_data(f"done:{day}")
    assert await bot.store.actions_done("telegram", "1001") == []

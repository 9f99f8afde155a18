"""The scheduler keeps its promises when things change: a bad stored row, the deadline moving or
passing while the bot is down, a person changing their time or zone, the config changing.

Same frozen clock as tests/test_schedule.py: Tue 1 June 2027, 13:00 UTC (09:00 EDT); the
deadline is 10 June 2027, 12:00 EDT = 16:00 UTC.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.app import open_bot
from tests.support.memory import MemoryChat
from tests.support.outbox import outbox
from tests.support.schedule import (
    DAY_BEFORE,
    body_of,
    keys,
    rsvp,
    scheduler_for,
    subscriber,
    tick,
    tick_log,
    utc,
)

DEADLINE = utc(2027, 6, 10, 16, 0)


def closing(platform: str, who: str, deadline=DEADLINE) -> str:
    return f"closing:{platform}:{who}:{deadline:%Y%m%dT%H%MZ}"


def with_deadline(config, deadline):
    return config.model_copy(update={
        "campaign": config.campaign.model_copy(update={"deadline": deadline})})


def with_send_at(config, hhmm: str):
    return config.model_copy(update={
        "prompts": config.prompts.model_copy(update={"send_at": hhmm})})


async def group(bot, chat_id: str = "-100555") -> MemoryChat:
    admin = MemoryChat(bot, user_id="9", chat_id=chat_id, can_manage_chat=True)
    await admin.send("/subscribe")
    return admin


# 9.2: one bad row must not stop everyone -------------------------------------------------------

async def test_an_unloadable_stored_timezone_does_not_stop_the_other_subscribers(
        bot, clock, scheduler, path, caplog):
    clock.current = utc(2027, 6, 5, 12, 0)  # Sat 5 June, 08:00 EDT
    people = [str(7000 + n) for n in range(50)]
    for person in people:
        await subscriber(bot, person)
    await rsvp(bot, "7000")
    await rsvp(bot, "7049")
    # Written as a host with other zone files accepted it (and a send time no check allows):
    # this machine cannot load the zone.
    async with bot.store.transaction() as db:
        await db.execute(
            "INSERT INTO user_settings (platform, user_id, timezone, send_at, updated_at)"
            " VALUES ('telegram', '7000', 'Mars/Olympus_Mons', NULL, '2027-06-05T12:00:00+00:00'),"
            " ('telegram', '7001', NULL, '9am', '2027-06-05T12:00:00+00:00')")
    caplog.set_level(logging.WARNING)

    await tick(scheduler, clock, clock.current)
    assert await tick(scheduler, clock, utc(2027, 6, 5, 13, 0)) == 50  # 09:00 EDT, fallback too
    assert sorted(k for k in keys(path)) == sorted(
        f"prompt:telegram:{p}:2027-06-05" for p in people)
    # The reminders still go out, and the person's reminder renders in the campaign's zone.
    assert await tick(scheduler, clock, DAY_BEFORE) == 2
    [row] = outbox(path, idem_key=[k for k in keys(path) if k.startswith("reminder:")
                                   and k.endswith(":telegram:7000")][0])
    assert "Mon 7 Jun 2027, 19:00–20:00 EDT" in (await body_of(bot, row)).plain_text()
    # What they type still works.
    assert "Today's action" in await MemoryChat(bot, user_id="7000").send("/today")

    messages = [r.getMessage() for r in caplog.records]
    assert any("timezone cannot be loaded" in m for m in messages)
    assert any("send time is malformed" in m for m in messages)
    assert not [m for m in messages if "7000" in m or "7001" in m or "Mars" in m]


async def test_a_row_that_fails_is_retried_an_hour_later_and_the_others_go_on(
        bot, clock, scheduler, path, monkeypatch, caplog):
    clock.current = utc(2027, 6, 1, 12, 0)
    for person in ("1001", "1002", "1003"):
        await subscriber(bot, person)
    await tick(scheduler, clock, clock.current)
    real = bot.store.schedule_prompt
    failures = []

    async def flaky(due, *args, **kwargs):
        if due.user_id == "1002" and not failures:
            failures.append(due)
            raise RuntimeError("disk hiccup for 1002")
        return await real(due, *args, **kwargs)

    monkeypatch.setattr(bot.store, "schedule_prompt", flaky)
    caplog.set_level(logging.ERROR)
    log = await tick_log(scheduler, clock, path, [utc(2027, 6, 1, 13, 0),
                                                  utc(2027, 6, 1, 13, 59),
                                                  utc(2027, 6, 1, 14, 0)])
    assert log == {"prompt:telegram:1001:2027-06-01": utc(2027, 6, 1, 13, 0),
                   "prompt:telegram:1003:2027-06-01": utc(2027, 6, 1, 13, 0),
                   "prompt:telegram:1002:2027-06-01": utc(2027, 6, 1, 14, 0)}
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    line = record.getMessage().splitlines()[0]  # then the stack: code locations only
    assert line == "subscription 2: its prompt failed with RuntimeError; trying again in an hour"


# 9.5: a later deadline re-opens the prompts ------------------------------------------------------

async def test_extending_the_deadline_brings_the_prompts_back(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 9, 12, 0)
    async with open_bot(config, clock) as bot:
        person = await subscriber(bot, "1001")
        await group(bot)
        scheduler = scheduler_for(bot)
        await tick_log(scheduler, clock, path, [clock.current, utc(2027, 6, 9, 13, 0),
                                                utc(2027, 6, 10, 13, 0), utc(2027, 6, 11, 13, 0)])
        assert closing("telegram", "1001") in keys(path)
        settings = await person.send("/settings")
        assert "Daily prompts: over" in settings and "deadline has passed" in settings

    later = utc(2027, 6, 20, 16, 0)
    clock.current = utc(2027, 6, 11, 20, 0)
    async with open_bot(with_deadline(config, later), clock) as bot:
        person = MemoryChat(bot, user_id="1001")
        scheduler = scheduler_for(bot)
        log = await tick_log(scheduler, clock, path, [
            clock.current, utc(2027, 6, 12, 12, 59), utc(2027, 6, 12, 13, 0),
            utc(2027, 6, 12, 13, 1)])
        assert log == {"prompt:telegram:1001:2027-06-12": utc(2027, 6, 12, 13, 0),
                       "prompt:telegram:-100555:2027-06-12": utc(2027, 6, 12, 13, 0)}
        assert "Daily prompts: on" in await person.send("/settings")
        assert "already subscribed" in await person.send("/subscribe")
        # Up to the new deadline, and then its own closing message.
        log = await tick_log(scheduler, clock, path, [utc(2027, 6, d, 13, 0)
                                                      for d in range(13, 23)])
        assert log == {
            **{f"prompt:telegram:{who}:2027-06-{d}": utc(2027, 6, d, 13, 0)
               for d in range(13, 21) for who in ("1001", "-100555")},
            closing("telegram", "1001", later): utc(2027, 6, 21, 13, 0),
            closing("telegram", "-100555", later): utc(2027, 6, 21, 13, 0)}


# 9.7: down across the deadline -------------------------------------------------------------------

async def test_down_across_the_deadline_only_the_closing_message_goes_out(bot, clock, scheduler,
                                                                          path):
    clock.current = utc(2027, 6, 9, 12, 0)
    await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 9, 13, 0))
    await tick(scheduler, clock, utc(2027, 6, 10, 12, 0))  # 08:00 EDT on 10 June, then down
    # Back at 10:00 EDT on 11 June: 10 June's prompt is a day late, 11 June's is after it.
    for moment in (utc(2027, 6, 11, 14, 0), utc(2027, 6, 11, 14, 1), utc(2027, 6, 12, 13, 0),
                   utc(2027, 6, 13, 13, 0)):
        await tick(scheduler, clock, moment)
    # (9 June's expired unsent: no worker ran in this test.)
    queued = [r["idem_key"] for r in outbox(path) if r["state"] != "skipped"]
    assert queued == ["prompt:telegram:1001:2027-06-09", closing("telegram", "1001")]
    [row] = outbox(path, idem_key=closing("telegram", "1001"))
    assert (await body_of(bot, row)).plain_text() == bot.config.prompts.closing_message


# 9.10: a send time at the deadline; subscribing after it ---------------------------------------

async def test_a_send_time_equal_to_the_deadline_gets_the_closing_message(bot, clock, scheduler,
                                                                          path):
    clock.current = utc(2027, 6, 9, 12, 0)
    await subscriber(bot, "1001", send_at="12:00")
    log = await tick_log(scheduler, clock, path, [
        clock.current, utc(2027, 6, 9, 16, 0), utc(2027, 6, 10, 16, 0), utc(2027, 6, 11, 16, 0)])
    assert log == {"prompt:telegram:1001:2027-06-09": utc(2027, 6, 9, 16, 0),
                   closing("telegram", "1001"): utc(2027, 6, 10, 16, 0)}
    [row] = outbox(path, idem_key=closing("telegram", "1001"))
    assert (await body_of(bot, row)).plain_text() == bot.config.prompts.closing_message


async def test_subscribing_after_the_deadline_promises_no_daily_prompts(bot, clock, scheduler,
                                                                       path):
    clock.current = utc(2027, 6, 11, 12, 0)
    chat = MemoryChat(bot, user_id="1001")
    text = await chat.send("/subscribe")
    assert "deadline has passed" in text and "Every day" not in text
    assert "deadline has passed" in await chat.send("/subscribe")  # asked again
    admin = MemoryChat(bot, user_id="9", chat_id="-100555", can_manage_chat=True)
    text = await admin.send("/subscribe")
    assert "deadline has passed" in text and "every day" not in text
    settings = await chat.send("/settings")
    assert "Daily prompts: over" in settings and "Daily prompts: on" not in settings
    for moment in (clock.current, utc(2027, 6, 11, 13, 0), utc(2027, 6, 12, 13, 0)):
        assert await tick(scheduler, clock, moment) == 0
    assert outbox(path) == []


# 9.9: changing the time or zone tells the truth, and one prompt per local day -------------------

async def test_moving_the_time_earlier_before_todays_prompt_sends_todays_at_once(
        bot, clock, scheduler, path):
    clock.current = utc(2027, 6, 1, 12, 0)  # 08:00 EDT
    chat = await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)  # planned for 09:00
    clock.current = utc(2027, 6, 1, 12, 30)
    reply = await chat.send("/settings time 08:00")
    assert "08:00" in reply and "Today's prompt is on its way" in reply
    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 1, 12, 31), utc(2027, 6, 1, 13, 0), utc(2027, 6, 1, 13, 1),
        utc(2027, 6, 2, 11, 59), utc(2027, 6, 2, 12, 0), utc(2027, 6, 2, 13, 0)])
    assert log == {"prompt:telegram:1001:2027-06-01": utc(2027, 6, 1, 12, 31),
                   "prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 12, 0)}


async def test_after_todays_prompt_a_new_time_says_when_the_next_one_comes(bot, clock, scheduler,
                                                                          path):
    clock.current = utc(2027, 6, 1, 12, 0)
    chat = await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 1, 13, 0))
    clock.current = utc(2027, 6, 1, 13, 30)
    reply = await chat.send("/settings time 08:00")
    assert "Your next prompt: Wed 2 Jun 2027, 08:00 EDT" in reply
    assert "on its way" not in reply
    log = await tick_log(scheduler, clock, path, [utc(2027, 6, 1, 13, 31),
                                                  utc(2027, 6, 2, 12, 0)])
    assert log == {"prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 12, 0)}


async def test_moving_to_a_zone_where_the_time_passed_sends_todays_at_once(bot, clock, scheduler,
                                                                         path):
    clock.current = utc(2027, 6, 1, 12, 0)  # 08:00 in New York, 13:00 in London
    chat = await subscriber(bot, "1001")
    await tick(scheduler, clock, clock.current)
    clock.current = utc(2027, 6, 1, 12, 30)
    reply = await chat.send("/settings timezone Europe/London")
    assert "Today's prompt is on its way" in reply
    log = await tick_log(scheduler, clock, path, [
        utc(2027, 6, 1, 12, 31), utc(2027, 6, 1, 13, 0), utc(2027, 6, 2, 8, 0)])
    assert log == {"prompt:telegram:1001:2027-06-01": utc(2027, 6, 1, 12, 31),
                   "prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 8, 0)}


async def test_tokyo_to_los_angeles_never_brings_two_prompts_an_hour_apart(bot, clock, scheduler,
                                                                          path):
    clock.current = utc(2027, 6, 1, 14, 0)  # 23:00 on 1 June in Tokyo
    chat = await subscriber(bot, "1001", timezone="Asia/Tokyo")
    log = await tick_log(scheduler, clock, path, [clock.current, utc(2027, 6, 2, 0, 0)])
    assert log == {"prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 0, 0)}  # 09:00 JST
    # Half an hour later (17:30 on 1 June in Los Angeles) they move, and pick 18:01: 1 June's
    # 18:01 is 61 minutes away, but they have had 2 June's action already.
    clock.current = utc(2027, 6, 2, 0, 30)
    assert "Los_Angeles" in await chat.send("/settings timezone America/Los_Angeles")
    reply = await chat.send("/settings time 18:01")
    assert "Your next prompt: Thu 3 Jun 2027, 18:01 PDT" in reply
    moments = [utc(2027, 6, 2, 0, 31)] + [utc(2027, 6, 2, 1, 1) + timedelta(hours=h)
                                          for h in range(49)]
    log = await tick_log(scheduler, clock, path, moments)
    assert log == {"prompt:telegram:1001:2027-06-03": utc(2027, 6, 4, 1, 1)}


async def test_subscribing_thirty_seconds_before_the_send_time_gets_todays(bot, clock, scheduler,
                                                                          path):
    clock.current = utc(2027, 6, 1, 12, 59, 30)  # 08:59:30 EDT
    assert "09:00" in await MemoryChat(bot, user_id="1001").send("/subscribe")
    assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 0)) == 1
    assert keys(path) == ["prompt:telegram:1001:2027-06-01"]


async def test_a_new_default_send_time_in_the_config_takes_effect_the_next_day(config, clock):
    path = config.storage.path
    clock.current = utc(2027, 6, 1, 12, 0)
    async with open_bot(config, clock) as bot:
        await subscriber(bot, "1001")
        await subscriber(bot, "1002", send_at="07:00")  # their own time: not the default
        await group(bot)
        scheduler = scheduler_for(bot)
        await tick_log(scheduler, clock, path, [clock.current, utc(2027, 6, 1, 13, 0)])
    clock.current = utc(2027, 6, 1, 20, 0)
    async with open_bot(with_send_at(config, "08:00"), clock) as bot:
        assert "Daily prompt time: 08:00 (campaign default)" in await MemoryChat(
            bot, user_id="1001").send("/settings")
        scheduler = scheduler_for(bot)
        log = await tick_log(scheduler, clock, path, [
            clock.current, utc(2027, 6, 2, 11, 0), utc(2027, 6, 2, 12, 0),
            utc(2027, 6, 2, 12, 1), utc(2027, 6, 2, 13, 0)])
    assert log == {"prompt:telegram:1002:2027-06-02": utc(2027, 6, 2, 11, 0),
                   "prompt:telegram:1001:2027-06-02": utc(2027, 6, 2, 12, 0),
                   "prompt:telegram:-100555:2027-06-02": utc(2027, 6, 2, 12, 0)}

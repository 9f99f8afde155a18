"""Announcements that stay true (issue 9: 1, 3, 6, 11, 12; issue 8: 21), tier 1: Cancel is one
decision with the runner's start, stale announcements expire, a platform that is not connected
holds only its own rows, delivery pauses reach every moderator, and reports count what
happened. The runner and the outbox worker run for real against fake senders and the frozen
clock; tests wait for state, never for the runner's poll."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from bot.announcement_runner import AnnouncementRunner
from bot.core import Reply, reply_to_dict
from bot.outbox import OutboxWorker, Pacing
from bot.sender import DeliveryResult, Outcome
from bot.storage import iso
from tests.conftest import MODERATOR_DISCORD_ID, MODERATOR_TELEGRAM_ID
from tests.support.outbox import unfinished
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

TEXT = "The Week of Action starts Monday!"
FAST = Pacing(rate=100_000)


async def seed(bot, count: int, platform: str = "telegram", first: int = 5000) -> None:
    """`count` subscribers, as /subscribe leaves them, in one transaction (2,000 one by one
    took a second)."""
    now = iso(bot.clock.now())
    async with bot.store.transaction() as db:
        await db.executemany(
            "INSERT INTO subscriptions (platform, user_id, chat_id, active, created_at,"
            " plan_after) VALUES (?,?,?,1,?,?)",
            [(platform, str(n), str(n), now, now) for n in range(first, first + count)])


async def confirm(moderator, text: str = TEXT, *, expiry: str | None = None) -> str:
    await moderator.send(f"/announce {text}")
    await moderator.press("Everyone")
    await moderator.press("Send now")
    if expiry:
        await moderator.press(expiry)
    return await moderator.press("Confirm")


async def status(bot, announcement_id: int = 1) -> str:
    return (await bot.store.announcement(announcement_id)).status


async def counts(bot, announcement_id: int = 1) -> dict:
    a = await bot.store.announcement(announcement_id)
    return await bot.store.delivery_counts(a.message_id) if a.message_id else {}


@asynccontextmanager
async def delivering(bot, runner: AnnouncementRunner | None = None, *, concurrency: int = 16):
    """The runner and one worker per connected sender, wired as the app wires them."""
    stop = asyncio.Event()
    workers = [OutboxWorker(bot, sender, FAST, concurrency=concurrency,
                            on_drained=runner.wake if runner else None)
               for sender in bot.senders.values()]
    if runner is not None:
        runner.wake_workers = lambda: [w.wake() for w in workers]
    jobs = [w.run(stop) for w in workers] + ([runner.run(stop)] if runner else [])
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield workers
    finally:
        stop.set()
        await asyncio.gather(*(w.stop(grace=1) for w in workers))
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


def drained(bot, platform: str) -> bool:
    return not unfinished(bot.config.storage.path, platform)


async def step_with_cancel_as_it_starts(bot, moderator) -> list[str]:
    """One runner step in which the moderator presses Cancel at the moment the runner starts
    the announcement (just after it stored the message): the moderator's replies."""
    store, replies = bot.store, []
    storing = store.message

    async def message_then_cancel(*args, **kwargs):
        message_id = await storing(*args, **kwargs)
        replies.append(await moderator.press_data("ann:1:cancel"))
        return message_id

    store.message = message_then_cancel
    try:
        await AnnouncementRunner(bot).step()
    finally:
        store.message = storing
    return replies


# 9.1 Cancel means not sent --------------------------------------------------------------------

async def test_cancel_at_the_moment_the_runner_starts_sends_nothing(moderator, bot):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 2000)
    await confirm(moderator)
    # The runner has read the announcement as queued and is starting it: Cancel now.
    replies = await step_with_cancel_as_it_starts(bot, moderator)
    async with delivering(bot):
        await wait_until(lambda: drained(bot, "telegram"), what="an empty outbox")
    assert replies == ["Cancelled: announcement #1 will not be sent."]
    assert telegram.announced(TEXT) == []
    assert await status(bot) == "cancelled"


async def test_cancel_just_after_the_start_cancels_every_row(moderator, bot):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 2000)
    await confirm(moderator)
    await AnnouncementRunner(bot).step()
    assert await status(bot) == "sending"
    reply = await moderator.press_data("ann:1:cancel")
    assert reply == "Cancelled: announcement #1 will not be sent."
    assert await counts(bot) == {"telegram": {"cancelled": 2000}}
    async with delivering(bot):
        await wait_until(lambda: drained(bot, "telegram"), what="an empty outbox")
    assert telegram.announced(TEXT) == []


async def test_cancel_while_sending_says_how_many_went_and_reports_only_what_happened(
        moderator, bot):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 300)
    await confirm(moderator)
    replies = []

    async def press_cancel():
        replies.append(await moderator.press_data("ann:1:cancel"))

    runner = AnnouncementRunner(bot)
    await runner.step()  # started; the progress message (with Cancel) is the first send
    telegram.during(1 + 140, press_cancel)  # while the 140th recipient's message is on its way
    async with delivering(bot, runner, concurrency=1):
        await wait_until(lambda: "was cancelled" in "".join(telegram.to(MODERATOR_TELEGRAM_ID)),
                         what="the cancelled report")
    assert replies == ["Too late: 140 of 300 already sent; the rest are cancelled."]
    assert len(telegram.announced(TEXT)) == 140
    assert await counts(bot) == {"telegram": {"delivered": 140, "cancelled": 160}}
    # 9.12: the report counts what happened, never "not sent" for cancelled rows.
    report = telegram.to(MODERATOR_TELEGRAM_ID)[-1]
    assert "Announcement #1 was cancelled." in report
    assert "Telegram: 140 delivered, 0 blocked or left, 0 failed, 0 uncertain, 160 cancelled" in (
        report)
    listing = await moderator.send("/announcements")
    assert "#1 cancelled" in listing
    assert "Telegram: 140 delivered, 0 blocked or left, 0 failed, 0 uncertain, 160 cancelled" in (
        listing)
    assert "not sent" not in report + listing


async def test_a_scheduled_announcement_cancelled_as_it_becomes_due_sends_nothing(
        moderator, bot, clock):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 50)
    await moderator.send(f"/announce {TEXT}")
    await moderator.press("Everyone")
    await moderator.press("Schedule")
    await moderator.send("18:30")
    await moderator.press("Confirm")
    clock.advance(hours=9, minutes=30)
    # Due now: the runner released it and is starting it when Cancel is pressed.
    replies = await step_with_cancel_as_it_starts(bot, moderator)
    async with delivering(bot):
        await wait_until(lambda: drained(bot, "telegram"), what="an empty outbox")
    assert replies == ["Cancelled: announcement #1 will not be sent."]
    assert telegram.announced(TEXT) == []
    assert await status(bot) == "cancelled"


# 9.3 Stale announcements expire ---------------------------------------------------------------

async def test_confirmation_states_the_default_expiry_and_a_moderator_may_choose_another(
        moderator, bot):
    bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 5)
    await moderator.send(f"/announce {TEXT}")
    await moderator.press("Everyone")
    text = await moderator.press("Send now")
    assert ("Send to 5 recipients on Telegram now? It expires at Wed 2 Jun 2027, 09:00 EDT"
            in text)
    text = await moderator.press("Expire after 1 hour")
    assert "Send to 5 recipients on Telegram now? It expires at Tue 1 Jun 2027, 10:00 EDT" in text
    reply = await moderator.press("Confirm")
    assert "It expires at Tue 1 Jun 2027, 10:00 EDT" in reply


async def test_rows_not_sent_by_the_expiry_expire_and_are_counted(moderator, bot, clock):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 12)
    await confirm(moderator)
    runner = AnnouncementRunner(bot)
    await runner.step()  # queued, but no worker runs (the bot went down, say)
    clock.advance(hours=24, seconds=1)
    await runner.step()
    assert await counts(bot) == {"telegram": {"expired": 12}}
    assert await status(bot) == "done"
    async with delivering(bot):
        await wait_until(lambda: drained(bot, "telegram"), what="an empty outbox")
    assert telegram.announced(TEXT) == []
    report = telegram.to(MODERATOR_TELEGRAM_ID)[-1]
    assert "Announcement #1 finished." in report
    assert "12 expired" in report
    assert "12 expired" in await moderator.send("/announcements")


async def test_a_scheduled_announcement_16_hours_late_past_its_expiry_is_not_sent(
        moderator, bot, clock):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 3)
    await moderator.send(f"/announce {TEXT}")
    await moderator.press("Everyone")
    await moderator.press("Schedule")
    assert "It expires at Wed 2 Jun 2027, 18:30 EDT" in await moderator.send("18:30")
    await moderator.press("Expire after 1 hour")
    assert "It expires at Tue 1 Jun 2027, 19:30 EDT" in await moderator.press("Confirm")
    clock.advance(hours=9 + 16, minutes=30)  # down from before 18:30 until 10:30 next day
    runner = AnnouncementRunner(bot)
    async with delivering(bot, runner):
        await wait_until(lambda: _is(status(bot), "done"), what="done")
    assert telegram.announced(TEXT) == []
    assert await counts(bot) == {"telegram": {"expired": 3}}


async def _is(value, expected) -> bool:
    return await value == expected


async def test_outbox_rows_carry_the_announcements_expiry(moderator, bot):
    bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 2)
    await confirm(moderator, expiry="Expire after 6 hours")
    await AnnouncementRunner(bot).step()
    rows = await bot.store._all("SELECT expires_at FROM outbox WHERE message_id IS NOT NULL")
    assert [r[0] for r in rows] == ["2027-06-01T19:00:00+00:00"] * 2


# 9.6 A platform that is not connected holds only its own rows ---------------------------------

async def test_rows_for_a_platform_without_a_worker_are_held_and_do_not_block(moderator, bot):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    discord = bot.senders["discord"] = FakeSender("discord")
    await seed(bot, 3)
    await seed(bot, 2, platform="discord", first=7000)
    await confirm(moderator, "first")
    await AnnouncementRunner(bot).step()  # queued for both platforms; then the bot stops
    del bot.senders["discord"]  # restarted with only the Telegram token set

    runner = AnnouncementRunner(bot)
    async with delivering(bot, runner):
        await wait_until(lambda: _is(status(bot, 1), "done"), what="#1 done")
        await confirm(moderator, "second")
        runner.wake()
        await wait_until(lambda: _is(status(bot, 2), "done"), what="#2 done")
    assert sorted(telegram.announced("first")) == ["5000", "5001", "5002"]
    assert sorted(telegram.announced("second")) == ["5000", "5001", "5002"]
    assert await counts(bot, 1) == {"telegram": {"delivered": 3}, "discord": {"pending": 2}}
    first_report = [t for t in telegram.to(MODERATOR_TELEGRAM_ID) if "#1 finished" in t][-1]
    assert "Discord: 0 delivered" in first_report
    assert "2 waiting for Discord" in first_report
    assert "2 waiting for Discord" in await moderator.send("/announcements")

    bot.senders["discord"] = discord  # Discord connects later: its held rows go out
    async with delivering(bot, AnnouncementRunner(bot)):
        await wait_until(lambda: drained(bot, "discord"), what="Discord drained")
    assert sorted(discord.announced("first")) == ["7000", "7001"]
    assert await counts(bot, 1) == {"telegram": {"delivered": 3}, "discord": {"delivered": 2}}


async def test_held_rows_expire_with_their_announcement(moderator, bot, clock):
    bot.senders["telegram"] = FakeSender("telegram")
    discord = bot.senders["discord"] = FakeSender("discord")
    await seed(bot, 1)
    await seed(bot, 2, platform="discord", first=7000)
    await confirm(moderator)
    await AnnouncementRunner(bot).step()
    del bot.senders["discord"]
    clock.advance(hours=25)
    await AnnouncementRunner(bot).step()
    assert (await counts(bot))["discord"] == {"expired": 2}
    bot.senders["discord"] = discord
    async with delivering(bot):
        await wait_until(lambda: drained(bot, "discord"), what="Discord drained")
    assert discord.announced(TEXT) == []


# 9.11 Delivery pauses reach every moderator ---------------------------------------------------

async def test_a_delivery_pause_is_told_to_every_moderator_once_with_nothing_sending(
        moderator, make_chat, bot):
    bad = DeliveryResult(Outcome.PERMANENT, reason="50035")
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    discord = bot.senders["discord"] = FakeSender(
        "discord", {str(n): bad for n in range(7000, 7010)})
    discord_moderator = make_chat(platform="discord", user_id=MODERATOR_DISCORD_ID, name="Dee")
    await moderator.send("/announce a draft never sent")
    await discord_moderator.send("/announce another draft")
    await seed(bot, 10, platform="discord", first=7000)
    rows = [("discord", str(n)) for n in range(7000, 7010)]
    body = reply_to_dict(Reply.of("Today's action"))
    message = await bot.store.message("prompt:test", "prompt", body, bot.clock.now())
    async with bot.store.transaction() as db:
        await db.executemany(
            "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
            " updated_at) VALUES (?,?,?,?,?,?,?)",
            [(message, p, c, c, f"t:{c}", "2027-06-01T13:00:00+00:00",
              "2027-06-01T13:00:00+00:00") for p, c in rows])
    runner = AnnouncementRunner(bot)
    worker = OutboxWorker(bot, discord, Pacing(rate=1000, invalid_budget=5), concurrency=1,
                          on_alert=runner.alert)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: telegram.to(MODERATOR_TELEGRAM_ID)
                         and discord.to(MODERATOR_DISCORD_ID), what="both alerts")
    finally:
        stop.set()
        await worker.stop(grace=0)
        await asyncio.wait_for(task, 5)
    for alerts in (telegram.to(MODERATOR_TELEGRAM_ID), discord.to(MODERATOR_DISCORD_ID)):
        assert len(alerts) == 1
        assert alerts[0].startswith("Delivery on discord paused for about 10 minutes")


# 8.21 The runner wakes when the outbox drains -------------------------------------------------

async def test_the_runner_finishes_when_the_outbox_drains_not_at_its_next_poll(moderator, bot):
    telegram = bot.senders["telegram"] = FakeSender("telegram")
    await seed(bot, 20)
    await confirm(moderator)
    runner = AnnouncementRunner(bot, every=3600)  # the poll alone would take an hour
    async with delivering(bot, runner):
        await wait_until(lambda: _is(status(bot), "done"), what="done")
    assert len(telegram.announced(TEXT)) == 20
    assert "Announcement #1 finished." in telegram.to(MODERATOR_TELEGRAM_ID)[-1]


# 9.8 A group that removed the bot and subscribed again is back in "channels and groups" ------

async def test_a_group_subscribed_again_after_removing_the_bot_gets_announcements_again(
        make_chat, bot):
    bot.senders["telegram"] = FakeSender("telegram")
    group = make_chat(user_id="3003", chat_id="-1009", can_manage_chat=True)
    await group.send("/subscribe")
    assert await bot.store.audience_size("chats", None, ("telegram",)) == {"telegram": 1}
    # The group removed the bot: a send found it gone.
    await bot.store.deactivate_recipient("telegram", "-1009", "kicked", bot.clock.now())
    assert await bot.store.audience_size("chats", None, ("telegram",)) == {}

    assert "every day" in await group.send("/subscribe")

    assert await bot.store.audience_size("chats", None, ("telegram",)) == {"telegram": 1}

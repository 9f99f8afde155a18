"""Moderator announcements, tier 1: the moderator's conversation, then the runner and the
outbox delivering through fake senders."""

from __future__ import annotations

import asyncio

from bot.announcement_runner import AnnouncementRunner
from bot.outbox import OutboxWorker, Pacing
from bot.sender import DMS_CLOSED, DeliveryResult, Outcome
from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until


async def subscribers(make_chat, count: int, platform="telegram", first=5000):
    for i in range(count):
        await make_chat(platform=platform, user_id=str(first + i)).send("/subscribe")


async def compose(moderator, text="The Week of Action starts Monday!"):
    return await moderator.send(f"/announce {text}")


async def deliver_latest(bot, senders, runner: AnnouncementRunner | None = None,
                         concurrency: int = 16) -> None:
    """Run the runner and a worker per sender, as the app wires them, until the latest
    announcement is done. The runner's poll is an hour unless a test brings its own: it
    finishes because a worker woke it when its outbox drained, not because time passed."""
    runner = runner or AnnouncementRunner(bot, every=3600)
    stop = asyncio.Event()
    workers = [OutboxWorker(bot, s, Pacing(rate=1000), concurrency=concurrency,
                            on_drained=runner.wake) for s in senders]
    runner.wake_workers = lambda: [w.wake() for w in workers]
    tasks = [asyncio.create_task(job) for job in [runner.run(stop)] + [w.run(stop)
                                                                         for w in workers]]
    async def done() -> bool:
        return (await bot.store.recent_announcements())[0].status == "done"

    try:
        await wait_until(done, what="the announcement to finish")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_a_supporter_cannot_announce(chat, telegram, bot):
    assert "only for campaign moderators" in await chat.send("/announce hello")
    assert await bot.store.recent_announcements() == []


async def test_preview_shows_the_text_as_it_will_arrive_and_the_lengths(moderator, telegram,
                                                                        make_chat):
    await subscribers(make_chat, 3)
    text = await compose(moderator, "Join us <b>Monday</b> & bring a friend")
    assert "Preview: this is exactly how it will arrive here." in text
    assert "Join us <b>Monday</b> & bring a friend" in text  # as typed, escaped by the adapter
    assert "Telegram: 38 of 4,096 characters ✓" in text
    assert "Everyone who subscribed or asked for updates (3)" in moderator.labels


async def test_text_too_long_is_refused_at_the_preview_with_the_count(moderator, telegram, bot):
    text = await compose(moderator, "x" * 4100)
    assert "Telegram: 4,100 characters, over the limit of 4,096. Shorten it by 4" in text
    assert await bot.store.recent_announcements() == []
    assert await bot.store.announcements_in(("draft",)) == []


async def test_each_connected_platform_is_checked_with_its_own_limit(moderator, telegram, bot):
    bot.senders["discord"] = FakeSender("discord")
    text = await compose(moderator, "y" * 2500)
    assert "Telegram: 2,500 of 4,096 characters ✓" in text
    assert "Discord: 2,500 characters, over the limit of 2,000" in text


async def test_compose_by_form_when_no_text_follows_the_command(moderator, telegram):
    assert "What should the announcement say?" in await moderator.send("/announce")
    assert "Preview" in await moderator.send("Hello everyone")


async def test_the_whole_flow_delivers_once_to_everyone_and_reports(moderator, telegram, bot,
                                                                   make_chat, chat):
    await subscribers(make_chat, 4)
    await chat.send("/sign")  # a signer who asked for updates, not subscribed
    await chat.send("Ada Lovelace")
    await chat.press("Skip")
    await chat.press("Skip")
    await chat.press("Sign and keep me updated")
    await compose(moderator)
    await moderator.press("Everyone")
    assert "Send it now or later?" in moderator.replies[0].plain_text()
    text = await moderator.press("Send now")
    assert "Send to 5 recipients on Telegram now?" in text
    assert "Confirmed: sending now" in await moderator.press("Confirm")

    await deliver_latest(bot, [telegram])

    received = [chat_id for chat_id, text in telegram.sent if "Week of Action" in text]
    assert sorted(received) == sorted(["1001", "5000", "5001", "5002", "5003"])
    final = (telegram.edits[-1][2] if telegram.edits else telegram.sent[-1][1])
    assert "Announcement #1 finished." in final
    assert "Telegram: 5 delivered, 0 blocked or left, 0 failed, 0 uncertain" in final
    listing = await moderator.send("/announcements")
    assert "#1 done — Mo Derator on telegram" in listing
    assert "Telegram: 5 delivered" in listing


async def test_the_progress_message_is_edited_in_place_while_delivery_goes_on(
        moderator, telegram, bot, make_chat):
    """The runner edits the moderator's progress message every `every` seconds (3 in
    production) with how many went so far, and turns that one message into the report."""
    await subscribers(make_chat, 4)
    await compose(moderator)
    for label in ("Everyone", "Send now", "Confirm"):
        await moderator.press(label)
    runner = AnnouncementRunner(bot, every=0.01)
    await runner.step()  # the recipients queued, the progress message shown
    assert telegram.sent == [(MODERATOR_TELEGRAM_ID, "Announcement #1: 0 / 4 sent")]
    went: list[str] = []

    def shown(count: int) -> bool:
        return (MODERATOR_TELEGRAM_ID, "1", f"Announcement #1: {count} / 4 sent") in (
            telegram.edits)

    async def recipient() -> DeliveryResult:
        # The second and third messages wait until the moderator is shown how many went
        # before them: only the runner's poll shows it (nothing else wakes it meanwhile).
        went.append("")
        if len(went) in (2, 3):
            await wait_until(lambda: shown(len(went) - 1), what="a progress edit")
        return DeliveryResult(Outcome.DELIVERED)

    telegram.per_chat = {str(5000 + n): [recipient] for n in range(4)}
    await deliver_latest(bot, [telegram], runner, concurrency=1)

    assert [chat for chat, _ in telegram.sent].count(MODERATOR_TELEGRAM_ID) == 1  # edited
    assert shown(1) and shown(2)
    assert {message_id for _, message_id, _ in telegram.edits} == {"1"}
    assert telegram.edits[-1][2].startswith("Announcement #1 finished.")


async def test_gone_recipients_are_counted_and_left_out_next_time(moderator, bot, make_chat):
    blocked = DeliveryResult(Outcome.GONE, reason="blocked")
    closed = DeliveryResult(Outcome.GONE, reason=DMS_CLOSED)
    discord = FakeSender("discord", {"7001": closed})
    telegram = FakeSender("telegram", {"5001": blocked})
    bot.senders.update(telegram=telegram, discord=discord)
    await subscribers(make_chat, 2)
    await subscribers(make_chat, 2, platform="discord", first=7000)

    async def announce_and_deliver(text):
        await compose(moderator, text)
        await moderator.press("Everyone")
        await moderator.press("Send now")
        await moderator.press("Confirm")
        await deliver_latest(bot, [telegram, discord])

    await announce_and_deliver("first")
    report = await moderator.send("/announcements")
    assert "Discord: 1 delivered, 0 blocked or left, 1 DMs closed, 0 failed, 0 uncertain" in report
    assert "Telegram: 1 delivered, 1 blocked or left, 0 failed, 0 uncertain" in report
    await announce_and_deliver("second")
    second = [c for c, t in telegram.sent + discord.sent if t == "second"]
    assert sorted(second) == ["5000", "7000"]  # the gone ones are not tried again


async def test_one_announcement_at_a_time_the_next_is_queued(moderator, telegram, bot, make_chat):
    await subscribers(make_chat, 1)
    for text in ("one", "two"):
        await compose(moderator, text)
        await moderator.press("Everyone")
        await moderator.press("Send now")
        reply = await moderator.press("Confirm")
    assert "Another announcement is being sent; this one starts when it finishes." in reply
    runner = AnnouncementRunner(bot)
    await runner.step()
    statuses = [a.status for a in reversed(await bot.store.recent_announcements())]
    assert statuses == ["sending", "queued"]


async def test_audience_of_one_event(moderator, telegram, bot, make_chat):
    going = make_chat(user_id="6001")
    await going.send("/rsvp")
    await going.press("Going: Teach-in")
    await subscribers(make_chat, 2)
    await compose(moderator)
    await moderator.press("People coming")
    await moderator.press("Teach-in")
    text = await moderator.press("Send now")
    assert ("Send to 1 recipient on Telegram (Teach-in: facial recognition and policing) now?"
            in text)


async def test_scheduled_announcement_waits_for_its_time(moderator, telegram, bot, clock,
                                                        make_chat):
    await subscribers(make_chat, 1)
    await compose(moderator)
    await moderator.press("Everyone")
    await moderator.press("Schedule")
    assert "already passed" in await moderator.send("08:00")  # 09:00 in New York now
    assert "Send to 1 recipient on Telegram at Tue 1 Jun 2027, 18:30 EDT?" in await moderator.send(
        "18:30")
    assert "it goes out at Tue 1 Jun 2027, 18:30 EDT" in await moderator.press("Confirm")
    runner = AnnouncementRunner(bot)
    await runner.step()
    assert (await bot.store.recent_announcements())[0].status == "scheduled"
    clock.advance(hours=9, minutes=30)
    await runner.step()
    assert (await bot.store.recent_announcements())[0].status == "sending"


async def test_cancel_before_and_during_delivery(moderator, telegram, bot, make_chat):
    await subscribers(make_chat, 3)
    await compose(moderator, "never")
    assert "will not be sent" in await moderator.press("Cancel")
    await compose(moderator, "stopped midway")
    await moderator.press("Everyone")
    await moderator.press("Send now")
    await moderator.press("Confirm")
    runner = AnnouncementRunner(bot)
    await runner.step()  # queued recipients, progress shown with a Cancel button
    progress = telegram.sent[-1][1]
    assert progress.startswith("Announcement #2: 0 / 3 sent")
    announcement = (await bot.store.recent_announcements())[0]
    reply = await moderator.press_data(f"ann:{announcement.id}:cancel")
    assert reply == "Cancelled: announcement #2 will not be sent."  # none had gone out yet
    counts = await bot.store.delivery_counts(announcement.message_id)
    assert counts == {"telegram": {"cancelled": 3}}


async def test_stale_and_foreign_buttons_change_nothing(moderator, make_chat, telegram, bot):
    await compose(moderator)
    other = make_chat(user_id="43")  # not a moderator
    data = [b.data for b in moderator.buttons if b.label.startswith("Everyone")][0]
    assert "no longer available" in await other.press_data(data)
    for garbage in ("ann:999:aud:everyone", "ann:x:aud:everyone", "ann:1:aud:nobody", "ann:1"):
        assert "no longer available" in await moderator.press_data(garbage)
    assert (await bot.store.announcement(1)).audience is None

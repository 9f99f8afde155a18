"""Issue 14, campaign panels (tier 1): the stored row, /panel and /panel remove, the content,
and the service that keeps each panel current (frozen clock, fake senders, no sleeps)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.core import Moment
from bot.handlers.panel_view import render
from bot.outbox import OutboxWorker
from bot.pacing import Pacing
from bot.panels import PanelService
from bot.sender import MESSAGE_GONE, ChatAccess, DeliveryResult, Outcome
from bot.storage import NOT_PERSONAL, PERSONAL_TABLES
from tests.conftest import MODERATOR_DISCORD_ID
from tests.support.conversations import sign_up
from tests.support.senders import FakeSender, retry
from tests.support.waiting import wait_until


async def test_one_panel_per_chat_is_stored_and_replaced(bot, clock):
    store = bot.store
    assert await store.save_panel("telegram", "-100", "7", "h1", clock.now()) is None
    old = await store.save_panel("telegram", "-100", "9", "h2", clock.now())
    assert old is not None and old.message_id == "7"
    [panel] = await store.all_panels()
    assert (panel.message_id, panel.shown, panel.edited_at) == ("9", "h2", None)
    # An edit of the replaced message records nothing; of the current one, its hash and time.
    assert not await store.panel_shown(old, "x", clock.now())
    later = clock.now() + timedelta(minutes=1)
    assert await store.panel_shown(panel, "h3", later)
    assert (await store.panel_of("telegram", "-100")).edited_at == later
    assert await store.drop_panel("telegram", "-100", "7") is None  # not that one any more
    assert (await store.drop_panel("telegram", "-100")).message_id == "9"
    assert await store.all_panels() == []
    assert "panels" in NOT_PERSONAL and "panels" not in PERSONAL_TABLES

GROUP = "-1001234"
LINK = "https://t.me/CampaignTestBot?start={}"


def in_group(make_chat, user_id: str = "42", platform: str = "telegram"):
    return make_chat(user_id=user_id, platform=platform, chat_id=GROUP)


async def test_panel_in_a_telegram_group_shows_the_campaign_and_links(bot, make_chat, telegram):
    bot.deep_links["telegram"] = LINK.format
    said = await in_group(make_chat).send("/panel")
    assert said == ""  # the panel itself is the answer the group sees
    [(chat_id, text)] = telegram.sent
    assert chat_id == GROUP
    assert text.startswith("#EyesOnAmazon\nAmazon: stop selling surveillance")
    assert "0 people have signed. Next milestone: 100." in text
    assert "Countdown to Moratorium anniversary: in 9 days\n" in text  # whole days
    assert "Next event: Kick-off call: why we have our eyes on Amazon, Mon 7 Jun" in text
    panel = await bot.store.panel_of("telegram", GROUP)
    assert panel.message_id == "1"
    reply = await render(bot, bot.store, bot.clock.now(), "telegram")
    urls = [b.url for row in reply.buttons for b in row]
    assert urls[:3] == [LINK.format(c) for c in ("sign", "rsvp", "subscribe")]
    assert urls[3] == bot.config.campaign.donate_url


async def test_a_discord_panel_has_private_action_buttons_and_a_live_countdown(bot, clock):
    reply = await render(bot, bot.store, clock.now(), "discord")
    moments = [s for s in reply.body if isinstance(s, Moment)]
    assert moments[0].style == "relative" and moments[0].at == bot.config.campaign.deadline
    data = [(b.action, b.payload, b.url) for row in reply.buttons for b in row]
    assert data[:3] == [("panel", ("sign",), None), ("panel", ("rsvp",), None),
                        ("panel", ("subscribe",), None)]
    assert data[3][2] == bot.config.campaign.donate_url


async def test_after_the_deadline_the_panel_closes_without_a_sign_button(bot, clock):
    clock.current = bot.config.campaign.deadline + timedelta(minutes=1)
    reply = await render(bot, bot.store, clock.now(), "discord")
    assert "The countdown is over." in reply.plain_text()
    assert [b.label for row in reply.buttons for b in row] == ["Donate"]


async def test_a_supporter_cannot_post_a_panel(bot, make_chat, telegram):
    said = await in_group(make_chat, user_id="1001").send("/panel")
    assert said == "Sorry, /panel is only for campaign moderators."
    assert telegram.sent == [] and await bot.store.all_panels() == []


async def test_a_second_panel_replaces_the_first_and_remove_takes_it_down(bot, make_chat):
    sender = FakeSender("discord")
    bot.senders["discord"] = sender
    mod = in_group(make_chat, user_id=MODERATOR_DISCORD_ID, platform="discord")
    assert "The campaign panel is up." in await mod.send("/panel")
    await mod.send("/panel")
    assert len(sender.sent) == 2
    assert (await bot.store.panel_of("discord", GROUP)).message_id == "2"
    assert sender.deleted == [(GROUP, "1")]  # the replaced panel
    assert await mod.send("/panel remove") == "The campaign panel is removed."
    assert sender.deleted[-1] == (GROUP, "2")
    assert await bot.store.all_panels() == []
    assert await mod.send("/panel remove") == "There is no campaign panel here."
    # Where the platform will not delete it, the moderator is told to.
    await mod.send("/panel")
    sender.can_delete = False
    said = await mod.send("/panel remove")
    assert said.startswith("The campaign panel is removed: it no longer changes. I couldn't")
    assert await bot.store.all_panels() == []


async def test_a_channel_panel_is_set_up_from_a_private_chat(bot, moderator, telegram):
    class Lookup(FakeSender):
        async def chat_access(self, ref):
            return {"@ourchannel": ChatAccess("-1009", True),
                    "@notadmin": ChatAccess("-1008", False)}.get(ref)

    bot.senders["telegram"] = sender = Lookup("telegram")
    assert "Send /panel in the channel or group" in await moderator.send("/panel")
    assert "not a channel's @name" in await moderator.send("/panel ourchannel")
    assert "I can't find @nochannel" in await moderator.send("/panel @nochannel")
    assert "I'm not an admin of @notadmin" in await moderator.send("/panel @notadmin")
    assert sender.sent == []
    said = await moderator.send("/panel @ourchannel")
    assert said.startswith("The campaign panel is up in @ourchannel.")
    assert sender.chats == ["-1009"]
    assert await moderator.send("/panel remove @ourchannel") == "The campaign panel is removed."
    assert await bot.store.all_panels() == []


async def sign(bot, clock, n: int) -> None:
    first = await bot.store.signature_total()
    for i in range(first, first + n):
        await bot.store.sign("telegram", str(5000 + i), name=f"S{i}", email=None, postcode=None,
                             wants_updates=False, consent_text="c", consent_version="1",
                             now=clock.now())


async def test_three_signatures_within_a_minute_give_one_edit(bot, clock, make_chat, telegram):
    bot.deep_links["telegram"] = LINK.format
    await in_group(make_chat).send("/panel")
    service = PanelService(bot)
    await sign(bot, clock, 1)
    clock.advance(seconds=20)
    assert (await service.check())["waiting"] == 1  # changed, but posted 20 s ago
    await sign(bot, clock, 2)
    clock.advance(seconds=30)
    await service.check()
    assert telegram.edits == []
    clock.advance(seconds=10)  # a minute after the post
    assert (await service.check())["edited"] == 1
    [(chat_id, message_id, text)] = telegram.edits
    assert (chat_id, message_id) == (GROUP, "1") and "3 people have signed." in text
    clock.advance(seconds=5)
    assert await service.check() == {"edited": 0, "dropped": 0, "waiting": 0}  # nothing new
    # After a restart the stored panel is edited again, by a new service.
    await sign(bot, clock, 1)
    clock.advance(minutes=1)
    assert (await PanelService(bot).check())["edited"] == 1
    assert "4 people have signed." in telegram.edits[-1][2]


async def test_a_deleted_panel_is_dropped_and_never_edited_again(bot, clock, make_chat):
    class Deleted(FakeSender):
        async def edit(self, chat_id, message_id, reply):
            self.edits.append((chat_id, message_id, reply.plain_text()))
            return DeliveryResult(Outcome.PERMANENT, reason=MESSAGE_GONE)

    bot.senders["discord"] = sender = Deleted("discord")
    mod = in_group(make_chat, user_id=MODERATOR_DISCORD_ID, platform="discord")
    await mod.send("/panel")
    await sign(bot, clock, 1)
    clock.advance(minutes=2)
    service = PanelService(bot)
    assert (await service.check())["dropped"] == 1
    assert await bot.store.all_panels() == []
    await sign(bot, clock, 1)
    clock.advance(minutes=2)
    await service.check()
    assert len(sender.edits) == 1


async def test_a_chat_that_removed_the_bot_drops_its_panel(bot, clock, make_chat, telegram):
    bot.deep_links["telegram"] = LINK.format
    await in_group(make_chat).send("/panel")
    clock.current = bot.config.campaign.deadline + timedelta(minutes=1)  # content changes
    telegram.edit = lambda *a: _gone()
    assert (await PanelService(bot).check())["dropped"] == 1
    assert await bot.store.all_panels() == []


async def _gone():
    return DeliveryResult(Outcome.GONE, reason="403")


async def test_a_signature_wakes_the_running_service_for_a_prompt_edit(bot, clock, make_chat,
                                                                         chat, telegram):
    bot.deep_links["telegram"] = LINK.format
    await in_group(make_chat).send("/panel")
    service = PanelService(bot, poll=3600)  # no minute check will come during this test
    bot.panels, stop = service, asyncio.Event()
    running = asyncio.create_task(service.run(stop))
    try:
        clock.advance(minutes=2)  # past the panel's minute: the next change can show at once
        await sign_up(chat)
        await wait_until(lambda: telegram.edits, timeout=3, what="the panel's edit")
        assert "1 person has signed." in telegram.edits[-1][2]
        # A withdrawal within the minute after that edit waits out exactly the rest of it.
        clock.advance(seconds=20)
        await chat.send("/unsign")
        await chat.press("Yes, withdraw it")
        await wait_until(lambda: service.due == 40.0, timeout=3, what="the panel waiting")
        assert len(telegram.edits) == 1
    finally:
        stop.set()
        await running


async def test_a_panel_moved_to_a_supergroup_is_posted_there_afresh(bot, clock, make_chat,
                                                                   telegram):
    """A send found the group upgraded (move_chat): the old message stays in the old group, so
    the panel has no message in the new chat until the service posts one."""
    bot.deep_links["telegram"] = LINK.format
    await in_group(make_chat).send("/panel")
    assert await bot.store.move_chat("telegram", GROUP, "-1009999")
    [panel] = await bot.store.all_panels()
    assert (panel.chat_id, panel.message_id) == ("-1009999", "")
    service = PanelService(bot)
    assert (await service.check())["edited"] == 1  # at once: no minute to wait for a post
    assert telegram.edits == [] and telegram.chats == [GROUP, "-1009999"]
    assert (await bot.store.panel_of("telegram", "-1009999")).message_id == "2"
    await sign(bot, clock, 1)
    clock.advance(minutes=1)
    assert (await service.check())["edited"] == 1
    assert telegram.edits[-1][:2] == ("-1009999", "2")


async def test_an_hour_passing_edits_no_discord_panel_and_telegram_ones_daily(
        bot, clock, make_chat, telegram):
    bot.deep_links["telegram"] = LINK.format
    bot.senders["discord"] = discord = FakeSender("discord")
    await in_group(make_chat, user_id=MODERATOR_DISCORD_ID, platform="discord").send("/panel")
    await in_group(make_chat).send("/panel")
    service = PanelService(bot)
    clock.advance(hours=1)  # Discord's <t:…:R> ticks by itself; Telegram shows "in 9 days"
    assert (await service.check())["edited"] == 0
    clock.advance(hours=3)  # 8 days and 23 hours left: the Telegram panel says so
    assert (await service.check())["edited"] == 1
    assert discord.edits == [] and "in 8 days\n" in telegram.edits[-1][2]
    clock.current = bot.config.campaign.deadline - timedelta(hours=5, minutes=30)
    await service.check()
    assert "in 5 hours\n" in telegram.edits[-1][2]  # the last day: hours


async def test_panel_edits_honour_the_platforms_429_pause_and_set_it(bot, clock, make_chat):
    """A 429 pauses every request on the platform (the outbox's sends wait it out): a panel edit
    waits too, without blocking the service, and a 429 answering an edit pauses the sends."""
    answers: list[DeliveryResult] = [retry(after=30.0, reason="429")]

    class Limited(FakeSender):
        async def edit(self, chat_id, message_id, reply):
            self.edits.append((chat_id, message_id, reply.plain_text()))
            return answers.pop(0) if answers else DeliveryResult(Outcome.DELIVERED)

    bot.senders["discord"] = sender = Limited("discord")
    worker = OutboxWorker(bot, sender, Pacing(rate=50))
    service = PanelService(bot, {"discord": worker})
    await in_group(make_chat, user_id=MODERATOR_DISCORD_ID, platform="discord").send("/panel")
    await sign(bot, clock, 1)
    clock.advance(minutes=2)
    worker.paused_until = time.monotonic() + 20.0  # a send's 429
    assert (await service.check())["waiting"] == 1
    assert sender.edits == [] and 19.0 < service.due <= 20.0  # checked when the pause ends
    worker.paused_until = 0.0
    started = time.monotonic()
    assert (await service.check())["waiting"] == 1  # the edit's own 429
    assert len(sender.edits) == 1 and worker.paused_until >= started + 30.0
    worker.paused_until = 0.0
    assert (await service.check())["edited"] == 1

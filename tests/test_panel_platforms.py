"""Issue 14, campaign panels (tier 3): the real discord.py and python-telegram-bot against the
fakes. On Discord, members press the panel's buttons (Sign opens the modal; RSVP answers with a
private list) and the panel message is edited with the new count; a deleted one is dropped. On
Telegram, a group's panel links to the bot's private chat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Telegram
from bot.panels import PanelService
from tests.conftest import MODERATOR_DISCORD_ID, MODERATOR_TELEGRAM_ID
from tests.fakes.discord_api import EPHEMERAL, answer, bounded, button_id, running, text
from tests.fakes.telegram_api import message_update
from tests.fakes.telegram_harness import BOUND, USERNAME
from tests.support.database import rows
from tests.support.waiting import wait_until

GROUP = -1001234567890


@bounded(40)
async def test_discord_members_sign_and_rsvp_from_the_panel_and_it_shows_the_count(
        dconfig, clock, fake):
    async with running(dconfig, clock, fake) as adapter:
        bot = adapter.bot
        bot.senders["discord"] = adapter
        posted = await answer(fake, await fake.command("panel", user_id=MODERATOR_DISCORD_ID))
        assert "The campaign panel is up." in text(posted)
        assert posted[0]["flags"] & EPHEMERAL  # the moderator's confirmation is theirs
        [panel] = await bot.store.all_panels()
        message = fake.messages[panel.message_id]
        assert message["channel_id"] == fake.channel_id and not message["flags"] & EPHEMERAL
        assert "0 people have signed." in message["content"]
        assert "<t:" in message["content"] and ":R>" in message["content"]  # live countdown

        # Ada presses Sign: the modal opens at once, then consent, then she has signed.
        opened = await fake.press(message, "panel:sign", user_name="Ada Lovelace")
        await fake.until(lambda: opened.modal is not None)
        assert opened.ack_type == 9
        consent = await answer(fake, await fake.submit(opened.modal["custom_id"], {
            "name": "Ada Lovelace", "email": "ada@example.org", "postcode": ""}))
        assert consent[-1]["flags"] & EPHEMERAL
        asked, sign_id = button_id(consent, "Sign")
        await fake.press(asked, sign_id)
        await fake.until(lambda: "signature #1" in fake.messages[asked["id"]]["content"])
        assert rows(dconfig, "SELECT user_id FROM signatures") == [("1001",)]

        # Grace presses RSVP: the event list, for her eyes only, with her own buttons.
        listing = await answer(fake, await fake.press(message, "panel:rsvp", user_id="1002",
                                                       user_name="Grace"))
        assert "Week of Action" in text(listing) and all(m["flags"] & EPHEMERAL
                                                          for m in listing)
        assert "Choose the events you'll join:" in text(listing)

        # A minute on, the service edits the panel with the new count, through the adapter.
        clock.advance(minutes=1)
        assert (await PanelService(bot).check())["edited"] == 1
        assert "1 person has signed." in fake.messages[panel.message_id]["content"]

        # Someone deletes the panel: the next edit finds it gone (10008) and it is dropped.
        del fake.messages[panel.message_id]
        await bot.store.sign("discord", "1003", name=None, email=None, postcode=None,
                             wants_updates=False, consent_text="c", consent_version="1",
                             now=clock.now())
        clock.advance(minutes=1)
        assert (await PanelService(bot).check())["dropped"] == 1
        assert await bot.store.all_panels() == []
        assert [r[2:] for r in fake.refusals] == [(404, 10008)]
        fake.refusals.clear()


@bounded(40)
async def test_the_panel_buttons_work_after_a_restart_daily_actions_included(dconfig, clock,
                                                                            fake):
    async with running(dconfig, clock, fake) as first:
        first.bot.senders["discord"] = first
        await answer(fake, await fake.command("panel", user_id=MODERATOR_DISCORD_ID))
        [panel] = await first.bot.store.all_panels()
    message = fake.messages[panel.message_id]
    async with running(dconfig, clock, fake) as second:  # a new client, the same database
        second.bot.senders["discord"] = second
        daily = await answer(fake, await fake.press(message, "panel:subscribe", user_id="1004",
                                                     user_name="Katherine"))
        assert all(m["flags"] & EPHEMERAL for m in daily)  # the presser's own answer
        assert "You're subscribed." in text(daily)
    assert rows(dconfig, "SELECT user_id, active FROM subscriptions") == [("1004", 1)]


@bounded(30)
async def test_a_supporter_cannot_post_a_panel_on_discord(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as adapter:
        adapter.bot.senders["discord"] = adapter
        refused = await answer(fake, await fake.command("panel", user_id="1001"))
        assert "only for campaign moderators" in text(refused)
        assert await adapter.bot.store.all_panels() == []


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


async def test_a_telegram_group_panel_links_to_the_bot_and_a_deleted_one_is_dropped(
        adapter, api, bot, clock):
    bot.senders["telegram"] = adapter
    api.push(message_update(int(MODERATOR_TELEGRAM_ID), "/panel", chat_id=GROUP,
                            chat_type="supergroup"))
    await api.wait_for(lambda: len(api.sent(GROUP)) == 1, BOUND)
    await api.wait_idle()
    assert api.texts(GROUP)[0].startswith("#EyesOnAmazon")
    links = [b["url"] for b in api.buttons(GROUP)]
    assert links[:3] == [f"https://t.me/{USERNAME}?start={c}"
                         for c in ("sign", "rsvp", "subscribe")]
    assert links[3] == bot.config.campaign.donate_url
    # The panel is edited once the deadline passes: closing message, no sign link.
    clock.current = bot.config.campaign.deadline + timedelta(minutes=1)
    assert (await PanelService(bot).check())["edited"] == 1
    assert "The countdown is over." in api.texts(GROUP)[0]
    assert [b["text"] for b in api.buttons(GROUP)] == ["Donate"]
    # Deleted in the group: "message to edit not found", and it is never edited again.
    api.messages.clear()
    clock.advance(days=1)
    await bot.store.sign("telegram", "7", name=None, email=None, postcode=None,
                         wants_updates=False, consent_text="c", consent_version="1",
                         now=clock.now())
    assert (await PanelService(bot).check())["dropped"] == 1
    assert await bot.store.all_panels() == []
    assert [r.description for r in api.take_refusals()] == [
        "Bad Request: message to edit not found"]


async def test_a_telegram_group_that_became_a_supergroup_gets_its_panel_posted_there(
        adapter, api, bot, clock):
    """The old message stays in the old, now read-only group; the supergroup numbers its own
    messages, so the panel is posted there afresh rather than edited by the old id."""
    bot.senders["telegram"] = adapter
    old, new = -4001234, -1004001234
    api.chats[old] = {"id": old, "type": "group", "title": "Campaign group"}
    api.push(message_update(int(MODERATOR_TELEGRAM_ID), "/panel", chat_id=old,
                            chat_type="group"))
    await api.wait_for(lambda: len(api.sent(old)) == 1, BOUND)
    await api.wait_idle()
    api.migrate(old, new)
    clock.current = bot.config.campaign.deadline + timedelta(minutes=1)  # content changes
    service = PanelService(bot)
    assert (await service.check())["edited"] == 0  # refused with the new id: the row moves
    assert service.due == 0  # ... and is posted there at the next check, at once
    assert (await service.check())["edited"] == 1
    [posted] = api.sent(new)
    assert "The countdown is over." in posted.text
    [panel] = await bot.store.all_panels()
    assert (panel.chat_id, panel.message_id) == (str(new), str(posted.message_id))
    [refusal] = api.take_refusals()
    assert refusal.method == "editMessageText" and "upgraded" in refusal.description
    # Later edits go to the new message.
    clock.advance(days=1)
    await bot.store.sign("telegram", "7", name=None, email=None, postcode=None,
                         wants_updates=False, consent_text="c", consent_version="1",
                         now=clock.now())
    assert (await service.check())["edited"] == 1
    assert "1 person has signed." in api.sent(new)[0].text
    assert [c.params["chat_id"] for c in api.calls_to("editMessageText")] == [str(old),
                                                                              str(new)]


@bounded(30)
async def test_a_discord_panel_whose_channel_was_deleted_is_dropped(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as adapter:
        bot = adapter.bot
        bot.senders["discord"] = adapter
        await answer(fake, await fake.command("panel", user_id=MODERATOR_DISCORD_ID))
        assert len(await bot.store.all_panels()) == 1
        await fake.delete_channel(fake.channel_id)
        await wait_until(lambda: adapter.client.get_channel(int(fake.channel_id)) is None,
                         timeout=5, what="the client forgetting the channel")
        clock.current = bot.config.campaign.deadline + timedelta(minutes=1)  # content changes
        assert (await PanelService(bot).check())["dropped"] == 1
        assert await bot.store.all_panels() == []
        # The id is no user's: Discord refuses a DM with it, once, and it is never tried again.
        assert [r[2:] for r in fake.refusals] == [(400, 50033)]
        fake.refusals.clear()
        clock.advance(days=1)
        await PanelService(bot).check()
        assert fake.refusals == [] and len(fake.calls_to("POST", "/users/@me/channels")) == 1

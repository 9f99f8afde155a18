"""Issue 14, campaign panels (tier 3): a Telegram channel's panel, set up by a moderator from a
private chat (getChat, getChatMember for the bot itself), and `/panel remove` deleting the
panel's message on both platforms: the real libraries against the fakes."""

from __future__ import annotations

import pytest

from bot.config import Telegram
from tests.conftest import MODERATOR_DISCORD_ID, MODERATOR_TELEGRAM_ID
from tests.fakes.discord_api import answer, bounded, running, text
from tests.fakes.telegram_api import message_update
from tests.fakes.telegram_harness import BOUND, USERNAME

CHANNEL = -1009876543210
MOD = int(MODERATOR_TELEGRAM_ID)


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


async def say(api, words: str) -> str:
    """The moderator sends `words` in their private chat; the bot's answer there."""
    before = len(api.sent(MOD))
    api.push(message_update(MOD, words))
    await api.wait_for(lambda: len(api.sent(MOD)) > before, BOUND)
    return api.texts(MOD)[-1]


async def test_a_channel_panel_is_posted_from_a_private_chat_and_removed(adapter, api, bot):
    bot.senders["telegram"] = adapter
    api.add_channel(CHANNEL, "campaignchannel")
    said = await say(api, "/panel @campaignchannel")
    assert said.startswith("The campaign panel is up in @campaignchannel.")
    [panel] = api.sent(CHANNEL)
    assert panel.text.startswith("#EyesOnAmazon")
    links = [b["url"] for row in panel.reply_markup["inline_keyboard"] for b in row]
    assert links[:3] == [f"https://t.me/{USERNAME}?start={c}"
                         for c in ("sign", "rsvp", "subscribe")]
    stored = await bot.store.panel_of("telegram", str(CHANNEL))
    assert stored.message_id == str(panel.message_id)
    # By its id as well; the panel it replaces is deleted from the channel.
    said = await say(api, f"/panel {CHANNEL}")
    assert said.startswith(f"The campaign panel is up in {CHANNEL}.")
    [second] = api.sent(CHANNEL)
    assert second.message_id != panel.message_id
    assert await say(api, "/panel remove @campaignchannel") == "The campaign panel is removed."
    assert api.sent(CHANNEL) == [] and await bot.store.all_panels() == []
    assert [c.params["chat_id"] for c in api.calls_to("getChat")] == [
        "@campaignchannel", str(CHANNEL), "@campaignchannel"]


async def test_a_channel_that_is_unknown_or_not_ours_is_refused(adapter, api, bot):
    bot.senders["telegram"] = adapter
    api.add_channel(CHANNEL, "readonlychannel", post=True, edit=False)
    api.add_channel(CHANNEL - 1, "notourchannel", bot_status="left")
    said = await say(api, "/panel @nosuchchannel")
    assert said.startswith("I can't find @nosuchchannel.")
    assert [r.description for r in api.take_refusals()] == ["Bad Request: chat not found"]
    for name in ("readonlychannel", "notourchannel"):
        said = await say(api, f"/panel @{name}")
        assert said.startswith(f"I'm not an admin of @{name} allowed to post there.")
    assert api.sent(CHANNEL) == [] and api.calls_to("sendMessage")[-1].params["chat_id"] == (
        str(MOD))
    assert await bot.store.all_panels() == []


@bounded(30)
async def test_panel_remove_deletes_the_message_on_discord(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as adapter:
        bot = adapter.bot
        bot.senders["discord"] = adapter
        await answer(fake, await fake.command("panel", user_id=MODERATOR_DISCORD_ID))
        [first] = await bot.store.all_panels()
        await answer(fake, await fake.command("panel", user_id=MODERATOR_DISCORD_ID))
        [panel] = await bot.store.all_panels()
        assert first.message_id not in fake.messages  # the replaced panel is deleted
        assert panel.message_id in fake.messages
        said = await answer(fake, await fake.command("panel", options={"action": "remove"},
                                                     user_id=MODERATOR_DISCORD_ID))
        assert "The campaign panel is removed." in text(said)
        assert panel.message_id not in fake.messages
        assert await bot.store.all_panels() == []


async def test_panel_remove_when_telegram_fails_to_delete_asks_the_moderator(adapter, api, bot):
    """A 5xx on deleteMessage is no apology: the panel is forgotten already, so the moderator is
    told to delete the message by hand."""
    bot.senders["telegram"] = adapter
    api.add_channel(CHANNEL, "campaignchannel")
    await say(api, "/panel @campaignchannel")
    api.fail_next("deleteMessage", 1, 502)
    said = await say(api, "/panel remove @campaignchannel")
    assert said.startswith("The campaign panel is removed: it no longer changes. I couldn't")
    assert len(api.sent(CHANNEL)) == 1 and await bot.store.all_panels() == []

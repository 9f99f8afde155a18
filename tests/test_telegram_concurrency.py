"""Tier 3: update ordering, duplicates and who counts as a moderator on Telegram, with the real
PTB Application against the fake Bot API."""

from __future__ import annotations

from itertools import pairwise

import pytest

from bot.config import Moderators, Telegram
from bot.routing import REFUSED
from tests.fakes.telegram_api import message_update
from tests.fakes.telegram_harness import BOUND, running

ADA = 1001
GROUP = -1001234567890
MODERATOR = 42
ANONYMOUS_ADMIN_BOT = 1087968824  # Telegram's "GroupAnonymousBot", the `from` of such posts
OTHERS = range(2001, 2009)


@pytest.fixture
def config(config, api):
    # 777000 listed too: even a misconfigured list must not make automatic forwards moderators
    return config.model_copy(update={
        "telegram": Telegram(base_url=api.base_url),
        "moderators": Moderators(telegram_user_ids=(MODERATOR, 777000)),
    })


@pytest.fixture
async def adapter(bot, api):
    async with running(bot) as adapter:
        yield adapter


async def test_one_persons_updates_run_in_order_while_others_run_concurrently(adapter, api, bot):
    api.server.latency = 0.05  # every call takes a while, as over a real network
    for text in ("/sign", "Grace Hopper", "grace@example.org"):  # one batch, as typed quickly
        api.send_text(ADA, text)
    for user in OTHERS:
        api.send_text(user, "/help")
    await api.wait_for(lambda: len(api.sent(ADA)) == 4
                       and all(api.sent(user) for user in OTHERS), BOUND)
    await api.wait_idle()
    _, name, email, postcode = api.texts(ADA)
    assert name.startswith("(1 of 4)") and email.startswith("(2 of 4)")
    assert postcode.startswith("(3 of 4)")
    session = await bot.store.form_session("telegram", str(ADA))
    assert session.values == {"name": "Grace Hopper", "email": "grace@example.org"}
    ada_calls = sorted((c for c in api.calls_to("sendMessage")
                        if c.params["chat_id"] == str(ADA)), key=lambda c: c.started)
    assert all(b.started >= a.finished for a, b in pairwise(ada_calls))
    assert api.peak_in_flight["sendMessage"] >= 2  # different people did overlap


async def test_a_repeated_update_id_is_handled_once(adapter, api):
    help_ = message_update(ADA, "/help")
    api.push(help_, update_id=5000)
    api.push(help_, update_id=5000)  # Telegram resends a batch whose confirmation got lost
    await api.wait_calls("sendMessage", 1, BOUND)
    await api.wait_idle(settle=0.2)
    assert len(api.sent(ADA)) == 1
    await api.wait_for(lambda: len(api.sent(ADA)) == 1)
    api.send_text(ADA, "/rsvp")
    await api.wait_calls("sendMessage", 2, BOUND)
    press = api.buttons(ADA)[0]["callback_data"]
    query = api.press(ADA, press)
    update = api.updates[-1]
    api.push(dict(update), update_id=update["update_id"])
    await api.wait_calls("answerCallbackQuery", 1, BOUND)
    await api.wait_idle(settle=0.2)
    assert [c.status for c in api.calls_to("answerCallbackQuery")] == [200]
    assert api.queries[query] is True
    # The press updates the list in place, once: no new message, one edit.
    assert len(api.sent(ADA)) == 2 and len(api.calls_to("editMessageText")) == 1


async def group_command(api, text: str, **kwargs) -> str:
    before = len(api.sent(GROUP))
    api.push(message_update(kwargs.pop("user", MODERATOR), text, chat_id=GROUP,
                            chat_type="supergroup", **kwargs))
    await api.wait_for(lambda: len(api.sent(GROUP)) > before, BOUND)
    await api.wait_idle()
    return api.texts(GROUP)[-1]


async def test_a_post_on_behalf_of_a_chat_is_never_a_moderators(adapter, api):
    group = {"id": GROUP, "type": "supergroup", "title": "Campaign group"}
    channel = {"id": -1009876543210, "type": "channel", "title": "Campaign news"}
    refused = REFUSED.format(name="stats")
    # `from` a moderator's id, but sent as the group (anonymous admin) or as a channel
    assert await group_command(api, "/stats", sender_chat=group) == refused
    assert await group_command(api, "/stats", sender_chat=channel) == refused
    assert await group_command(api, "/stats", user=ANONYMOUS_ADMIN_BOT,
                               sender_chat=group) == refused
    # automatic forwards come from 777000, listed as a moderator in this config
    assert await group_command(api, "/stats", user=777000, sender_chat=channel,
                               is_automatic_forward=True) == refused
    assert await group_command(api, "/stats", user=777000) == refused
    # the real moderator, speaking as themselves, is sent to a private chat...
    assert (await group_command(api, "/stats")).startswith("Let's do /stats in a private chat")
    # ...where the command works
    api.send_text(MODERATOR, "/stats")
    await api.wait_for(lambda: bool(api.sent(MODERATOR)), BOUND)
    assert api.texts(MODERATOR)[0].startswith("Campaign stats")


async def test_an_anonymous_group_admin_may_subscribe_the_group(adapter, api, bot):
    group = {"id": GROUP, "type": "supergroup", "title": "Campaign group"}
    answer = await group_command(api, "/subscribe", user=ANONYMOUS_ADMIN_BOT, sender_chat=group)
    assert answer.startswith("This chat will get the countdown")
    assert await bot.store.chat_subscribed("telegram", str(GROUP))
    assert api.calls_to("getChatMember") == []  # posting as the group proves it

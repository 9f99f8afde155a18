"""Tier 3: the real python-telegram-bot Application against the fake Bot API, end to end.

Each test pushes updates as Telegram would deliver them and asserts on what the person would
see (the messages the fake accepted, parsed as Telegram parses HTML) and on the database."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import open_bot
from bot.config import Telegram
from bot.dispatch import OPEN_PRIVATE
from bot.routing import STALE
from tests.fakes.telegram_api import chat_json, message_update
from tests.fakes.telegram_harness import BOUND, USERNAME, running
from tests.support.waiting import wait_until

ADA = 1001
GROUP = -1001234567890


@pytest.fixture
def config(config, api):
    """The shipped campaign, pointed at the fake Bot API."""
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})




async def step(api, chat_id: int, push, count: int = 1) -> list[str]:
    """Push an update (`push()`), wait for `count` new messages in the chat and for the bot
    to go quiet; returns the new messages' text as the person sees it."""
    before = len(api.sent(chat_id))
    push()
    await api.wait_for(lambda: len(api.sent(chat_id)) >= before + count, BOUND)
    await api.wait_idle()
    return api.texts(chat_id)[before:]


def in_group(api, text: str, user: int = ADA, chat_type: str = "supergroup"):
    """A push of `text` sent by `user` in the group."""
    return lambda: api.push(message_update(user, text, chat_id=GROUP, chat_type=chat_type))


async def all_queries_answered_once(api) -> bool:
    """Every button press was answered, exactly once (the fake refuses a second answer)."""
    await api.wait_for(lambda: all(api.queries.values()), BOUND)
    await api.wait_idle()
    return [c.status for c in api.calls_to("answerCallbackQuery")] == [200] * len(api.queries)


async def test_the_whole_sign_conversation_ends_in_a_stored_signature(adapter, api, bot):
    intro, first = await step(api, ADA, lambda: api.send_text(ADA, "/sign", last_name="Lovelace"),
                              2)
    assert intro.startswith("Amazon: stop selling surveillance")
    assert first.startswith("(1 of 4) What name should we put on the petition?")
    assert [b["text"] for b in api.buttons(ADA)] == ["Use “Ada Lovelace”"]
    (email,) = await step(api, ADA, lambda: api.send_text(ADA, "Grace Hopper"))
    assert email.startswith("(2 of 4) What's your email address? (optional)")
    (postcode,) = await step(api, ADA, lambda: api.send_text(ADA, "grace@example.org"))
    assert postcode.startswith("(3 of 4) What's your postcode? (optional)")
    (consent,) = await step(api, ADA, lambda: api.press_label(ADA, "Skip"))
    assert "How would you like to sign?" in consent
    (thanks,) = await step(api, ADA, lambda: api.press_label(ADA, "Sign and keep me updated"))
    assert thanks.startswith("Thank you, Grace Hopper! You are signature #1.")
    signature = await bot.store.signature_of("telegram", str(ADA))
    assert (signature.name, signature.email, signature.postcode, signature.wants_updates) == (
        "Grace Hopper", "grace@example.org", None, True)
    assert await all_queries_answered_once(api)


async def test_rsvp_by_buttons(adapter, api, bot):
    (listing,) = await step(api, ADA, lambda: api.send_text(ADA, "/rsvp"))
    assert "Week of Action" in listing and "0 coming" in listing

    async def press(label: str) -> str:
        """Each press updates the list it sits on (editMessageText), adding no message."""
        edits = api.last(ADA).edits
        api.press_label(ADA, label)
        await api.wait_for(lambda: api.last(ADA).edits > edits, BOUND)
        await api.wait_idle()
        assert len(api.sent(ADA)) == 1
        return api.last(ADA).text

    going = await press("Going: Kick-off call")
    assert going.startswith("You're going to Kick-off call: why we have our eyes on Amazon.")
    assert await bot.store.rsvps_of("telegram", str(ADA)) == {"day1"}
    everything = await press("All of them")
    assert everything.startswith("You're going to every upcoming event")
    assert await bot.store.rsvps_of("telegram", str(ADA)) == {f"day{n}" for n in range(1, 6)}
    cancelled = await press("Cancel: Teach-in")
    assert cancelled.startswith("You're no longer down for Teach-in")
    assert await all_queries_answered_once(api)


async def sign_directly(bot, user_id: int = ADA) -> None:
    await bot.store.sign("telegram", str(user_id), name="Ada", email=None, postcode=None,
                         wants_updates=False, consent_text="c", consent_version="v",
                         now=bot.clock.now())


async def test_unsign_withdraws_after_confirmation(adapter, api, bot):
    await sign_directly(bot)
    (confirm,) = await step(api, ADA, lambda: api.send_text(ADA, "/unsign"))
    assert confirm == "Withdraw your signature (#1) from the petition?"
    (done,) = await step(api, ADA, lambda: api.press_label(ADA, "Yes, withdraw it"))
    assert done.startswith("Your signature has been withdrawn.")
    assert await bot.store.signature_of("telegram", str(ADA)) is None
    assert await all_queries_answered_once(api)


async def test_forget_erases_everything_about_the_person(adapter, api, bot):
    await sign_directly(bot)
    await bot.store.set_rsvps("telegram", str(ADA), {"day1"}, set(), bot.clock.now())
    (confirm,) = await step(api, ADA, lambda: api.send_text(ADA, "/forget"))
    assert "It can't be undone" in confirm
    (done,) = await step(api, ADA, lambda: api.press_label(ADA, "Yes, erase everything"))
    assert done.startswith("Erased: your signature, 1 RSVP.")
    assert await bot.store.signature_of("telegram", str(ADA)) is None
    assert await bot.store.rsvps_of("telegram", str(ADA)) == set()


@pytest.mark.parametrize("command", ["/sign", f"/sign@{USERNAME}", "/mydata", "/forget"])
async def test_in_a_group_private_commands_answer_with_a_deep_link(adapter, api, command):
    (answer,) = await step(api, GROUP, in_group(api, command))
    name = command[1:].split("@")[0]
    assert answer == f"Let's do /{name} in a private chat, so nothing personal is shared here."
    assert api.buttons(GROUP) == [
        {"text": OPEN_PRIVATE, "url": f"https://t.me/{USERNAME}?start={name}"}]
    assert api.sent(ADA) == []  # nothing was asked anywhere


@pytest.mark.parametrize("typed", ["/start mydata", "/start sign", f"/start@{USERNAME} forget"])
async def test_in_a_group_a_deep_link_to_a_private_command_stays_private(adapter, api, bot,
                                                                          typed):
    await sign_directly(bot)
    (answer,) = await step(api, GROUP, in_group(api, typed))
    name = typed.rsplit(" ", 1)[1]
    assert answer.startswith(f"Let's do /{name} in a private chat")
    assert api.buttons(GROUP)[0]["url"] == f"https://t.me/{USERNAME}?start={name}"
    assert await bot.store.form_session("telegram", str(ADA)) is None


async def test_in_a_group_plain_text_is_ignored_even_with_a_form_open(adapter, api, bot):
    await step(api, ADA, lambda: api.send_text(ADA, "/sign"), 2)
    in_group(api, "Grace Hopper")()
    in_group(api, "/sign@SomeOtherBot")()
    (countdown,) = await step(api, GROUP, in_group(api, "/countdown"))
    assert "left until" in countdown  # public commands answer in the group
    assert len(api.sent(GROUP)) == 1
    session = await bot.store.form_session("telegram", str(ADA))
    assert (session.step, session.values) == (0, {})


async def test_start_sign_opens_the_sign_flow(adapter, api):
    intro, first = await step(api, ADA, lambda: api.send_text(ADA, "/start sign"), 2)
    assert intro.startswith("Amazon: stop selling surveillance")
    assert first.startswith("(1 of 4) What name should we put on the petition?")


async def test_start_rsvp_opens_the_event_list(adapter, api):
    (listing,) = await step(api, ADA, lambda: api.send_text(ADA, "/start rsvp"))
    assert listing.startswith("Week of Action")


async def test_html_in_a_name_is_shown_literally(adapter, api, bot):
    name = '<b>x</b> & <a href="x">y</a>'
    await step(api, ADA, lambda: api.send_text(ADA, "/sign", first_name=name), 2)
    assert api.buttons(ADA)[0]["text"] == 'Use “<b>x</b> & <a href="x">…”'
    await step(api, ADA, lambda: api.press_label(ADA, "Use"))
    await step(api, ADA, lambda: api.press_label(ADA, "Skip"))
    await step(api, ADA, lambda: api.press_label(ADA, "Skip"))
    (thanks,) = await step(api, ADA, lambda: api.press_label(ADA, "Sign"))
    assert thanks.startswith(f"Thank you, {name}! You are signature #1.")
    # Text, not tags: no bold, no link over the name (the invite block's heading is bold).
    head = len(f"Thank you, {name}!")
    assert [e for e in api.last(ADA).entities if e["offset"] < head] == []
    assert [e["type"] for e in api.last(ADA).entities] == ["bold"]
    (mydata,) = await step(api, ADA, lambda: api.send_text(ADA, "/mydata"))
    assert f"Name: {name}" in mydata
    assert (await bot.store.signature_of("telegram", str(ADA))).name == name


@pytest.mark.parametrize("data", ["rsvp:no-such-event", "rsvp", "form:sign:0:d", "unsign:maybe",
                                  "nonsense", ":::", "stats:1"])
async def test_tampered_or_stale_button_data_changes_nothing(adapter, api, bot, data):
    (answer,) = await step(api, ADA, lambda: api.press(ADA, data))
    assert answer == STALE
    assert await all_queries_answered_once(api)
    assert await bot.store.rsvps_of("telegram", str(ADA)) == set()
    assert await bot.store.form_session("telegram", str(ADA)) is None


async def test_another_persons_form_button_is_no_longer_available(adapter, api, bot):
    await step(api, ADA, lambda: api.send_text(ADA, "/sign"), 2)
    data = api.buttons(ADA)[0]["callback_data"]
    eve = 666
    (answer,) = await step(api, eve, lambda: api.press(eve, data))
    assert answer == STALE
    assert await bot.store.form_session("telegram", str(eve)) is None
    assert (await bot.store.form_session("telegram", str(ADA))).step == 0
    assert await all_queries_answered_once(api)


async def test_rsvp_in_a_group_shows_counts_and_a_deep_link(adapter, api):
    (listing,) = await step(api, GROUP, in_group(api, "/rsvp", chat_type="group"))
    assert "0 coming" in listing and "you're going" not in listing
    assert api.buttons(GROUP) == [
        {"text": OPEN_PRIVATE, "url": f"https://t.me/{USERNAME}?start=rsvp"}]


async def test_a_press_in_a_group_is_told_to_the_presser_alone(adapter, api, bot):
    await step(api, GROUP, in_group(api, "/help", chat_type="group"))
    # a button of an older list in the group, or a client sending data of its own
    api.press(2002, "rsvp:day1", chat_id=GROUP, chat_type="group")
    await api.wait_calls("answerCallbackQuery")
    await api.wait_idle()
    (answer,) = api.calls_to("answerCallbackQuery")
    assert answer.params["text"] == (
        "You're going to Kick-off call: why we have our eyes on Amazon. See you there!")
    assert answer.params["show_alert"] == "true"
    assert len(api.sent(GROUP)) == 1  # nothing new posted in the group
    assert await bot.store.rsvps_of("telegram", "2002") == {"day1"}


async def test_blocking_pauses_daily_prompts_and_unblocking_resumes(adapter, api, bot):
    await step(api, ADA, lambda: api.send_text(ADA, "/subscribe"))

    async def active() -> bool:
        return (await bot.store.subscription_of("telegram", str(ADA))).active

    api.block(ADA)
    await wait_until(lambda: _not(active), what="prompts paused")
    assert await bot.store.take_pause_notice("telegram", str(ADA)) == "blocked"
    api.unblock(ADA)
    await wait_until(active, what="prompts resumed")


async def _not(check) -> bool:
    return not await check()


async def test_a_group_admin_subscribes_the_group_and_others_may_not(adapter, api, bot):
    api.set_admin(GROUP, ADA)
    (refused, _) = await step(api, GROUP, in_group(api, f"/subscribe@{USERNAME}", 2002), 2)
    assert refused.startswith("Only the people who manage this chat")
    assert not await bot.store.chat_subscribed("telegram", str(GROUP))
    (done,) = await step(api, GROUP, in_group(api, f"/subscribe@{USERNAME}"))
    assert done.startswith("This chat will get the countdown")
    assert await bot.store.chat_subscribed("telegram", str(GROUP))
    # getChatMember is asked for these two commands only, not for every message
    await step(api, GROUP, in_group(api, "/countdown"))
    assert len(api.calls_to("getChatMember")) == 2


async def test_a_restart_in_the_middle_of_a_form_resumes_at_the_same_question(config, api,
                                                                              clock):
    async with open_bot(config, clock) as first_bot, running(first_bot):
        await step(api, ADA, lambda: api.send_text(ADA, "/sign"), 2)
        await step(api, ADA, lambda: api.send_text(ADA, "Grace Hopper"))
    async with open_bot(config, clock) as second_bot, running(second_bot):
        (postcode,) = await step(api, ADA, lambda: api.send_text(ADA, "grace@example.org"))
        assert postcode.startswith("(3 of 4) What's your postcode?")
        session = await second_bot.store.form_session("telegram", str(ADA))
        assert session.values == {"name": "Grace Hopper", "email": "grace@example.org"}


async def test_the_command_menus(config, api, bot):
    api.chats[42] = chat_json(42)  # the moderator (conftest) has opened the bot
    await bot.store.save_platform_state("telegram", "moderator_menus", "[42, 99]")
    async with running(bot):
        pass
    everyone = [c["command"] for c in api.commands["default"]]
    assert "sign" in everyone and "stats" not in everyone
    moderator = {c["command"]: c["description"] for c in api.commands["chat:42"]}
    assert moderator["stats"] == "Signatures, RSVPs and subscribers at a glance."
    assert moderator["sign"] == "Sign the petition."
    deleted = api.calls_to("deleteMyCommands")
    assert [json.loads(c.params["scope"]) for c in deleted] == [{"type": "chat", "chat_id": 99}]


async def test_a_moderator_menu_comes_when_the_moderator_first_writes(adapter, api):
    assert "chat:42" not in api.commands  # their private chat did not exist at start
    await step(api, 42, lambda: api.send_text(42, "/help"))
    assert "stats" in [c["command"] for c in api.commands["chat:42"]]


async def test_a_refused_token_fails_the_front_end_and_stops_the_process(bot, api):
    from bot.adapters.telegram import TelegramAdapter

    stop = asyncio.Event()
    adapter = TelegramAdapter(bot, "999:not-a-token-the-fake-knows", stop)
    await asyncio.wait_for(adapter.start(), BOUND)
    assert adapter.failed and stop.is_set()
    await asyncio.wait_for(adapter.stop(), BOUND)

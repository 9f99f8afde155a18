"""Authority, tier 1 (issue 8, items 1, 2, 4, 5): a moderator form holds only while its
author is a moderator, announcement buttons check who presses before anything else, /cancel in
a group neither ends nor reveals a private form, and a deep link changes nothing by itself.

The clock fixture stands at Tue 1 June 2027, 13:00 UTC (09:00 in New York)."""

from __future__ import annotations

import pytest

from bot.config import Moderators
from bot.core import Incoming
from bot.handlers import announce
from tests.conftest import MODERATOR_ROLE_ID

REFUSED = "Sorry, /announce is only for campaign moderators."
STALE = "This button is no longer available. Send /help to start again."
GROUP = "-100200"


def no_moderators(bot) -> None:
    """The moderators' list emptied in the config, as an organiser would mid-campaign."""
    bot.config = bot.config.model_copy(update={"moderators": Moderators()})


ANY_STATUS = ("draft", "scheduled", "queued", "sending", "done", "cancelled")


async def nothing_drafted(bot) -> bool:
    return await bot.store.announcements_in(ANY_STATUS) == []


# 1. A moderator form keeps its authority only while it holds ------------------------------

async def test_a_moderator_removed_mid_form_gets_no_preview_and_no_draft(moderator, telegram,
                                                                        bot, make_chat):
    await make_chat(user_id="5001").send("/subscribe")
    assert "What should the announcement say?" in await moderator.send("/announce")
    no_moderators(bot)

    text = await moderator.send("Everyone to the square at noon")

    assert text == REFUSED
    assert "Preview" not in text and moderator.labels == []  # no audience counts shown
    assert await nothing_drafted(bot)
    assert await bot.store.form_session("telegram", moderator.user.id) is None  # form ended
    # Ended, not merely refused once: the next message is no answer to a form any more.
    assert "I didn't catch that" in await moderator.send("Everyone to the square at noon")


async def test_a_discord_role_moderator_without_the_role_cannot_continue(make_chat, telegram,
                                                                         bot):
    with_role = make_chat(platform="discord", user_id="5005", role_ids=(MODERATOR_ROLE_ID,))
    assert "What should the announcement say?" in await with_role.send("/announce")
    without = make_chat(platform="discord", user_id="5005")  # the same person, in DMs

    assert await without.send("Rally at noon") == REFUSED
    assert await nothing_drafted(bot)
    assert await bot.store.form_session("discord", "5005") is None


async def test_the_console_without_moderator_cannot_finish_a_moderator_form(make_chat,
                                                                            telegram, bot):
    # `console --moderator` started it; the form survives in the database, and the next
    # `console` session, without --moderator, must not finish it.
    bot.local_moderator = True
    console = make_chat(platform="console", user_id="local")
    assert "What should the announcement say?" in await console.send("/announce")
    bot.local_moderator = False

    assert await console.send("Rally at noon") == REFUSED
    assert await nothing_drafted(bot)


async def test_the_time_form_is_rechecked_too(moderator, telegram, bot):
    await moderator.send("/announce Rally at noon")
    await moderator.press("Everyone")
    assert "When should it go out?" in await moderator.press("Schedule")
    no_moderators(bot)

    assert await moderator.send("18:30") == REFUSED
    (draft,) = await bot.store.announcements_in(ANY_STATUS)
    assert draft.status == "draft" and draft.send_at is None
    assert await bot.store.form_session("telegram", moderator.user.id) is None


async def test_a_form_button_from_a_former_moderator_is_refused(moderator, telegram, bot):
    # A press on a form's question is re-checked before anything else (here a forged one:
    # the announce form has no buttons, and a moderator would get "no longer available").
    await moderator.send("/announce")
    session = await bot.store.form_session("telegram", moderator.user.id)
    no_moderators(bot)

    text = await moderator.press_data(f"form:announce:{session.step}:d")

    assert text == REFUSED
    assert await bot.store.form_session("telegram", moderator.user.id) is None


async def test_a_modal_submit_from_a_non_moderator_is_refused(chat, telegram, bot):
    from bot import forms

    ctx = bot.context(Incoming("action", chat.user, chat.chat, name="$modal",
                               payload=("announce",)))
    out = await forms.submit_all(ctx, "announce", {"text": "Rally at noon"})

    assert [r.plain_text() for r in out] == [REFUSED]
    assert await nothing_drafted(bot)


async def test_a_moderator_still_completes_the_form(moderator, telegram, bot):
    await moderator.send("/announce")
    assert "Preview" in await moderator.send("Rally at noon")
    assert len(await bot.store.announcements_in(("draft",))) == 1


async def test_supporter_forms_need_no_rights(chat, bot):
    await chat.send("/settings timezone")
    assert "Europe/London" in await chat.send("Europe/London")


# 2. Announcement buttons: who may press, before any branch --------------------------------

async def a_draft(moderator) -> int:
    await moderator.send("/announce Rally at noon")
    return int(next(b for b in moderator.buttons if b.label == "Cancel").payload[0])


async def test_a_supporter_never_cancels_even_if_dispatch_let_them_through(moderator,
                                                                          telegram, bot, chat):
    announcement_id = await a_draft(moderator)
    incoming = Incoming("action", chat.user, chat.chat, name="ann",
                        payload=(str(announcement_id), "cancel"))
    # The handler's own check, not only the registry's: a route registered without
    # moderator=True, or a future caller, still cannot let a supporter cancel.
    reply = await announce.pressed(bot.context(incoming))

    assert reply.plain_text() == STALE
    assert (await bot.store.announcement(announcement_id)).status == "draft"
    assert await chat.press_data(f"ann:{announcement_id}:cancel") == STALE
    assert (await bot.store.announcement(announcement_id)).status == "draft"


async def test_another_moderator_may_cancel_but_not_steer(moderator, make_chat, telegram, bot,
                                                         config):
    announcement_id = await a_draft(moderator)
    other = make_chat(platform="discord", user_id="5005", role_ids=(MODERATOR_ROLE_ID,))
    for step in ("aud:everyone", "aud:event", "event:day1", "when:now", "confirm"):
        assert await other.press_data(f"ann:{announcement_id}:{step}") == STALE
    assert (await bot.store.announcement(announcement_id)).audience is None

    assert "will not be sent" in await other.press_data(f"ann:{announcement_id}:cancel")
    assert (await bot.store.announcement(announcement_id)).status == "cancelled"


async def test_the_author_without_rights_cannot_press_anything(moderator, telegram, bot):
    announcement_id = await a_draft(moderator)
    no_moderators(bot)
    for step in ("aud:everyone", "cancel", "confirm"):
        assert await moderator.press_data(f"ann:{announcement_id}:{step}") == STALE
    announcement = await bot.store.announcement(announcement_id)
    assert (announcement.status, announcement.audience) == ("draft", None)


# 4. /cancel in a group --------------------------------------------------------------------

async def test_cancel_in_a_group_neither_ends_nor_reveals_a_private_form(chat, make_chat, bot):
    bot.deep_links["telegram"] = lambda command: f"https://t.me/CampaignBot?start={command}"
    await chat.send("/sign")
    in_group = make_chat(chat_id=GROUP)  # Ada, in a group
    nobody = make_chat(user_id="1002", chat_id=GROUP)  # someone with no form at all

    with_form = await in_group.send("/cancel")
    without_form = await nobody.send("/cancel")

    assert with_form == without_form  # the group learns nothing
    assert "private chat" in with_form
    assert [b.url for b in in_group.buttons] == ["https://t.me/CampaignBot?start=cancel"]
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_cancel_in_private_still_ends_the_form(chat, bot):
    await chat.send("/sign")
    assert "Cancelled" in await chat.send("/cancel")
    assert await bot.store.form_session("telegram", "1001") is None


# 5. Deep links change nothing by themselves -----------------------------------------------

async def test_start_unsubscribe_asks_and_only_the_press_unsubscribes(chat, bot):
    await chat.send("/subscribe")

    text = await chat.send("/start unsubscribe")

    assert "?" in text and chat.labels == ["Yes, stop them"]
    assert (await bot.store.subscription_of("telegram", "1001")).active
    assert "no more daily prompts" in await chat.press("Yes, stop them")
    assert await bot.store.subscription_of("telegram", "1001") is None


async def test_start_subscribe_asks_and_only_the_press_subscribes(chat, bot):
    text = await chat.send("/start subscribe")

    assert "?" in text and chat.labels == ["Yes, subscribe me"]
    assert await bot.store.subscription_of("telegram", "1001") is None
    assert "You're subscribed" in await chat.press("Yes, subscribe me")
    assert (await bot.store.subscription_of("telegram", "1001")).active


async def test_start_subscribe_in_a_group_asks_and_the_press_needs_an_admin(make_chat, bot):
    member = make_chat(chat_id=GROUP)
    await member.send("/start subscribe")
    assert member.labels == ["Yes, post it here"]
    assert "Only the people who manage this chat" in await member.press("Yes, post it here")
    assert not await bot.store.chat_subscribed("telegram", GROUP)

    admin = make_chat(user_id="1002", chat_id=GROUP, can_manage_chat=True)
    await admin.send("/start subscribe")
    assert not await bot.store.chat_subscribed("telegram", GROUP)
    assert "This chat will get" in await admin.press("Yes, post it here")
    assert await bot.store.chat_subscribed("telegram", GROUP)


async def test_start_cancel_asks_before_ending_a_form(chat, bot):
    await chat.send("/sign")

    text = await chat.send("/start cancel")

    assert "?" in text
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"
    assert "Cancelled" in await chat.press("Yes, stop it")
    assert await bot.store.form_session("telegram", "1001") is None


@pytest.mark.parametrize("target", ["forget", "unsign"])
async def test_start_forget_and_unsign_only_ask(chat, bot, target):
    await chat.send("/subscribe")
    await chat.send("/sign")  # a signature to withdraw
    await chat.press("Use “")
    await chat.press("Skip")
    await chat.press("Skip")
    await chat.press("Sign")

    await chat.send(f"/start {target}")

    assert any(label.startswith("Yes") for label in chat.labels)
    assert await bot.store.signature_of("telegram", "1001") is not None
    assert (await bot.store.subscription_of("telegram", "1001")).active


async def test_typed_subscribe_and_unsubscribe_still_act_at_once(chat, bot):
    assert "You're subscribed" in await chat.send("/subscribe")
    assert "no more daily prompts" in await chat.send("/unsubscribe")


async def test_a_deep_link_runs_the_command_as_if_typed_alone(chat):
    # "/start settings" is /settings, not "/settings settings" (which would be a usage error).
    assert await chat.send("/start settings") == await chat.send("/settings")


def test_every_supporter_command_says_what_a_deep_link_does(bot):
    # A new command is never run from a link by default: it must be marked safe (it changes
    # nothing by itself) or give the question a link shows instead.
    from bot.routing import Router

    router = Router()

    @router.command("newthing")
    async def newthing(ctx):
        """Something new."""

    assert router.commands["newthing"].deep_link is None
    safe = {name for name, c in bot.commands.items() if c.deep_link is c.handler}
    asks = {name for name, c in bot.commands.items()
            if c.deep_link is not None and c.deep_link is not c.handler}
    assert {"subscribe", "unsubscribe", "cancel"} <= asks
    assert not (safe & {"subscribe", "unsubscribe", "cancel"})
    assert {"sign", "rsvp", "forget", "unsign", "mydata", "donate"} <= safe


@pytest.mark.parametrize("data", ["subscribe:x", "unsubscribe:yes:no", "cancel:x",
                                  "cancel:sign:0", "cancel"])
async def test_tampered_confirmation_buttons_change_nothing(chat, bot, data):
    await chat.send("/subscribe")
    await chat.send("/sign")
    assert await chat.press_data(data) == STALE
    assert (await bot.store.subscription_of("telegram", "1001")).active
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_a_cancel_question_pressed_later_spares_a_newer_form(chat, bot):
    await chat.send("/settings timezone")
    await chat.send("/start cancel")
    question = chat.buttons[0].data
    await chat.send("/sign")  # sets the settings form aside, opens another
    assert await chat.press_data(question) == "There's nothing to cancel."
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_a_cancel_button_pressed_in_a_group_ends_nothing(chat, make_chat, bot):
    await chat.send("/sign")
    in_group = make_chat(chat_id=GROUP)
    assert await in_group.press_data("cancel:sign") == STALE
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_an_unknown_deep_link_is_the_welcome(chat):
    assert await chat.send("/start unsubscribe-me") == await chat.send("/start")


async def test_a_link_to_something_read_only_leaves_an_open_form_alone(chat, bot):
    await chat.send("/sign")
    await chat.send("/start countdown")
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_a_link_that_opens_a_form_sets_the_open_one_aside_and_says_so(chat, bot):
    await chat.send("/settings timezone")
    text = await chat.send("/start sign")
    assert "I set aside your unfinished timezone setting" in text
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"

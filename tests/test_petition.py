"""/sign and /unsign, as a supporter lives them: the petition, the signing conversation, the
consent record, bad answers, stale buttons, restarts, double taps and withdrawing."""

from __future__ import annotations

import asyncio
import sqlite3
import unicodedata
from contextlib import closing

import pytest

from bot.app import open_bot
from bot.flood import FloodGuard
from tests.support.conversations import shown, sign_up
from tests.support.memory import MemoryChat

STALE = "no longer available"
NAME_Q = "(1 of 4) What name should we put on the petition?"
EMAIL_Q = "(2 of 4) What's your email address? (optional)"
POSTCODE_Q = "(3 of 4) What's your postcode? (optional)"
CONSENT_Q = "(4 of 4) "
HOW = "How would you like to sign?"


def question(chat: MemoryChat) -> str:
    """The text of the last reply: the question being asked."""
    return chat.replies[-1].plain_text()


def row_count(config, table: str, user_id: str | None = None) -> int:
    with closing(sqlite3.connect(config.storage.path)) as db:
        if user_id is None:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        return db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,)).fetchone()[0]


async def to_consent_step(chat: MemoryChat) -> None:
    await chat.send("/sign")
    await chat.send("Ada Lovelace")
    await chat.press("Skip")
    await chat.press("Skip")
    assert HOW in question(chat)


# What /sign shows ---------------------------------------------------------------------------


async def test_sign_shows_the_petition_and_the_current_total_then_asks_the_name(
        bot, make_chat, chat, config):
    await sign_up(make_chat(user_id="2002", name="Grace Hopper"))

    reply = await chat.send("/sign")

    petition = config.petition
    assert petition.title in reply
    assert petition.text in reply
    assert f"To: {petition.target}" in reply
    assert "Signatures so far: 1." in reply
    assert question(chat).startswith(NAME_Q)
    assert reply.index(petition.title) < reply.index("Signatures so far") < reply.index(NAME_Q)
    assert shown(chat) == ["Use “Ada Lovelace”"]


async def test_email_and_postcode_are_optional_and_the_last_step_shows_the_consent(chat, config):
    await chat.send("/sign")

    assert (await chat.send("Ada Lovelace")).startswith(EMAIL_Q)
    assert shown(chat) == ["Skip"]
    assert (await chat.press("Skip")).startswith(POSTCODE_Q)
    assert shown(chat) == ["Skip"]

    consent = await chat.press("Skip")
    assert consent.startswith(CONSENT_Q)
    assert config.petition.consent_text in consent
    assert HOW in consent
    assert shown(chat) == ["Sign", "Sign and keep me updated"]


# Completing the form -------------------------------------------------------------------------


async def test_typing_everything_and_asking_for_updates_stores_the_consent_record(
        bot, chat, config, clock):
    reply = await sign_up(chat, name="Ada Lovelace", email="ada@Example.COM",
                          postcode="12345-6789", updates=True)

    assert "Thank you, Ada Lovelace! You are signature #1." in reply
    assert "The petition now has 1 signature." in reply
    assert "We'll keep you updated." in reply
    signature = await bot.store.signature_of("telegram", "1001")
    assert signature.number == 1
    assert signature.name == "Ada Lovelace"
    assert signature.email == "ada@example.com"  # the domain is normalised
    assert signature.postcode == "12345-6789"
    assert signature.wants_updates is True
    assert signature.consent_text == config.petition.consent_text
    assert signature.consent_version == config.petition.consent_version
    assert signature.platform == "telegram"
    assert signature.signed_at == clock.now()
    assert await bot.store.form_session("telegram", "1001") is None


async def test_taking_the_defaults_and_skipping_stores_no_email_or_postcode(bot, chat):
    await chat.send("/sign")
    await chat.press("Use “Ada Lovelace”")
    await chat.press("Skip")
    await chat.press("Skip")
    reply = await chat.press("Sign")

    assert "Thank you, Ada Lovelace! You are signature #1." in reply
    assert "keep you updated" not in reply
    signature = await bot.store.signature_of("telegram", "1001")
    assert signature.name == "Ada Lovelace"
    assert signature.email is None
    assert signature.postcode is None
    assert signature.wants_updates is False


async def test_a_long_display_name_is_shortened_on_the_button_but_stored_in_full(bot, make_chat):
    full = "Augusta Ada King, Countess of Lovelace"
    chat = make_chat(name=full)
    await chat.send("/sign")

    [label] = shown(chat)
    assert label.startswith("Use “Augusta") and label.endswith("…”")
    await chat.press("Use")
    await chat.press("Skip")
    await chat.press("Skip")
    await chat.press("Sign")

    assert (await bot.store.signature_of("telegram", "1001")).name == full


async def test_signing_again_says_when_you_signed_and_changes_nothing(bot, chat, clock, config):
    await sign_up(chat, email="ada@example.com")
    signed_at = clock.now()
    clock.advance(hours=1)

    reply = await chat.send("/sign")

    assert "You signed on Tue 1 Jun 2027, 09:00 EDT (signature #1)." in reply
    assert "The petition has 1 signature." in reply
    assert await bot.store.form_session("telegram", "1001") is None  # no new form opened
    assert "didn't catch that" in await chat.send("Someone Else")
    # Even a direct second store call keeps the first record as it was.
    again = await bot.store.sign("telegram", "1001", name="Someone Else", email=None,
                                 postcode=None, wants_updates=True, consent_text="other",
                                 consent_version="other", now=clock.now())
    assert again.created is False
    signature = await bot.store.signature_of("telegram", "1001")
    assert (signature.name, signature.email, signature.signed_at) == (
        "Ada Lovelace", "ada@example.com", signed_at)
    assert signature.consent_version == config.petition.consent_version
    assert row_count(config, "signatures") == 1


async def test_a_second_supporter_gets_the_next_number(bot, chat, make_chat):
    await sign_up(chat)

    reply = await sign_up(make_chat(user_id="2002", name="Grace Hopper"), name="Grace Hopper")

    assert "Thank you, Grace Hopper! You are signature #2." in reply
    assert "The petition now has 2 signatures." in reply
    assert await bot.store.signature_total() == 2


# Bad answers ---------------------------------------------------------------------------------


async def assert_refused(bot, chat, answer: str, reason: str) -> None:
    """One line of reason, then exactly the same question; nothing stored, still at that step."""
    asked = question(chat)
    before = await bot.store.form_session("telegram", "1001")

    await chat.send(answer)

    first, again = (r.plain_text() for r in chat.replies)
    assert reason in first
    assert "\n" not in first
    assert again == asked
    assert await bot.store.form_session("telegram", "1001") == before
    assert await bot.store.signature_total() == 0


@pytest.mark.parametrize("name, reason", [
    ("", "This one is required."),
    ("   \t ", "This one is required."),
    ("A" * 101, "That name is too long: at most 100 characters."),
    ("Ada\x07", "can't contain control or invisible characters"),
    ("Ada\nLovelace", "can't contain control or invisible characters"),
    ("\u202eAda", "can't contain control or invisible characters"),  # a bidi override
], ids=["empty", "whitespace", "101-chars", "bell", "newline", "bidi-override"])
async def test_a_bad_name_is_refused_and_asked_again(bot, chat, name, reason):
    await chat.send("/sign")

    await assert_refused(bot, chat, name, reason)

    assert (await chat.send("Ada Lovelace")).startswith(EMAIL_Q)  # the form carries on


@pytest.mark.parametrize("email", ["not-an-email", "a@b"])
async def test_a_bad_email_is_refused_and_asked_again(bot, chat, email):
    await chat.send("/sign")
    await chat.send("Ada Lovelace")

    await assert_refused(bot, chat, email, "That doesn't look like an email address")

    assert (await chat.send("ada@example.com")).startswith(POSTCODE_Q)


@pytest.mark.parametrize("postcode", ["ABC", "1234", "123456", "12345-67"])
async def test_a_postcode_not_matching_the_pattern_is_refused_and_asked_again(
        bot, chat, postcode):
    await chat.send("/sign")
    await chat.send("Ada Lovelace")
    await chat.press("Skip")

    await assert_refused(bot, chat, postcode, "That doesn't look like a valid postcode.")

    assert (await chat.send("12345")).startswith(CONSENT_Q)


async def test_a_100_character_name_is_accepted(bot, chat):
    name = "A" * 100
    await sign_up(chat, name=name)

    assert (await bot.store.signature_of("telegram", "1001")).name == name


async def test_a_name_is_stored_in_nfc(bot, chat):
    await sign_up(chat, name="Rene\u0301")  # e + combining acute accent

    stored = (await bot.store.signature_of("telegram", "1001")).name
    assert stored == "Ren\u00e9"
    assert unicodedata.is_normalized("NFC", stored)


# Which questions the config asks -------------------------------------------------------------


def with_petition(config, **fields):
    return config.model_copy(update={"petition": config.petition.model_copy(update=fields)})


async def test_a_required_email_has_no_skip_and_an_off_postcode_is_never_asked(config, clock):
    async with open_bot(with_petition(config, email="required", postcode="off"), clock) as bot:
        chat = MemoryChat(bot)
        await chat.send("/sign")
        assert question(chat).startswith("(1 of 3) What name")

        email_q = await chat.send("Ada Lovelace")
        assert email_q.startswith("(2 of 3) What's your email address?\n")
        assert shown(chat) == []
        assert STALE in await chat.press_data("form:sign:1:s")  # a forged Skip
        assert "This one is required." in await chat.send("  ")

        consent = await chat.send("ada@example.com")
        assert consent.startswith("(3 of 3) ")
        assert "postcode" not in consent.lower()
        await chat.press("Sign")

        signature = await bot.store.signature_of("telegram", "1001")
        assert (signature.email, signature.postcode) == ("ada@example.com", None)


async def test_with_the_name_off_no_name_is_asked_and_the_thanks_has_none(config, clock):
    async with open_bot(with_petition(config, name="off"), clock) as bot:
        chat = MemoryChat(bot)
        await chat.send("/sign")
        assert question(chat).startswith("(1 of 3) What's your email address? (optional)")
        assert shown(chat) == ["Skip"]  # no "Use “Ada Lovelace”"

        await chat.press("Skip")
        await chat.press("Skip")
        reply = await chat.press("Sign")

        assert reply.startswith("Thank you! You are signature #1.")
        assert "Ada" not in reply
        assert (await bot.store.signature_of("telegram", "1001")).name is None


@pytest.mark.parametrize("display_name", ["", "x" * 150, "Ada\x1b[31m"],
                         ids=["empty", "150-chars", "control-chars"])
async def test_a_display_name_we_could_not_store_is_not_offered(bot, make_chat, display_name):
    chat = make_chat(name=display_name)
    await chat.send("/sign")

    assert question(chat).startswith(NAME_Q)
    assert shown(chat) == []
    assert STALE in await chat.press_data("form:sign:0:d")  # a forged "use the default"
    assert (await chat.send("Ada Lovelace")).startswith(EMAIL_Q)


# Leaving the form ----------------------------------------------------------------------------


async def reach_step(chat: MemoryChat, step: int) -> None:
    await chat.send("/sign")
    answers = [lambda: chat.send("Ada Lovelace"), lambda: chat.send("ada@example.com"),
               lambda: chat.send("12345")]
    for answer in answers[:step]:
        await answer()


@pytest.mark.parametrize("step", [0, 1, 2, 3])
async def test_cancel_at_any_step_abandons_the_form(bot, chat, config, step):
    await reach_step(chat, step)
    assert (await bot.store.form_session("telegram", "1001")).step == step

    reply = await chat.send("/cancel")

    assert "Cancelled. Nothing you typed in that form was kept." in reply
    assert row_count(config, "form_sessions", "1001") == 0
    assert row_count(config, "signatures") == 0
    assert "didn't catch that" in await chat.send("Sign")


async def test_cancel_with_no_form_says_there_is_nothing_to_cancel(chat):
    assert await chat.send("/cancel") == "There's nothing to cancel."


async def test_another_command_mid_form_sets_it_aside_and_still_answers(bot, chat):
    await chat.send("/sign")
    await chat.send("Ada Lovelace")

    reply = await chat.send("/countdown")

    assert "unfinished petition signature" in reply
    assert "/sign" in reply
    assert "left until Moratorium anniversary" in reply
    assert await bot.store.form_session("telegram", "1001") is None
    assert "didn't catch that" in await chat.send("ada@example.com")
    assert await bot.store.signature_total() == 0


async def test_a_restart_mid_form_resumes_at_the_same_question(config, clock):
    async with open_bot(config, clock) as bot:
        chat = MemoryChat(bot)
        await chat.send("/sign")
        assert (await chat.send("Ada Lovelace")).startswith(EMAIL_Q)
    clock.advance(minutes=10)

    async with open_bot(config, clock) as bot:
        chat = MemoryChat(bot)  # the same supporter, a fresh process
        assert (await chat.send("ada@example.com")).startswith(POSTCODE_Q)
        await chat.press("Skip")
        assert "You are signature #1." in await chat.press("Sign")

        signature = await bot.store.signature_of("telegram", "1001")
        assert (signature.name, signature.email) == ("Ada Lovelace", "ada@example.com")


# Stale and tampered buttons ------------------------------------------------------------------


async def test_the_name_button_pressed_after_moving_on_changes_nothing(bot, chat):
    await chat.send("/sign")
    [use_display_name] = chat.buttons
    await chat.send("Ada")
    before = await bot.store.form_session("telegram", "1001")

    assert STALE in await chat.press_data(use_display_name.data)

    after = await bot.store.form_session("telegram", "1001")
    assert after == before
    assert after.step == 1 and after.values == {"name": "Ada"}
    assert await bot.store.signature_total() == 0


GARBAGE = ["", "x" * 70, "form:sign:9:0", "form:other:0:0", "form:sign:1", "form:sign:1:x",
           "form:sign:1:d", "unsign:maybe", "unsign", "nope:1", "rsvp:doesnotexist", "rsvp",
           ":sign", "form:sign:1:s:extra"]


@pytest.mark.parametrize("data", GARBAGE)
async def test_garbage_button_data_is_no_longer_available_with_no_form(bot, chat, config, data):
    reply = await chat.press_data(data)

    assert STALE in reply
    assert "went wrong" not in reply
    assert await bot.store.signature_total() == 0
    assert await bot.store.rsvps_of("telegram", "1001") == set()
    assert row_count(config, "form_sessions") == 0


@pytest.mark.parametrize("data", GARBAGE)
async def test_garbage_button_data_mid_form_leaves_the_form_where_it_was(bot, chat, data):
    await chat.send("/sign")
    await chat.send("Ada")
    before = await bot.store.form_session("telegram", "1001")

    reply = await chat.press_data(data)

    assert STALE in reply
    assert "went wrong" not in reply
    assert await bot.store.form_session("telegram", "1001") == before
    assert await bot.store.signature_total() == 0
    assert (await chat.send("ada@example.com")).startswith(POSTCODE_Q)


@pytest.mark.parametrize("data", ["form:sign:3:9", "form:sign:3:-1", "form:sign:3:d",
                                  "form:sign:3:s", "form:sign:2:0"])
async def test_forged_choices_at_the_consent_step_sign_nothing(bot, chat, data):
    await to_consent_step(chat)

    assert STALE in await chat.press_data(data)

    assert await bot.store.signature_total() == 0
    assert (await bot.store.form_session("telegram", "1001")).step == 3


async def test_a_superscript_digit_choice_is_no_longer_available(bot, chat):
    # "²".isdigit() is True but int("²") raises: this once ended in the apology.
    await to_consent_step(chat)

    reply = await chat.press_data("form:sign:3:\u00b2")

    assert STALE in reply
    assert "went wrong" not in reply
    assert await bot.store.signature_total() == 0
    assert STALE in await chat.press_data("form:sign:3:\u0661")  # an Arabic-Indic 1
    assert await bot.store.signature_total() == 0


# Double taps ---------------------------------------------------------------------------------


async def test_fifty_concurrent_sign_presses_sign_once(bot, chat, config):
    # 50 presses in one instant would be slowed after 20 (bot/flood.py, tested in
    # test_flood.py); this test is about the race, so every press gets through.
    bot.flood = FloodGuard(per_minute=100)
    await to_consent_step(chat)
    [sign] = [b for b in chat.buttons if b.label == "Sign"]

    replies = await asyncio.gather(*(chat.press_data(sign.data) for _ in range(50)))

    assert row_count(config, "signatures") == 1
    winners = [r for r in replies if "You are signature #" in r]
    assert len(winners) == 1
    assert "You are signature #1." in winners[0]
    others = [r for r in replies if r not in winners]
    assert len(others) == 49
    assert all(STALE in r or "You signed on" in r for r in others)
    assert row_count(config, "form_sessions") == 0


async def test_fifty_concurrent_store_signs_for_one_supporter_keep_one_row(bot, clock, config):
    results = await asyncio.gather(*(
        bot.store.sign("telegram", "1001", name=f"Ada {i}", email=None, postcode=None,
                       wants_updates=False, consent_text="t", consent_version="v", now=clock.now())
        for i in range(50)))

    assert row_count(config, "signatures") == 1
    assert sum(r.created for r in results) == 1
    [first] = [r for r in results if r.created]
    assert all(r.signature == first.signature for r in results)
    assert all(r.total == 1 for r in results)


# Withdrawing ---------------------------------------------------------------------------------


async def test_unsign_without_a_signature_has_nothing_to_withdraw(chat):
    reply = await chat.send("/unsign")

    assert "haven't signed the petition, so there is nothing to withdraw" in reply
    assert shown(chat) == []


async def test_unsign_asks_first_and_no_keeps_the_signature(bot, chat):
    await sign_up(chat)

    reply = await chat.send("/unsign")
    assert "Withdraw your signature (#1) from the petition?" in reply
    assert shown(chat) == ["Yes, withdraw it", "No, keep it"]

    assert "Good: your signature stays." in await chat.press("No, keep it")
    assert (await bot.store.signature_of("telegram", "1001")).number == 1
    assert await bot.store.signature_total() == 1


async def test_withdrawing_drops_the_total_and_the_numbers_close_up(bot, chat, make_chat):
    await sign_up(chat)
    await sign_up(make_chat(user_id="2002", name="Grace Hopper"), name="Grace Hopper")
    await chat.send("/unsign")
    [yes] = [b for b in chat.buttons if b.label == "Yes, withdraw it"]

    reply = await chat.press("Yes, withdraw it")

    assert "Your signature has been withdrawn. The petition now has 1 signature." in reply
    assert await bot.store.signature_of("telegram", "1001") is None
    assert await bot.store.signature_total() == 1
    assert "nothing to withdraw" in await chat.press_data(yes.data)  # the old button again

    # A number is the place among the signatures that stand (issue 8, item 15): Grace, signed
    # second, is now first, and Ada signing again is second, not #3.
    assert (await bot.store.signature_of("telegram", "2002")).number == 1
    again = await sign_up(chat)
    assert "You are signature #2." in again
    assert "The petition now has 2 signatures." in again
    assert (await bot.store.signature_of("telegram", "2002")).number == 1


async def test_a_postcode_in_other_scripts_digits_is_refused(bot, chat):
    # The shipped pattern's \d means 0-9: "١٢٣٤٥" (Arabic-Indic digits) is no US ZIP code.
    await chat.send("/sign")
    await chat.press("Use")
    await chat.press("Skip")
    reply = await chat.send("١٢٣٤٥")
    assert "doesn't look like a valid postcode" in reply
    assert (await bot.store.form_session("telegram", "1001")).step == 2

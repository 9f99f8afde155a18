"""/mydata and /forget: a supporter sees everything we hold about them, and can erase it all,
leaving no row behind and nobody else's rows touched."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from bot.app import open_bot
from tests.support.conversations import shown, sign_up
from tests.support.database import user_tables
from tests.support.memory import MemoryChat

ADA_ID, ADA_NAME, ADA_EMAIL = "1001", "Ada Lovelace", "ada@example.com"
GRACE_ID, GRACE_NAME, GRACE_EMAIL = "2002", "Grace Hopper", "grace@example.org"
KICK_OFF = "Kick-off call: why we have our eyes on Amazon"
TEACH_IN = "Teach-in: facial recognition and policing"


async def take_part_fully(chat: MemoryChat, name: str, email: str) -> None:
    """Sign with everything, RSVP, subscribe and set a timezone."""
    await sign_up(chat, name, email, "12345", updates=True)
    await chat.send("/rsvp")
    assert "You're going to" in await chat.press("Going: Kick-off")
    await chat.send("/subscribe")
    assert "Europe/London" in await chat.send("/settings timezone Europe/London")


def rows_of_user(path, user_id: str, platform: str | None = None) -> dict[str, int]:
    """Rows per table whose user_id is `user_id` (on `platform`, when given)."""
    found = {}
    with closing(sqlite3.connect(path)) as db:
        for table, columns in user_tables(path):
            if "user_id" not in columns:
                continue
            sql, params = f'SELECT COUNT(*) FROM "{table}" WHERE user_id = ?', [user_id]
            if platform is not None and "platform" in columns:
                sql += " AND platform = ?"
                params.append(platform)
            found[table] = db.execute(sql, params).fetchone()[0]
    return found


def text_mentions(path, *needles: str) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text value in the database containing a needle."""
    hits = []
    with closing(sqlite3.connect(path)) as db:
        for table, columns in user_tables(path):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for column, value in zip(columns, row):
                    if isinstance(value, str) and any(
                            n.casefold() in value.casefold() for n in needles):
                        hits.append((table, column, value))
    return hits


# /mydata -------------------------------------------------------------------------------------


async def test_mydata_with_nothing_stored_says_we_hold_nothing(chat):
    reply = await chat.send("/mydata")

    assert "We hold nothing about you" in reply
    assert "/forget" not in reply


async def test_mydata_shows_the_signature_rsvp_subscription_and_settings(chat, config):
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)

    reply = await chat.send("/mydata")

    assert reply.startswith("What we hold about you")
    assert "Petition signature #1, Tue 1 Jun 2027, 09:00 EDT, on telegram" in reply
    assert f"Name: {ADA_NAME}" in reply
    assert f"Email: {ADA_EMAIL}" in reply
    assert "Postcode: 12345" in reply
    assert "Consent: “keep me updated”, consent text version 2027-01" in reply
    assert config.petition.consent_text in reply
    assert f"Week of Action RSVPs:\n  {KICK_OFF}" in reply
    assert TEACH_IN not in reply  # only the event they chose
    assert "Daily prompts: subscribed since Tue 1 Jun 2027, 09:00 EDT" in reply
    assert "Settings: timezone Europe/London, daily prompt time default" in reply
    assert "To erase all of this, send /forget." in reply


async def test_mydata_shows_what_was_not_given_and_a_sign_only_choice(chat):
    await sign_up(chat, ADA_NAME)

    reply = await chat.send("/mydata")

    assert "Email: (not given)" in reply
    assert "Postcode: (not given)" in reply
    assert "Consent: “sign only, no updates”" in reply
    assert "RSVPs" not in reply and "Daily prompts" not in reply and "Settings" not in reply


async def test_mydata_shows_an_unfinished_form(chat):
    await chat.send("/sign")
    await chat.send(ADA_NAME)

    reply = await chat.send("/mydata")

    assert "unfinished sign form" in reply
    assert f"name = {ADA_NAME}" in reply
    assert "set aside" not in reply
    # Looking doesn't lose the form: the next answer still goes to the email question.
    assert (await chat.send(ADA_EMAIL)).startswith("(3 of 4)")


async def test_mydata_tells_only_the_asker(chat, make_chat):
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)

    reply = await make_chat(user_id=GRACE_ID, name=GRACE_NAME).send("/mydata")

    assert "We hold nothing about you" in reply
    assert ADA_NAME not in reply and ADA_EMAIL not in reply


# /forget -------------------------------------------------------------------------------------


async def test_forget_asks_first_and_no_keeps_everything(bot, chat):
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)
    before = await chat.send("/mydata")

    reply = await chat.send("/forget")
    assert "can't be undone" in reply
    assert shown(chat) == ["Yes, erase everything", "No, keep it"]

    assert await chat.press("No, keep it") == "Nothing was erased."
    assert await chat.send("/mydata") == before
    assert await bot.store.signature_total() == 1


async def test_forget_erases_every_row_about_the_supporter_and_no_one_elses(
        bot, chat, make_chat, config):
    grace = make_chat(user_id=GRACE_ID, name=GRACE_NAME)
    await take_part_fully(grace, GRACE_NAME, GRACE_EMAIL)
    grace_before = await grace.send("/mydata")
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)
    await chat.press("Going: Teach-in")  # a second RSVP, from the list shown after the first
    assert await bot.store.signature_total() == 2

    await chat.send("/forget")
    [yes] = [b for b in chat.buttons if b.label == "Yes, erase everything"]
    # Before confirming, Ada opens a settings question and leaves it unanswered: a form
    # in progress at the moment of erasing. (A command would set it aside, so the
    # confirmation comes from the button shown earlier.)
    assert "Which timezone" in await chat.send("/settings timezone")
    assert await bot.store.form_session("telegram", ADA_ID) is not None
    assert rows_of_user(config.storage.path, ADA_ID) == {
        "signatures": 1, "rsvps": 2, "subscriptions": 1, "user_settings": 1, "form_sessions": 1,
        "outbox": 0, "actions_done": 0, "referral_codes": 1, "referral_credits": 0}

    reply = await chat.press_data(yes.data)

    assert reply.startswith("Erased: ")
    for erased in ("your signature", "2 RSVPs", "your daily-prompt subscription",
                   "your settings", "an unfinished form"):
        assert erased in reply
    assert "We no longer hold anything about you." in reply
    # No row of any table points at Ada, and her name and email are nowhere.
    tables = dict(user_tables(config.storage.path))
    assert {"signatures", "rsvps", "subscriptions", "user_settings", "form_sessions"} <= set(
        tables)
    left = rows_of_user(config.storage.path, ADA_ID)
    assert set(left) == {t for t, columns in tables.items() if "user_id" in columns}
    assert all(count == 0 for count in left.values()), left
    assert text_mentions(config.storage.path, ADA_NAME, ADA_EMAIL) == []
    assert "We hold nothing about you" in await chat.send("/mydata")
    # Grace's rows are as they were; the total dropped by one.
    assert await bot.store.signature_total() == 1
    assert await grace.send("/mydata") == grace_before
    assert await bot.store.rsvps_of("telegram", GRACE_ID) == {"day1"}
    assert text_mentions(config.storage.path, GRACE_NAME, GRACE_EMAIL)


async def test_forget_with_nothing_stored_says_there_was_nothing(bot, chat):
    await chat.send("/forget")

    reply = await chat.press("Yes, erase everything")

    assert reply == "There was nothing to erase: we hold nothing about you."


async def test_pressing_the_old_erase_button_again_is_harmless(bot, chat, make_chat):
    grace = make_chat(user_id=GRACE_ID, name=GRACE_NAME)
    await sign_up(grace, GRACE_NAME, GRACE_EMAIL)
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)
    await chat.send("/forget")
    [yes] = [b for b in chat.buttons if b.label == "Yes, erase everything"]
    assert (await chat.press_data(yes.data)).startswith("Erased: ")

    again = await chat.press_data(yes.data)

    assert again == "There was nothing to erase: we hold nothing about you."
    assert await bot.store.signature_total() == 1
    assert (await bot.store.signature_of("telegram", GRACE_ID)).name == GRACE_NAME


@pytest.mark.parametrize("data", ["forget:maybe", "forget", "forget:yes:no"])
async def test_tampered_erase_buttons_erase_nothing(bot, chat, data):
    await sign_up(chat, ADA_NAME)

    assert "no longer available" in await chat.press_data(data)

    assert await bot.store.signature_total() == 1


async def test_forget_on_one_platform_leaves_the_same_id_on_another(bot, chat, make_chat, config):
    discord = make_chat(platform="discord", user_id=ADA_ID, name="ada")
    await take_part_fully(discord, ADA_NAME, "ada@discord.example.com")
    await take_part_fully(chat, ADA_NAME, ADA_EMAIL)

    await chat.send("/forget")
    assert "Erased: your signature" in await chat.press("Yes, erase everything")

    path = config.storage.path
    assert all(n == 0 for n in rows_of_user(path, ADA_ID, platform="telegram").values())
    assert rows_of_user(path, ADA_ID, platform="discord") == {
        "signatures": 1, "rsvps": 1, "subscriptions": 1, "user_settings": 1, "form_sessions": 0,
        "outbox": 0, "actions_done": 0, "referral_codes": 1, "referral_credits": 0}
    assert (await bot.store.signature_of("discord", ADA_ID)).email == "ada@discord.example.com"
    assert "Email: ada@discord.example.com" in await discord.send("/mydata")
    assert await bot.store.signature_total() == 1


# Unfinished forms don't linger ---------------------------------------------------------------


async def test_an_unfinished_form_older_than_two_days_is_dropped_at_startup(config, clock):
    async with open_bot(config, clock) as bot:
        chat = MemoryChat(bot)
        await chat.send("/sign")
        await chat.send(ADA_NAME)
    clock.advance(days=2, minutes=1)

    async with open_bot(config, clock) as bot:
        assert await bot.store.form_session("telegram", ADA_ID) is None
        assert "didn't catch that" in await MemoryChat(bot).send(ADA_EMAIL)
    assert text_mentions(config.storage.path, ADA_NAME) == []


async def test_forget_then_no_keeps_an_unfinished_form(bot, chat):
    await chat.send("/sign")
    await chat.send("Ada Lovelace")
    await chat.send("/forget")
    assert "Nothing was erased" in await chat.press("No, keep it")
    assert (await bot.store.form_session("telegram", "1001")).values == {"name": "Ada Lovelace"}

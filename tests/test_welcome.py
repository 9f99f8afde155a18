"""Issue 14, Welcome: /start's short first screen that leads to the three actions in one tap, and
the same welcome, once, for the first command on a platform without a start message.

The clock fixture stands at Tue 1 June 2027, 13:00 UTC: 9 days and 3 hours before the deadline."""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime

from bot import app
from bot.adapters.discord.capabilities import CAPABILITIES as DISCORD
from bot.core import Incoming
from tests.support.conversations import shown, sign_up
from tests.support.database import rows

ASK = ("Tell Amazon to stop selling facial recognition and surveillance to police and ICE, "
       "for good.")
COUNTDOWN = "9 days and 3 hours left until Moratorium anniversary (Thu 10 Jun 2027, 12:00 EDT)."
BUTTONS = ["Sign the petition", "RSVP for the Week of Action", "Get one action a day", "Donate"]


def seed_signatures(config, count: int) -> None:
    """`count` signatures by others, in one executemany."""
    with closing(sqlite3.connect(config.storage.path)) as db:
        db.executemany(
            "INSERT INTO signatures (platform, user_id, name, wants_updates, consent_text,"
            " consent_version, signed_at) VALUES ('telegram', ?, 'X', 0, 'c', 'v', ?)",
            [(str(5000 + i), "2027-05-20T12:00:00+00:00") for i in range(count)])
        db.commit()


def donate_url(chat) -> str:
    (donate,) = [b for b in chat.buttons if b.label == "Donate"]
    return donate.url


async def test_a_new_supporter_gets_the_ask_the_count_the_countdown_and_four_buttons(
        chat, config):
    seed_signatures(config, 1204)
    text = await chat.send("/start")

    assert text == f"#EyesOnAmazon\n{ASK}\n\n1,204 people have signed.\n{COUNTDOWN}"
    assert shown(chat) == BUTTONS
    assert donate_url(chat) == "https://mediajustice.org/donate/"
    assert "/rsvp" not in text  # not the command list: that is /help's


async def test_the_welcome_buttons_lead_to_the_form_the_events_and_the_subscription(chat, bot):
    await chat.send("/start")
    assert "(1 of 4) What name should we put on the petition?" in await chat.press(
        "Sign the petition")
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"

    await chat.send("/start")  # a typed command sets the form aside, as /sign would
    listing = await chat.press("RSVP for the Week of Action")
    assert listing.startswith("Week of Action") and "All of them" in chat.labels

    await chat.send("/start")
    assert (await chat.press("Get one action a day")).startswith(
        "You're subscribed. Every day at 09:00")
    assert (await bot.store.subscription_of("telegram", "1001")).active


async def test_one_signature_is_singular(chat, make_chat):
    await sign_up(make_chat(user_id="2002", name="Grace"))
    assert "\n1 person has signed.\n" in await chat.send("/start")


async def test_a_signed_supporter_sees_their_state_and_the_invite_button(chat):
    await sign_up(chat)
    text = await chat.send("/start")

    assert "You signed on 1 June, thank you." in text
    assert "have signed" in text or "has signed" in text
    assert shown(chat) == ["Invite others", *BUTTONS[1:]]
    assert "Your invite code:" in await chat.press("Invite others")


async def test_after_the_deadline_the_closing_message_and_no_sign_button(chat, clock, config):
    clock.current = datetime(2027, 6, 12, 12, 0, tzinfo=UTC)
    text = await chat.send("/start")

    assert config.prompts.closing_message.get("en") in text
    assert "left until" not in text
    assert "Sign the petition" not in shown(chat) and "Get one action a day" not in shown(chat)
    assert shown(chat) == ["Donate"]  # every event is over too


async def test_the_welcome_in_spanish(make_chat):
    chat = make_chat(locale="es-419")
    await sign_up(make_chat(user_id="2002", name="Grace"))
    await sign_up(make_chat(user_id="2003", name="Alan"))
    text = await chat.send("/start")

    assert "Exígele a Amazon que deje de vender" in text
    assert "2 personas han firmado." in text
    assert "9 días y 3 horas" in text
    assert shown(chat) == ["Firma la petición", "Confirma tu asistencia a la Semana de Acción",
                           "Recibe una acción al día", "Dona"]
    await sign_up(make_chat())  # the same person (1001), through an English chat
    assert "Firmaste el 1 de junio, ¡gracias!\n3 personas han firmado." in await chat.send(
        "/start")
    assert "Invita a otras personas" in shown(chat)


async def test_help_still_lists_every_command(chat, bot):
    text = await chat.send("/help")
    for name, command in bot.commands.items():
        assert (f"/{name} — " in text) != command.moderator, name


# A platform with no start message (Discord) ------------------------------------------------------

async def test_the_first_direct_command_there_gets_the_welcome_once(make_chat, bot, config,
                                                                  clock):
    assert DISCORD.no_start_message
    dm = make_chat(platform="discord", user_id="3003")
    await dm.send("/countdown")
    welcome, countdown = dm.replies
    assert welcome.plain_text().startswith(f"#EyesOnAmazon\n{ASK}") and welcome.private
    assert countdown.plain_text().startswith(COUNTDOWN.removesuffix("."))
    assert "Sign the petition" in shown(dm)
    assert rows(config, "SELECT platform, user_id, welcomed_at FROM user_settings") == [
        ("discord", "3003", "2027-06-01T13:00:00+00:00")]

    assert ASK not in await dm.send("/countdown")
    assert len(dm.replies) == 1
    async with app.open_bot(config, clock) as restarted:  # remembered, not in memory
        dm.bot = restarted
        assert ASK not in await dm.send("/today")


async def test_none_for_a_command_typed_in_a_server_or_a_moderator_command(make_chat, bot):
    dm = make_chat(platform="discord", user_id="3007")
    in_server = replace(Incoming("command", dm.user, dm.chat, name="countdown"), in_group=True)
    (answer,) = await bot.handle(in_server, ephemeral=True)
    assert ASK not in answer.plain_text()
    mod = make_chat(platform="discord", user_id="4242")
    assert (await mod.send("/stats")).startswith("Campaign stats")
    assert ASK in await dm.send("/countdown")  # their first in a direct chat


async def test_no_second_welcome_after_start_and_none_on_telegram(make_chat):
    dm = make_chat(platform="discord", user_id="3004")
    assert (await dm.send("/start")).startswith("#EyesOnAmazon")
    assert len(dm.replies) == 1  # /start is the welcome: not twice
    assert ASK not in await dm.send("/countdown")
    assert ASK not in await make_chat(user_id="3005").send("/countdown")  # Telegram has /start


async def test_forget_erases_the_welcomed_mark_and_mydata_shows_it(make_chat, config):
    dm = make_chat(platform="discord", user_id="3006")
    await dm.send("/countdown")
    assert "You first used the bot here on Tue 1 Jun 2027" in await dm.send("/mydata")
    await dm.send("/forget")
    await dm.press("Yes, erase everything")
    assert rows(config, "SELECT * FROM user_settings") == []


# The console -------------------------------------------------------------------------------------

async def test_the_console_opens_with_the_welcome_and_numbered_choices(config):
    out = io.StringIO()
    await app.console(config, io.StringIO("4\n2\n"), out)
    shown_text = out.getvalue()
    assert shown_text.startswith(f"#EyesOnAmazon\n{ASK}")
    assert "[1] Sign the petition" in shown_text
    assert "[2] RSVP for the Week of Action" in shown_text
    assert "[4] Donate: https://mediajustice.org/donate/" in shown_text
    assert "\n\nhttps://mediajustice.org/donate/\n" in shown_text  # 4 pressed: the link
    assert "Week of Action\n\nKick-off call" in shown_text  # then 2: the event list


async def test_in_a_group_without_private_answers_the_buttons_link_to_the_private_chat(
        make_chat, bot):
    # A Telegram group answers a press only there: the welcome's buttons open the private chat,
    # where the form, the person's own list and their subscription can start.
    bot.deep_links["telegram"] = "https://t.me/CampaignTestBot?start={}".format
    group = make_chat(user_id="42", chat_id="-1001234")
    await group.send("/start")
    links = {b.label: b.url for b in group.buttons}
    assert list(links) == BUTTONS
    assert [links[label] for label in BUTTONS[:3]] == [
        f"https://t.me/CampaignTestBot?start={name}" for name in ("sign", "rsvp", "subscribe")]
    # Where a press can be answered privately in a group (a Discord server), actions stay.
    server = make_chat(user_id="43", chat_id="5555", platform="discord")
    await server.send("/start")
    assert [b.url for b in server.buttons][:3] == [None, None, None]


async def test_the_signing_day_is_the_persons_own(make_chat, clock):
    # Signed at 02:00 UTC on 1 June: still 31 May in New York (the campaign's zone), already
    # 1 June in Berlin, where this person lives: the welcome says what /progress says.
    clock.now = lambda: datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
    chat = make_chat()
    await chat.send("/settings timezone Europe/Berlin")
    await sign_up(chat)
    assert "You signed on 1 June, thank you." in await chat.send("/start")

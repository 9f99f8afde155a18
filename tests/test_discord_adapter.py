"""Tier 3: the real discord.py client, through the adapter, against the fake Discord.

A few tests per interaction kind (slash command, button, modal); tiers 1 and 2 carry the
behaviour. Every test is bounded in time; none asserts speed beyond the fake's own rule that
an interaction is acknowledged within 3 seconds."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import MODERATOR_DISCORD_ID, MODERATOR_ROLE_ID
from tests.fakes.discord_api import (  # fake: the shared fixture
    EPHEMERAL,
    answer,
    bounded,
    button_id,
    buttons,
    running,
    text,
    with_fake,
)
from tests.support.database import rows

STALE = "no longer available"
MANAGE_GUILD = 1 << 5


@pytest.fixture
async def adapter(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as started:
        yield started


# /sign: the petition, a modal, the consent buttons ------------------------------------------

@bounded(30)
async def test_sign_opens_a_modal_then_asks_consent_and_stores_the_signature(
        adapter, fake, dconfig):
    intro = await answer(fake, await fake.command("sign", user_name="Ada Lovelace"))
    assert "Amazon: stop selling surveillance" in intro[0]["content"]
    assert all(m["flags"] & EPHEMERAL for m in intro)  # /sign is personal
    message, open_id = button_id(intro, "Fill in the petition signature")

    opened = await fake.press(message, open_id, user_name="Ada Lovelace")
    await fake.until(lambda: opened.modal is not None)
    assert opened.ack_type == 9
    modal = opened.modal
    assert modal["title"] == "Petition signature"
    inputs = [row["components"][0] for row in modal["components"]]
    assert [i["custom_id"] for i in inputs] == ["name", "email", "postcode"]
    assert inputs[0]["value"] == "Ada Lovelace" and inputs[0]["required"] is True
    assert inputs[1]["required"] is False

    submitted = await fake.submit(modal["custom_id"], {
        "name": "Ada Lovelace", "email": "ada@example.org", "postcode": ""})
    consent = await answer(fake, submitted)
    assert "How would you like to sign?" in text(consent)
    assert consent[-1]["flags"] & EPHEMERAL
    message, updates_id = button_id(consent, "Sign and keep me updated")
    assert rows(dconfig, "SELECT COUNT(*) FROM signatures") == [(0,)]

    pressed = await fake.press(message, updates_id)
    await fake.until(lambda: "signature #1" in fake.messages[message["id"]]["content"])
    assert pressed.ack_type == 7  # the ephemeral question is replaced by the thanks
    assert "Thank you, Ada Lovelace! You are signature #1" in fake.messages[message["id"]][
        "content"]
    assert fake.messages[message["id"]]["components"] == []
    assert rows(dconfig, "SELECT platform, user_id, name, email, wants_updates FROM signatures"
                ) == [("discord", "1001", "Ada Lovelace", "ada@example.org", 1)]


@bounded(30)
async def test_modal_problems_are_listed_privately_and_the_modal_reopens_refilled(
        adapter, fake, dconfig):
    submitted = await fake.submit("$form:sign", {
        "name": "Ada", "email": "not an email", "postcode": "12"})
    problems = await answer(fake, submitted)
    assert "Email: That doesn't look like an email address" in text(problems)
    assert "Postcode: That doesn't look like a valid postcode." in text(problems)
    assert problems[0]["flags"] & EPHEMERAL
    message, again = button_id(problems, "Try again")

    reopened = await fake.press(message, again)
    await fake.until(lambda: reopened.modal is not None)
    values = {row["components"][0]["custom_id"]: row["components"][0].get("value")
              for row in reopened.modal["components"]}
    assert values == {"name": "Ada", "email": "not an email", "postcode": "12"}
    assert rows(dconfig, "SELECT COUNT(*) FROM signatures") == [(0,)]
    assert rows(dconfig, "SELECT COUNT(*) FROM form_sessions") == [(0,)]


@bounded(30)
async def test_settings_key_alone_opens_its_modal_at_once(adapter, fake, dconfig):
    asked = await fake.command("settings", options={"key": "timezone"})
    await fake.until(lambda: asked.modal is not None)
    assert asked.ack_type == 9
    saved = await answer(fake, await fake.submit(asked.modal["custom_id"], {
        "timezone": "Europe/London"}))
    assert "Your timezone is now Europe/London." in text(saved)
    assert rows(dconfig, "SELECT timezone FROM user_settings") == [("Europe/London",)]


# Buttons: persistent, and never trusted -----------------------------------------------------

@bounded(40)
async def test_rsvp_buttons_answer_before_and_after_a_restart(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as first:
        listing = await answer(fake, await fake.command("rsvp"))
        assert listing[0]["flags"] == 64  # it says which events you are going to: ephemeral
        assert "<t:" in listing[0]["content"]
        message, day1 = button_id(listing, "Going: Kick-off")
        _, day2 = button_id(listing, "Going: Teach-in")
        mine = await answer(fake, await fake.press(message, day1, user_id="2002"))
        assert "You're going to Kick-off call" in text(mine)
        assert mine[0]["flags"] & EPHEMERAL  # the presser's own answer
        assert first.synced is True
    async with running(dconfig, clock, fake) as second:  # new client, same database
        assert second.synced is False  # nothing changed: no second sync
        again = await answer(fake, await fake.press(message, day2, user_id="2002"))
        assert "You're going to Teach-in" in text(again)
    assert sorted(rows(dconfig, "SELECT user_id, event_id FROM rsvps")) == [
        ("2002", "day1"), ("2002", "day2")]
    assert len(fake.calls_to("PUT", r"/applications/\d+/guilds/\d+/commands")) == 1


@pytest.mark.parametrize("custom_id", [
    "rsvp:no-such-event", "rsvp", "form:sign:9:0", "forget:maybe", "nonsense",
    "rsvp:" + "x" * 90,  # over the core's 64 bytes (Discord allows 100)
])
@bounded(30)
async def test_a_tampered_or_stale_button_changes_nothing(adapter, fake, dconfig, custom_id):
    stale = fake.stale_message(custom_id)
    answered = await answer(fake, await fake.press(stale, custom_id))
    assert STALE in text(answered)
    assert all(m["flags"] & EPHEMERAL for m in answered)
    for table in ("signatures", "rsvps", "subscriptions", "form_sessions"):
        assert rows(dconfig, f"SELECT COUNT(*) FROM {table}") == [(0,)]


@bounded(30)
async def test_an_ephemeral_list_updates_in_place(adapter, fake, dconfig):
    stale = fake.stale_message("rsvp:day3", flags=EPHEMERAL)
    pressed = await fake.press(stale, "rsvp:day3", user_id="3003")
    await fake.until(lambda: "Call-in day" in fake.messages[stale["id"]]["content"]
                     and pressed.acked_at is not None)
    assert pressed.ack_type == 7
    assert ("Cancel: Call-in day" in [label[:19] for label, _ in buttons(
        fake.messages[stale["id"]])])
    assert rows(dconfig, "SELECT user_id, event_id FROM rsvps") == [("3003", "day3")]


# Visibility and mentions --------------------------------------------------------------------

@bounded(30)
async def test_personal_replies_are_ephemeral_in_a_server_and_plain_in_dms(
        dconfig, clock, fake):
    config = with_fake(dconfig, fake, guilds=False)  # global commands reach the bot's DMs
    async with running(config, clock, fake):
        mydata = await answer(fake, await fake.command("mydata"))
        assert mydata[0]["flags"] & EPHEMERAL
        countdown = await answer(fake, await fake.command("countdown"))
        assert countdown[0]["flags"] == 0
        in_dm = await answer(fake, await fake.command("mydata", guild=False))
        assert in_dm[0]["flags"] == 0 and "guild_id" not in in_dm[0]


@bounded(30)
async def test_a_name_like_everyone_pings_nobody(adapter, fake):
    name = "@everyone <@&123>"
    submitted = await fake.submit("$form:sign", {"name": name, "email": "", "postcode": ""})
    consent = await answer(fake, submitted)
    message, sign = button_id(consent, "Sign")
    await fake.press(message, sign)
    await fake.until(lambda: "Thank you" in fake.messages[message["id"]]["content"])
    thanks = fake.messages[message["id"]]["content"]
    assert "Thank you, @\u200beveryone \\<@&123>!" in thanks
    sent = [c.body for c in fake.calls if isinstance(c.body, dict)]
    bodies = [b.get("data", b) for b in sent if "content" in b.get("data", b)]
    assert bodies and all(b["allowed_mentions"] == {"parse": []} for b in bodies)


@bounded(30)
async def test_countdown_uses_discord_timestamps(adapter, fake):
    shown = text(await answer(fake, await fake.command("countdown")))
    deadline = 1812643200  # 2027-06-10T12:00:00-04:00
    assert f"<t:{deadline}:R>" in shown and f"<t:{deadline}:F>" in shown


# Moderators: the permission hint is not a check ---------------------------------------------

@bounded(30)
async def test_moderator_commands_are_rechecked_on_every_call(adapter, fake):
    stats = next(c for c in fake.commands[fake.guild_id] if c["name"] == "stats")
    assert int(stats["default_member_permissions"]) == MANAGE_GUILD
    # The server's admins let everyone use /stats (Server Settings > Integrations): Discord
    # delivers the command, and the core still refuses.
    refused = await answer(fake, await fake.command("stats", permissions=MANAGE_GUILD))
    assert "only for campaign moderators" in text(refused)
    assert refused[0]["flags"] & EPHEMERAL
    by_role = await answer(fake, await fake.command("stats", user_id="5005",
                                                    roles=("888", MODERATOR_ROLE_ID)))
    assert "Campaign stats" in text(by_role)
    by_id = await answer(fake, await fake.command("stats", user_id=MODERATOR_DISCORD_ID))
    assert "Campaign stats" in text(by_id) and by_id[0]["flags"] & EPHEMERAL


# Channels -----------------------------------------------------------------------------------

@bounded(30)
async def test_subscribe_without_a_channel_is_your_own_dm_prompt(adapter, fake, dconfig):
    done = await answer(fake, await fake.command("subscribe"))
    assert "You're subscribed" in text(done) and done[0]["flags"] & EPHEMERAL
    assert rows(dconfig, "SELECT user_id, chat_id, active FROM subscriptions") == [
        ("1001", "1001", 1)]


@bounded(30)
async def test_only_manage_server_subscribes_a_channel(adapter, fake, dconfig):
    channel = {"channel": fake.other_channel_id}
    refused = await answer(fake, await fake.command("subscribe", options=channel))
    assert "Only the people who manage this chat" in text(refused)
    assert rows(dconfig, "SELECT COUNT(*) FROM chat_subscriptions") == [(0,)]
    done = await answer(fake, await fake.command("subscribe", options=channel,
                                                 permissions=MANAGE_GUILD))
    assert "This chat will get the countdown" in text(done)
    assert rows(dconfig, "SELECT chat_id, active FROM chat_subscriptions") == [
        (fake.other_channel_id, 1)]
    gone = await answer(fake, await fake.command("unsubscribe", options=channel,
                                                 permissions=MANAGE_GUILD))
    assert "no more daily posts" in text(gone)


# The 3-second rule ----------------------------------------------------------------------------

def hold_writes(adapter, monkeypatch) -> asyncio.Event:
    """A slow database: RSVP writes wait until the returned event is set, so a test releases
    the write only once it has seen the adapter acknowledge the press without it."""
    store, release = adapter.bot.store, asyncio.Event()
    real = store.set_rsvps

    async def slow(*args, **kwargs):
        await release.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "set_rsvps", slow)
    return release


@bounded(30)
async def test_a_slow_database_defers_then_follows_up_and_keeps_the_write(
        adapter, fake, dconfig, monkeypatch):
    release = hold_writes(adapter, monkeypatch)
    stale = fake.stale_message("rsvp:day2")
    pressed = await fake.press(stale, "rsvp:day2", user_id="6006")
    await fake.until(lambda: pressed.acked_at is not None)  # while the write is still held
    assert pressed.ack_type == 5 and pressed.ack["data"]["flags"] == EPHEMERAL
    assert pressed.refused == []  # acknowledged within Discord's 3 seconds
    release.set()
    result = await answer(fake, pressed)
    assert "You're going to Teach-in" in text(result) and result[0]["flags"] & EPHEMERAL
    assert rows(dconfig, "SELECT user_id, event_id FROM rsvps") == [("6006", "day2")]


@bounded(30)
async def test_a_slow_press_on_an_ephemeral_message_defers_then_updates_it(
        adapter, fake, dconfig, monkeypatch):
    release = hold_writes(adapter, monkeypatch)
    adapter.ack_budget = 0.2  # the test above holds the real budget to Discord's deadline
    stale = fake.stale_message("rsvp:day5", flags=EPHEMERAL)
    pressed = await fake.press(stale, "rsvp:day5", user_id="6006")
    await fake.until(lambda: pressed.acked_at is not None)  # while the write is still held
    assert pressed.ack_type == 6 and pressed.refused == []
    release.set()
    await fake.until(lambda: "Closing call" in fake.messages[stale["id"]]["content"])
    assert rows(dconfig, "SELECT user_id, event_id FROM rsvps") == [("6006", "day5")]


@bounded(30)
async def test_a_reply_that_fails_never_loses_the_write(adapter, fake, dconfig):
    fake.ack_deadline = 0  # every acknowledgement arrives "too late": 10062
    stale = fake.stale_message("rsvp:day4")
    pressed = await fake.press(stale, "rsvp:day4", user_id="7007")
    await fake.until(lambda: pressed.refused)  # the reply came after the work was done
    assert rows(dconfig, "SELECT user_id, event_id FROM rsvps") == [("7007", "day4")]
    assert pressed.refused == [10062] and pressed.acked_at is None
    fake.refusals.clear()


# Announcements: composed in a modal, checked against Discord's 2000 ---------------------------

@bounded(30)
async def test_announce_is_composed_in_a_modal_and_previewed_privately(adapter, fake):
    moderator = {"user_id": MODERATOR_DISCORD_ID, "user_name": "Mo"}
    asked = await fake.command("announce", **moderator)
    await fake.until(lambda: asked.modal is not None)
    box = asked.modal["components"][0]["components"][0]
    assert box["style"] == 2 and box["max_length"] == 4000  # a paragraph box, Discord's limit

    too_long = await answer(fake, await fake.submit(asked.modal["custom_id"],
                                                    {"text": "x" * 2001}, **moderator))
    assert "Discord: 2,001 characters, over the limit of 2,000" in text(too_long)

    drafted = await fake.submit(asked.modal["custom_id"], {"text": "Rally at **noon**"},
                                **moderator)
    shown = await answer(fake, drafted, 3)
    assert "Preview" in shown[0]["content"]
    assert shown[1]["content"] == "Rally at \\*\\*noon\\*\\*"
    assert "Discord: 21 of 2,000 characters" in shown[2]["content"]
    assert all(m["flags"] & EPHEMERAL for m in shown)
    assert "Cancel" in [label for label, _ in buttons(shown[2])]


@bounded(30)
async def test_a_command_discord_still_lists_but_we_dropped_is_answered(adapter, fake):
    fake.commands[fake.guild_id].append({"id": "99", "name": "petition", "description": "Old",
                                         "options": [], "contexts": [0, 1]})
    answered = await answer(fake, await fake.command("petition"))
    assert "I don't know /petition" in text(answered)

"""Tier 3: files and in-place edits through the real discord.py client against the fake
Discord: uploads as message files (ephemeral where the answer is private in a server), a file
over Discord's 10 MiB left out and named, and an RSVP press that updates the list it sits on."""

from __future__ import annotations

import io

import discord
import pytest

from bot import app
from bot.core import Attachment
from tests.fakes.discord_api import (
    EPHEMERAL,
    MAX_UPLOAD,
    answer,
    bounded,
    button_id,
    running,
    with_fake,
)
from tests.support import attachments
from tests.support.attachments import ICS, PNG


@pytest.fixture
def dconfig(config, fake):
    return with_fake(config, fake, guilds=False)  # global commands: offered in DMs too


@pytest.fixture
async def adapter(dconfig, clock, fake, monkeypatch):
    monkeypatch.setattr(app, "ROUTERS", (*app.ROUTERS, attachments.router))
    async with running(dconfig, clock, fake) as started:
        yield started


@bounded(20)
async def test_a_private_answer_uploads_its_file_ephemeral_in_a_server(adapter, fake):
    (message,) = await answer(fake, await fake.command("icsfile"))
    assert message["flags"] & EPHEMERAL and "guild_id" in message
    assert message["content"] == "Your <events> & more"
    assert [(a["filename"], a["size"]) for a in message["attachments"]] == [
        ("week-of-action.ics", len(ICS))]
    assert message["_files"][0]["data"] == ICS


@bounded(20)
async def test_a_public_answer_carries_its_image_with_the_buttons(adapter, fake):
    (message,) = await answer(fake, await fake.command("chartfile"))
    assert not message["flags"] & EPHEMERAL
    assert [f["data"] for f in message["_files"]] == [PNG]
    assert message["components"]  # the buttons under the image


@bounded(20)
async def test_a_file_over_the_limit_is_left_out_and_named(adapter, fake):
    attachments.big[:] = [Attachment("huge.csv", "text/csv", b"x" * (MAX_UPLOAD + 1))]
    try:
        (message,) = await answer(fake, await fake.command("bigfile"))
    finally:
        attachments.big.clear()
    assert message["attachments"] == []
    assert message["content"] == "Here it is\n\nToo large to send here: huge.csv."


@bounded(20)
async def test_the_fake_refuses_more_than_discord_takes(adapter, fake):
    channel = adapter.client.get_channel(int(fake.channel_id))
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("big", file=discord.File(io.BytesIO(b"x" * (MAX_UPLOAD + 1)), "a"))
    assert (refused.value.status, refused.value.code) == (413, 40005)
    assert fake.refusals[-1][2:] == (413, 40005)
    fake.refusals.clear()


@bounded(20)
async def test_an_rsvp_press_in_dms_updates_the_list_in_place(adapter, fake):
    # A first DM command is answered with the welcome first (no start message on Discord).
    welcome, listing = await answer(fake, await fake.command("rsvp", guild=False), count=2)
    assert "Sign the petition" in str(welcome)
    message, going = button_id([listing], "Going: Kick-off")
    pressed = await fake.press(message, going)
    await fake.until(lambda: pressed.acked_at is not None)
    assert pressed.ack_type == 7  # UPDATE_MESSAGE: no new message
    assert fake.messages_of(pressed) == [fake.messages[listing["id"]]]
    assert listing["content"].startswith("You're going to Kick-off call")
    assert button_id([listing], "Cancel: Kick-off")

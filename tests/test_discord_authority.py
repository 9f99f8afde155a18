"""Authority on Discord, tier 3 (issue 8, items 1 and 3): the real discord.py client through the
adapter against the fake Discord. A modal submit and a modal-opening button are refused to a
non-moderator; a moderator who qualifies only by a role is recognised in their DMs, which carry
no roles, from what the server showed or by looking the member up."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from bot.announcement_runner import AnnouncementRunner
from bot.core import Button, Reply
from tests.conftest import MODERATOR_ROLE_ID
from tests.fakes.discord_api import (
    EPHEMERAL,
    FakeDiscord,
    answer,
    bounded,
    button_id,
    running,
    text,
)

REFUSED = "Sorry, /announce is only for campaign moderators."
STALE = "no longer available"
ROLE_MODERATOR = "5005"  # a moderator by role only: not in discord_user_ids


@pytest.fixture
async def adapter(dconfig, clock, fake):
    async with running(dconfig, clock, fake) as started:
        yield started


def announcements(config) -> list[tuple]:
    with closing(sqlite3.connect(config.storage.path)) as db:
        return db.execute("SELECT id, author_id, status FROM announcements").fetchall()


# 1. Moderator forms on Discord ----------------------------------------------------------------

@bounded(30)
async def test_an_announce_modal_submitted_by_a_non_moderator_is_refused(adapter, fake, dconfig):
    # Anyone can send a modal submit naming "$form:announce" (a modal opened while they were a
    # moderator, or a forged one): it is refused like the command, with nothing to refill.
    submitted = await fake.submit("$form:announce", {"text": "Rally at noon"}, user_id="1001")
    refused = await answer(fake, submitted)

    assert text(refused) == REFUSED
    assert refused[0]["flags"] & EPHEMERAL
    assert all(m["components"] == [] for m in refused)  # no preview, no audience, no retry
    assert announcements(dconfig) == []


@bounded(30)
async def test_a_role_taken_away_between_opening_and_submitting_refuses_the_submit(
        adapter, fake, dconfig):
    moderator = {"user_id": ROLE_MODERATOR, "user_name": "Mo"}
    asked = await fake.command("announce", roles=(MODERATOR_ROLE_ID,), **moderator)
    await fake.until(lambda: asked.modal is not None)

    # Between opening the modal and submitting it, the server took the role away.
    submitted = await fake.submit(asked.modal["custom_id"], {"text": "Rally at noon"},
                                  **moderator)
    assert text(await answer(fake, submitted)) == REFUSED
    assert announcements(dconfig) == []


@bounded(30)
async def test_a_modal_button_for_a_moderator_form_opens_nothing_for_a_supporter(
        adapter, fake, dconfig):
    stale = fake.stale_message("$modal:announce")
    pressed = await fake.press(stale, "$modal:announce", user_id="1001")
    refused = await answer(fake, pressed)

    assert pressed.modal is None and pressed.ack_type == 4
    assert text(refused) == REFUSED and refused[0]["flags"] & EPHEMERAL
    # A moderator's press of the same button opens the modal.
    opened = await fake.press(stale, "$modal:announce", user_id=ROLE_MODERATOR,
                              roles=(MODERATOR_ROLE_ID,))
    await fake.until(lambda: opened.modal is not None)
    assert opened.ack_type == 9


# 3. A role moderator in their DMs -------------------------------------------------------------

@bounded(40)
async def test_a_role_moderator_cancels_from_the_progress_message_in_their_dms(
        adapter, fake, dconfig):
    bot = adapter.bot
    bot.senders["discord"] = adapter
    await answer(fake, await fake.command("subscribe", user_id="1001"))  # one recipient
    moderator = {"user_id": ROLE_MODERATOR, "user_name": "Mo", "roles": (MODERATOR_ROLE_ID,)}
    asked = await fake.command("announce", **moderator)
    await fake.until(lambda: asked.modal is not None)
    preview = await answer(fake, await fake.submit(asked.modal["custom_id"],
                                                   {"text": "Rally at noon"}, **moderator), 3)
    for label in ("Everyone", "Send now", "Confirm"):
        message, custom_id = button_id(list(fake.messages.values()), label)
        pressed = await fake.press(message, custom_id, **moderator)
        await fake.until(lambda: pressed.acked_at is not None
                         and label not in str(fake.messages[message["id"]]["components"]))
    assert "Preview" in preview[0]["content"]

    await AnnouncementRunner(bot).step()  # recipients queued; progress sent to the author's DMs
    dm = fake.dm_channels[ROLE_MODERATOR]
    progress = [m for m in fake.messages.values() if m["channel_id"] == dm]
    message, cancel_id = button_id(progress, "Cancel")
    assert "guild_id" not in message  # in DMs: the press will carry no roles

    pressed = await fake.press(message, cancel_id, user_id=ROLE_MODERATOR, user_name="Mo")
    assert "will not be sent" in text(await answer(fake, pressed))
    assert announcements(dconfig) == [(1, ROLE_MODERATOR, "cancelled")]
    # Recognised from the roles the server showed minutes ago: no lookup needed.
    assert fake.calls_to("GET", r"/guilds/\d+/members/\d+") == []


async def queued_with_cancel_in_dms(adapter, fake: FakeDiscord,
                                    author: str) -> tuple[int, dict, str]:
    """An announcement by `author`, queued, and a message with its Cancel button in their DMs
    (as the runner's progress message would be)."""
    store, now = adapter.bot.store, adapter.bot.clock.now()
    announcement_id = await store.create_announcement("discord", author, "Mo", author,
                                                      "Rally at noon", now)
    await store.update_announcement(announcement_id, expect=("draft",), audience="everyone")
    await store.update_announcement(announcement_id, expect=("draft",), status="queued")
    reply = Reply.of("Announcement queued", buttons=[[
        Button("Cancel", "ann", (str(announcement_id), "cancel"))]])
    assert (await adapter.deliver(author, reply)).ok
    in_dms = [m for m in fake.messages.values() if m["channel_id"] == fake.dm_channels[author]]
    return announcement_id, *button_id(in_dms, "Cancel")


@bounded(40)
async def test_a_role_moderator_never_seen_in_the_server_is_looked_up(adapter, fake, dconfig):
    fake.members[ROLE_MODERATOR] = (MODERATOR_ROLE_ID,)  # holds the role; no interaction yet
    _, message, cancel_id = await queued_with_cancel_in_dms(adapter, fake, ROLE_MODERATOR)

    pressed = await fake.press(message, cancel_id, user_id=ROLE_MODERATOR)
    assert "will not be sent" in text(await answer(fake, pressed))
    assert announcements(dconfig) == [(1, ROLE_MODERATOR, "cancelled")]
    assert len(fake.calls_to("GET", rf"/guilds/{fake.guild_id}/members/{ROLE_MODERATOR}")) == 1


@bounded(40)
async def test_in_dms_someone_without_the_role_or_not_in_the_server_is_refused(
        adapter, fake, dconfig):
    fake.members["6006"] = ("888",)  # a member, without the moderator role
    _, message, cancel_id = await queued_with_cancel_in_dms(adapter, fake, "6006")
    pressed = await fake.press(message, cancel_id, user_id="6006")
    assert STALE in text(await answer(fake, pressed))

    # 7007 is not in the server at all.
    _, message, cancel_id = await queued_with_cancel_in_dms(adapter, fake, "7007")
    pressed = await fake.press(message, cancel_id, user_id="7007")
    assert STALE in text(await answer(fake, pressed))
    again = await fake.press(message, cancel_id, user_id="7007")
    assert STALE in text(await answer(fake, again))

    assert [status for _, _, status in announcements(dconfig)] == ["queued", "queued"]
    # One lookup each: the answer is remembered, so repeated presses cost Discord nothing.
    assert len(fake.calls_to("GET", r"/guilds/\d+/members/7007")) == 1
    assert [r[2:] for r in fake.refusals] == [(404, 10007)]  # Unknown Member, as provoked
    fake.refusals.clear()


@bounded(40)
async def test_a_role_taken_away_in_the_server_stops_counting_in_dms(adapter, fake, dconfig):
    adapter.roles.fresh = 0.0  # what the server showed is out of date at once
    await answer(fake, await fake.command("stats", user_id=ROLE_MODERATOR,
                                          roles=(MODERATOR_ROLE_ID,)))
    fake.members[ROLE_MODERATOR] = ()  # the server took the role away since
    _, message, cancel_id = await queued_with_cancel_in_dms(adapter, fake, ROLE_MODERATOR)

    pressed = await fake.press(message, cancel_id, user_id=ROLE_MODERATOR)
    assert STALE in text(await answer(fake, pressed))
    assert announcements(dconfig) == [(1, ROLE_MODERATOR, "queued")]


# Per-person limits reach modal submits too (issue 8, item 15) ----------------------------------

@bounded(30)
async def test_a_flood_of_modal_submits_is_slowed(adapter, fake, dconfig):
    # A modal submit goes to the core without Dispatcher.handle: the adapter asks the limit itself.
    from bot.flood import SLOW_DOWN, FloodGuard

    adapter.bot.flood = FloodGuard(per_minute=2)
    for _ in range(2):
        await answer(fake, await fake.submit("$form:sign", {"name": "Ada", "email": "",
                                                            "postcode": ""}, user_id="1001"))
    slowed = await answer(fake, await fake.submit(
        "$form:sign", {"name": "Ada", "email": "", "postcode": ""}, user_id="1001"))
    assert text(slowed) == SLOW_DOWN
    assert slowed[0]["flags"] & EPHEMERAL

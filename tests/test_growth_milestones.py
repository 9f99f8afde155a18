"""Petition milestones (issue 12): the first signature to reach one is told so, and everyone who
hears from the campaign daily (subscribers, subscribed groups and channels) gets one
celebration through the outbox, once ever: not again after a drop and a rise, a restart, or
under concurrent signatures. The goal has its own message; /stats lists what was reached.

The milestones are set low ([3, 5], goal 7) to keep the tests cheap."""

from __future__ import annotations

import asyncio
import copy
import tomllib
from pathlib import Path

import pytest

from bot.app import open_bot
from bot.config import ConfigError, parse
from bot.handlers.messages import milestone_specs
from bot.outbox import OutboxWorker
from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.conversations import sign_up
from tests.support.database import rows
from tests.support.memory import MemoryChat
from tests.support.outbox import FAST, outbox, running
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
CROSSED_3 = "You're signature #3: a milestone!"
CELEBRATION_3 = ("The petition has just reached 3 signatures! Thank you to everyone who signed. "
                 "Not signed yet? Send /sign.")
GOAL_7 = ("We did it: the petition has reached its goal of 7 signatures! Thank you to everyone "
          "who signed.")


@pytest.fixture
def config(config):
    petition = config.petition.model_copy(update={"milestones": (3, 5), "goal": 7})
    return config.model_copy(update={"petition": petition})


def celebrations(config) -> list[tuple]:
    """(count in the message key, platform, chat_id, user_id) of every celebration row."""
    return rows(config, "SELECT m.key, o.platform, o.chat_id, o.user_id FROM outbox o JOIN"
                " messages m ON m.id = o.message_id WHERE m.kind = 'milestone' ORDER BY o.id")


async def signers(make_chat, count: int, first: int = 9000) -> list[str]:
    """`count` signers in turn; their thank-yous."""
    return [await sign_up(make_chat(user_id=str(first + i), name=f"Signer {i}"),
                          name=f"Signer {i}") for i in range(count)]


async def audience(make_chat, bot, clock) -> None:
    """5001 subscribed; 5002 subscribed then stopped; 5003 subscribed, then the bot could no
    longer reach them; group -100555 subscribed; group -100666 subscribed, then stopped."""
    for user in ("5001", "5002", "5003"):
        await make_chat(user_id=user).send("/subscribe")
    await make_chat(user_id="5002").send("/unsubscribe")
    await bot.store.deactivate_recipient("telegram", "5003", "blocked", clock.now())
    for group in ("-100555", "-100666"):
        await make_chat(user_id="2002", chat_id=group, can_manage_chat=True).send("/subscribe")
    await make_chat(user_id="2002", chat_id="-100666", can_manage_chat=True).send("/unsubscribe")


async def test_crossing_a_milestone_celebrates_once_to_subscribers_and_subscribed_chats(
        make_chat, bot, clock, config):
    await audience(make_chat, bot, clock)
    first, second, third = await signers(make_chat, 3)

    assert "milestone" not in first + second
    assert third.startswith("Thank you, Signer 2! You are signature #3. The petition now has 3"
                            f" signatures.\n{CROSSED_3}\nNext: ")
    assert celebrations(config) == [("milestone:3", "telegram", "5001", "5001"),
                                    ("milestone:3", "telegram", "-100555", None)]
    assert {r["priority"] for r in outbox(config.storage.path)} == {1}  # like the prompts
    sender = FakeSender("telegram")
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: len(sender.sent) == 2)
    assert sorted(sender.sent) == [("-100555", CELEBRATION_3), ("5001", CELEBRATION_3)]
    assert rows(config, "SELECT count, reached_at FROM milestones") == [
        (3, "2027-06-01T13:00:00+00:00")]


async def test_the_thanks_without_a_milestone_stays_as_it_was(make_chat):
    [thanks] = await signers(make_chat, 1)
    # The thanks as it was, before the share message that follows it (/invite's).
    assert thanks.startswith("Thank you, Signer 0! You are signature #1. The petition now has 1 "
                             "signature.\nNext: /rsvp for the Week of Action, or /subscribe for "
                             "one action a day.\n\n")
    assert "milestone" not in thanks


async def test_fifty_concurrent_signatures_celebrate_each_milestone_once(bot, clock, config,
                                                                         make_chat):
    await make_chat(user_id="5001").send("/subscribe")
    specs = milestone_specs(config.petition)
    results = await asyncio.gather(*(bot.store.sign(
        "telegram", str(7000 + i), name=None, email=None, postcode=None, wants_updates=False,
        consent_text="I agree", consent_version="v1", now=clock.now(), milestones=specs)
        for i in range(50)))

    crossed = sorted((r.milestone, r.signature.number) for r in results if r.milestone)
    assert crossed == [(3, 3), (5, 5), (7, 7)]  # each by the one signer who was that number
    assert [key for key, *_ in celebrations(config)] == ["milestone:3", "milestone:5",
                                                         "milestone:7"]


async def test_a_drop_below_and_a_rise_again_is_not_celebrated_again(make_chat, config):
    await make_chat(user_id="5001").send("/subscribe")
    await signers(make_chat, 3)
    third = make_chat(user_id="9002", name="Signer 2")
    await third.send("/unsign")
    assert "withdrawn. The petition now has 2 signatures." in await third.press(
        "Yes, withdraw it")

    again = await sign_up(third, name="Signer 2")
    other = (await signers(make_chat, 1, first=9500))[0]  # #4: past it, not at it

    assert "You are signature #3." in again and "milestone" not in again
    assert "milestone" not in other
    assert len(celebrations(config)) == 1


async def test_a_restart_does_not_celebrate_again(config, clock):
    async with open_bot(config, clock) as bot:
        await MemoryChat(bot, user_id="5001").send("/subscribe")
        for i in range(3):
            await sign_up(MemoryChat(bot, user_id=str(9000 + i)), name=f"Signer {i}")
        third = MemoryChat(bot, user_id="9002")
        await third.send("/unsign")
        await third.press("Yes, withdraw it")

    async with open_bot(config, clock) as bot:  # the same database, after a restart
        thanks = await sign_up(MemoryChat(bot, user_id="9002"), name="Signer 2")
        assert "You are signature #3." in thanks and "milestone" not in thanks
        await sign_up(MemoryChat(bot, user_id="9600"), name="Signer 4")
        fifth = await sign_up(MemoryChat(bot, user_id="9601"), name="Signer 5")
        assert "You're signature #5: a milestone!" in fifth
    assert [key for key, *_ in celebrations(config)] == ["milestone:3", "milestone:5"]


async def test_reaching_the_goal_has_its_own_message(make_chat, bot, config):
    await make_chat(user_id="5001").send("/subscribe")
    thanks = await signers(make_chat, 7)

    assert "You're signature #7: the one that reached our goal!" in thanks[-1]
    sender = FakeSender("telegram")
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: len(sender.sent) == 3)
    assert [text for _, text in sender.sent][-1] == GOAL_7


async def test_a_spanish_subscriber_gets_the_celebration_in_spanish(make_chat, bot, config):
    await make_chat(user_id="5001").send("/subscribe")
    await make_chat(user_id="5002", locale="es").send("/subscribe")
    await signers(make_chat, 2)
    spanish = make_chat(user_id="9002", name="Ana", locale="es")
    await spanish.send("/sign")
    await spanish.send("Ana")
    await spanish.press("Omitir")
    await spanish.press("Omitir")
    thanks = await spanish.press("Firmar")
    assert thanks.startswith("¡Gracias, Ana! Tu firma es la n.º 3. La petición ya tiene 3 firmas."
                             "\nTu firma es la n.º 3: ¡un hito!\n")

    sender = FakeSender("telegram")
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: len(sender.sent) == 2)
    sent = dict(sender.sent)
    assert sent["5001"] == CELEBRATION_3
    assert sent["5002"] == ("¡La petición acaba de llegar a 3 firmas! Gracias a todas las "
                            "personas que firmaron. ¿Todavía no firmaste? Envía /sign.")
    moderator = make_chat(user_id=MODERATOR_TELEGRAM_ID, locale="es")
    assert "\n\nHitos alcanzados:\n  3 firmas el mar, 1 jun 2027" in await moderator.send(
        "/stats")


async def test_stats_lists_the_milestones_reached_with_their_dates(make_chat, moderator):
    assert "Milestones" not in await moderator.send("/stats")
    await signers(make_chat, 5)

    stats = await moderator.send("/stats")

    assert ("\n\nMilestones reached:\n  3 signatures on Tue 1 Jun 2027"
            "\n  5 signatures on Tue 1 Jun 2027\n") in stats


def shipped() -> dict:
    return copy.deepcopy(tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8")))


@pytest.mark.parametrize(("key", "value"), [
    ("milestones", [100, 50]), ("milestones", [100, 100]), ("milestones", [0, 10]),
    ("milestones", [-5]), ("milestones", ["100"]), ("milestones", 100), ("goal", 0),
    ("goal", "1000"),
])
def test_bad_milestones_or_goal_are_refused_naming_the_key(key, value):
    data = shipped()
    data["petition"][key] = value
    with pytest.raises(ConfigError) as caught:
        parse(data, ROOT)
    assert caught.value.problems
    assert all(line.startswith(f"petition.{key}") for line in caught.value.problems)


def test_milestones_default_and_a_goal_is_read():
    assert parse(shipped(), ROOT).petition.milestones == (100, 250, 500, 1000, 2500, 5000, 10000)
    data = shipped()
    data["petition"].update(milestones=[10, 20], goal=15)
    petition = parse(data, ROOT).petition
    assert (petition.milestones, petition.goal) == ((10, 20), 15)
    assert sorted(milestone_specs(petition)) == [10, 15, 20]

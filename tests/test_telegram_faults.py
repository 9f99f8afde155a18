"""Tier 3: platform faults the fake Bot API models as Telegram does, and what the bot does
about them: per-chat flood limits, callback queries that expire, getChatMember statuses, a
group upgraded to a supergroup (a new chat id), a reply split in parts that fails part-way,
and the harness's check that the fake refused nothing a test did not provoke."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime

import pytest
from telegram import Bot as PTBBot
from telegram.error import BadRequest, ChatMigrated, RetryAfter

from bot.adapters.telegram.sending import retry_after_seconds
from bot.config import Telegram
from bot.core import Reply, reply_to_dict
from bot.outbox import OutboxWorker, Pacing
from bot.scheduler import Scheduler
from bot.services import pacing_for
from bot.storage import iso
from tests.fakes.telegram_api import (
    GROUP_PER_MINUTE,
    PRIVATE_BURST,
    PRIVATE_RATE,
    QUERY_TOO_OLD,
    chat_json,
    message_update,
)
from tests.fakes.telegram_harness import BOUND, TOKEN, USERNAME, fake_api
from tests.support.waiting import wait_until

ADA, BO = 1001, 1002
GROUP, SUPERGROUP = -4001, -1009876543210
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def api(api):
    """Ada has started the bot, so it may write to her first."""
    api.chats[ADA] = chat_json(ADA)
    return api


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


@pytest.fixture
def still(api):
    """The fake's time stands still (however slow the machine) until the test moves it."""
    stopped = time.monotonic()
    api.clock = lambda: stopped


def outbox(config) -> list[tuple]:
    """(chat id, state, parts done) of every outbox row, in order."""
    with closing(sqlite3.connect(config.storage.path)) as db:
        return db.execute("SELECT chat_id, state, parts_done FROM outbox ORDER BY id").fetchall()


async def wait_state(config, chat_id: str, state: str, attempts: int = 1) -> None:
    """Until the row for `chat_id` is in `state` after at least `attempts` sends."""
    def reached() -> bool:
        with closing(sqlite3.connect(config.storage.path)) as db:
            return bool(db.execute("SELECT 1 FROM outbox WHERE chat_id = ? AND state = ?"
                                   " AND attempts >= ?", (chat_id, state, attempts)).fetchone())

    await wait_until(reached, BOUND, what=f"{chat_id} {state}")


async def wait_until_settled(config) -> None:
    """Until no outbox row is pending or being sent."""
    await wait_until(lambda: not any(r[1] in ("pending", "sending") for r in outbox(config)),
                     BOUND, what="a settled outbox")


# a) per-chat flood limits

async def test_a_private_chat_takes_a_short_burst_then_one_message_a_second(client, api, still):
    for n in range(PRIVATE_BURST):
        await client.send_message(ADA, f"message {n}")
    with pytest.raises(RetryAfter) as raised:
        await client.send_message(ADA, "one too many")
    assert raised.value.message.startswith("Flood control exceeded. Retry in 1 second")
    [refusal] = api.take_refusals()
    assert (refusal.status, refusal.chat_id) == (429, str(ADA))
    api.advance(1 / PRIVATE_RATE)  # a second later there is room for one more
    await client.send_message(ADA, "after a second")
    with pytest.raises(RetryAfter):
        await client.send_message(ADA, "and again too soon")
    assert len(api.take_refusals()) == 1
    api.chats[BO] = {"id": BO, "type": "private", "first_name": "Bo"}
    await client.send_message(BO, "another chat has its own limit")


async def test_a_group_takes_twenty_messages_a_minute(client, api, still):
    api.chats[GROUP] = {"id": GROUP, "type": "group", "title": "Campaign group"}
    for n in range(GROUP_PER_MINUTE):
        await client.send_message(GROUP, f"post {n}")
    with pytest.raises(RetryAfter) as raised:
        await client.send_message(GROUP, "post 21")
    assert 50 <= retry_after_seconds(raised.value) <= 60
    assert [r.status for r in api.take_refusals()] == [429]
    api.advance(60)
    await client.send_message(GROUP, "a minute later")


def test_the_outbox_paces_telegram_within_what_the_fake_allows(bot):
    pacing = pacing_for(bot, "telegram")
    assert pacing.per_chat_interval >= 1 / PRIVATE_RATE
    assert pacing.group_per_minute <= GROUP_PER_MINUTE
    assert pacing.is_group(str(GROUP)) and not pacing.is_group(str(ADA))


async def test_a_reply_over_the_chat_limit_waits_retry_after_and_arrives(adapter, api, still,
                                                                         quick_retry_after):
    for n in range(PRIVATE_BURST):  # earlier messages just used up Ada's chat
        assert api.take_chat_turn(ADA) is None
    api.send_text(ADA, "/help")
    await api.wait_for(lambda: any(c.status == 429 for c in api.calls_to("sendMessage")), BOUND)
    api.advance(1 / PRIVATE_RATE)  # the second Telegram asked the bot to wait passes
    await api.wait_for(lambda: len(api.sent(ADA)) == 1, BOUND)
    refused, sent = api.calls_to("sendMessage")
    assert (refused.status, sent.status) == (429, 200)
    assert quick_retry_after == [1.0]  # the retry_after Telegram gave
    assert sent.started - refused.finished >= 0.095  # waited it (tenfold quicker here)
    assert [(r.status, r.chat_id) for r in api.take_refusals()] == [(429, str(ADA))]


# b) callback queries expire

async def test_a_query_answered_after_15_seconds_is_too_old(client, api, still):
    fresh = api.press(ADA, "rsvp:day1")
    stale = api.press(ADA, "rsvp:day1")
    api.advance(14.5)
    assert await client.answer_callback_query(fresh)  # still within the 15 s
    api.advance(1.0)
    with pytest.raises(BadRequest) as raised:
        await client.answer_callback_query(stale)
    assert raised.value.message.lower() == QUERY_TOO_OLD.removeprefix("Bad Request: ").lower()
    assert [r.method for r in api.take_refusals()] == ["answerCallbackQuery"]
    old = api.press(ADA, "rsvp:day1", age=20.0)  # pressed while the bot was away
    with pytest.raises(BadRequest):
        await client.answer_callback_query(old)
    assert [r.method for r in api.take_refusals()] == ["answerCallbackQuery"]


async def test_a_press_too_old_to_answer_is_still_handled(adapter, api, bot):
    """After downtime the bot gets presses it can no longer answer: Telegram refuses the
    answer, and the press still does what it says."""
    api.send_text(ADA, "/rsvp")
    await api.wait_for(lambda: api.buttons(ADA), BOUND)
    await api.wait_idle()
    data = next(b["callback_data"] for b in api.buttons(ADA) if b["callback_data"]
                .startswith("rsvp:"))
    api.press(ADA, data, age=30.0)
    await api.wait_for(lambda: api.last(ADA).edits == 1, BOUND)  # the list, updated
    await api.wait_idle()
    [refusal] = api.take_refusals()
    assert (refusal.method, refusal.description) == ("answerCallbackQuery", QUERY_TOO_OLD)
    assert await bot.store.rsvps_of("telegram", str(ADA))


# c) getChatMember answers what the test set

@pytest.mark.parametrize("status, manages", [
    ("creator", True), ("administrator", True), ("member", False), ("restricted", False),
    ("left", False), ("kicked", False),
])
async def test_only_the_groups_creator_and_admins_may_subscribe_it(adapter, api, bot, status,
                                                                     manages):
    api.chats[GROUP] = {"id": GROUP, "type": "group", "title": "Campaign group"}
    api.set_member(GROUP, ADA, status)
    api.push(message_update(ADA, f"/subscribe@{USERNAME}", chat_id=GROUP, chat_type="group"))
    await api.wait_for(lambda: api.sent(GROUP), BOUND)
    await api.wait_idle()
    assert api.calls_to("getChatMember")[0].result["status"] == status
    assert await bot.store.chat_subscribed("telegram", str(GROUP)) is manages
    answer = api.texts(GROUP)[0]
    assert answer.startswith("This chat will get" if manages else "Only the people who manage")


def test_the_fake_knows_only_telegrams_member_statuses(api):
    with pytest.raises(ValueError):
        api.set_member(GROUP, ADA, "owner")  # PTB's name; Telegram says "creator"


# d) a group upgraded to a supergroup

async def test_a_migrated_group_is_refused_with_its_new_id(client, api):
    api.chats[GROUP] = {"id": GROUP, "type": "group", "title": "Campaign group"}
    api.migrate(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as raised:
        await client.send_message(GROUP, "hello")
    assert raised.value.new_chat_id == SUPERGROUP
    [refusal] = api.take_refusals()
    assert refusal.status == 400 and "upgraded to a supergroup" in refusal.description
    await client.send_message(SUPERGROUP, "hello")


async def test_the_daily_post_follows_a_group_that_became_a_supergroup(adapter, api, bot,
                                                                       clock, config):
    api.chats[GROUP] = {"id": GROUP, "type": "group", "title": "Campaign group"}
    api.set_member(GROUP, ADA, "creator")
    api.push(message_update(ADA, "/subscribe", chat_id=GROUP, chat_type="group"))
    await api.wait_for(lambda: api.sent(GROUP), BOUND)
    await api.wait_idle()
    assert await bot.store.chat_subscribed("telegram", str(GROUP))
    # The daily post and an announcement wait for the group when it is upgraded.
    clock.current = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    scheduler = Scheduler(bot, platforms=lambda: ("telegram",))
    await scheduler.tick(clock.current)
    clock.current = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
    assert await scheduler.tick(clock.current) == 1
    await queue(bot, str(GROUP), "Announcement: the Week of Action starts Monday.")
    api.migrate(GROUP, SUPERGROUP)

    worker = OutboxWorker(bot, adapter, Pacing(rate=50), concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await api.wait_for(lambda: len(api.sent(SUPERGROUP)) == 2, BOUND)
        await wait_until_settled(config)
    finally:
        stop.set()
        await asyncio.wait_for(task, BOUND)
    daily, announcement = api.texts(SUPERGROUP)
    assert "left until" in daily and announcement.startswith("Announcement:")
    # One refused send taught the bot the new id; the second message went straight there.
    [refusal] = api.take_refusals()
    assert refusal.chat_id == str(GROUP) and "upgraded" in refusal.description
    assert [(r[0], r[1]) for r in outbox(config)] == [(str(SUPERGROUP), "delivered")] * 2
    assert not await bot.store.chat_subscribed("telegram", str(GROUP))
    assert await bot.store.chat_subscribed("telegram", str(SUPERGROUP))


async def queue(bot, chat_id: str, text: str) -> None:
    store, now = bot.store, bot.clock.now()
    message_id = await store.message(f"test:{chat_id}:{text}", "announcement",
                                     reply_to_dict(Reply.of(text)), now)
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
            " updated_at) VALUES (?,?,?,?,?,?,?)",
            (message_id, "telegram", chat_id, None, f"test:{chat_id}", iso(now), iso(now)))


# Item 18: a split reply failing part-way ------------------------------------------------------

async def test_a_split_reply_failing_at_part_two_resends_only_the_rest(adapter, api, bot,
                                                                        clock, config):
    paragraphs = [f"Part {n}: " + "x" * 3000 for n in (1, 2, 3)]
    await queue(bot, str(ADA), "\n\n".join(paragraphs))
    api.fail_next("sendMessage", 1, 502, after=1)  # the second message, once
    worker = OutboxWorker(bot, adapter, Pacing(rate=50), concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_state(config, str(ADA), "pending")
        assert outbox(config) == [(str(ADA), "pending", 1)]
        clock.advance(seconds=5)  # past the back-off after a 5xx
        worker.wake()
        await wait_state(config, str(ADA), "delivered")
    finally:
        stop.set()
        await asyncio.wait_for(task, BOUND)
    assert [t.split(":")[0] for t in api.texts(ADA)] == ["Part 1", "Part 2", "Part 3"]
    assert [c.status for c in api.calls_to("sendMessage")] == [200, 502, 200, 200]
    assert outbox(config) == [(str(ADA), "delivered", 3)]


# e) the teardown check

async def test_the_harness_fails_a_test_that_ends_with_an_unprovoked_refusal():
    with pytest.raises(AssertionError, match="refused unprovoked"):
        async with fake_api() as api, PTBBot(TOKEN, base_url=api.base_url) as client:
            with pytest.raises(BadRequest):
                await client.send_message(5555, "nobody there")
    async with fake_api() as api, PTBBot(TOKEN, base_url=api.base_url) as client:
        api.fail_next("sendMessage", 1, 400)  # asked for: not a refusal on the fake's merits
        with pytest.raises(BadRequest):
            await client.send_message(ADA, "injected")
        assert api.refusals == []

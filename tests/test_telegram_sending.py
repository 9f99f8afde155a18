"""Tier 3: how the Telegram adapter sends, retries and classifies failures, against the fake Bot
API answering 429, 5xx, 403 and 400 as Telegram does; and that the token never reaches a log."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.ext._utils import networkloop

from bot.config import Telegram
from bot.core import Bold, Button, Reply
from bot.sender import Outcome
from tests.fakes.telegram_api import chat_json
from tests.fakes.telegram_harness import BOUND, TOKEN, running
from tests.support.waiting import wait_until

ADA = 1001
BOB = 1002
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def api(api):
    """Ada and Bob have started the bot, so it may write to them first."""
    api.chats[ADA] = chat_json(ADA)
    api.chats[BOB] = chat_json(BOB, first_name="Bob")
    return api


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


class QuickPollingPauses:
    """asyncio as PTB's polling loop sees it, with its pauses after a network error (1 s, then
    1.5 times longer each time) cut twentyfold: the fake answers at once, and a stop waits for
    that pause to end. What the loop does after an error is unchanged."""

    def __getattr__(self, name: str):
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result=None):
        return await asyncio.sleep(delay / 20, result)


@pytest.fixture(autouse=True)
def quick_polling_retries(monkeypatch):
    monkeypatch.setattr(networkloop, "asyncio", QuickPollingPauses())




def sends(api, chat_id: int = ADA):
    return [c for c in api.calls_to("sendMessage") if c.params.get("chat_id") == str(chat_id)]


async def help_reply(api) -> None:
    api.send_text(ADA, "/help")
    await api.wait_for(lambda: any(c.status == 200 for c in sends(api)), BOUND)
    await api.wait_idle()


async def test_a_429_on_a_reply_waits_exactly_retry_after_and_sends_once_more(
        adapter, api, quick_retry_after):
    api.fail_next("sendMessage", 1, 429, retry_after=1)
    await help_reply(api)
    refused, sent = sends(api)
    assert (refused.status, sent.status) == (429, 200)
    assert quick_retry_after == [1.0]
    assert sent.started - refused.finished >= 0.095  # not before retry_after (tenfold quicker)
    assert len(api.sent(ADA)) == 1


async def test_a_second_429_gives_up_on_that_message_without_crashing(adapter, api,
                                                                      quick_retry_after):
    api.fail_next("sendMessage", 2, 429, retry_after=3)  # halts of 0.3 s here
    api.send_text(ADA, "/help")
    await api.wait_for(lambda: len(sends(api)) == 2, BOUND)
    await api.wait_idle()
    assert [c.status for c in sends(api)] == [429, 429] and api.sent(ADA) == []
    assert quick_retry_after == [3.0, 3.0]
    # The bot still answers: someone else at once (the halt is Ada's chat's alone).
    api.send_text(BOB, "/help")
    await api.wait_for(lambda: bool(api.sent(BOB)), BOUND)
    assert api.sent(ADA) == [] and adapter.sending.halted_for(str(ADA)) > 0


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried_with_backoff(adapter, api, status):
    api.fail_next("sendMessage", 2, status)
    await help_reply(api)
    assert [c.status for c in sends(api)] == [status, status, 200]
    assert len(api.sent(ADA)) == 1


async def test_server_errors_are_retried_a_bounded_number_of_times(adapter, api):
    api.fail_next("sendMessage", 100, 500)
    api.send_text(ADA, "/help")
    await api.wait_for(lambda: len(sends(api)) == 4, BOUND)  # the first try and 3 retries
    await api.wait_idle(settle=0.2)
    assert len(sends(api)) == 4 and api.sent(ADA) == []


async def test_a_403_is_logged_and_nothing_crashes(adapter, api, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    api.fail_next("sendMessage", 1, 403)
    api.send_text(ADA, "/help")
    await api.wait_for(lambda: len(sends(api)) == 1, BOUND)
    await api.wait_idle()
    assert "a chat is gone (403)" in caplog.text
    await help_reply(api)
    assert len(sends(api)) == 2


async def test_a_timeout_after_the_request_went_out_is_not_resent(bot, api):
    async with running(bot, read_timeout=0.3):
        api.fail_next("sendMessage", 1, 200, hang=1.0)
        api.send_text(ADA, "/help")
        await api.wait_for(lambda: len(sends(api)) == 1, BOUND)
        # Idle once the bot has given up on the hung call; a resend would follow within the
        # 20 ms backoff the harness sets.
        await api.wait_idle(settle=0.2)
        assert len(sends(api)) == 1  # maybe delivered: never sent twice


async def test_deliver_classifies_each_failure_for_the_outbox(adapter, api):
    reply = Reply.of("Today's action: ", Bold("call Amazon"))
    delivered = await adapter.deliver(str(ADA), reply)
    assert delivered.outcome is Outcome.DELIVERED and delivered.message_id
    assert (await adapter.deliver("5555", reply)).outcome is Outcome.GONE  # chat not found
    api.blocked.add(ADA)
    gone = await adapter.deliver(str(ADA), reply)
    assert (gone.outcome, gone.reason) == (Outcome.GONE, "403")
    api.blocked.clear()
    api.fail_next("sendMessage", 1, 400, description="Bad Request: something else")
    assert (await adapter.deliver(str(ADA), reply)).outcome is Outcome.PERMANENT
    api.fail_next("sendMessage", 1, 500)
    assert (await adapter.deliver(str(ADA), reply)).outcome is Outcome.RETRY
    calls = len(sends(api))
    api.fail_next("sendMessage", 1, 429, retry_after=3)
    limited = await adapter.deliver(str(ADA), reply)
    assert (limited.outcome, limited.retry_after) == (Outcome.RETRY, 3)
    halted = await adapter.deliver(str(ADA), reply)  # the halt holds: no call is made
    assert halted.outcome is Outcome.RETRY and 0 < halted.retry_after <= 3
    assert len(sends(api)) == calls + 1
    assert [(r.chat_id, r.status) for r in api.take_refusals()] == [("5555", 400),
                                                                    (str(ADA), 403)]


async def test_deliver_sees_a_connection_refused_as_retry(adapter, api):
    await api.server.stop()
    result = await adapter.deliver(str(ADA), Reply.of("hello"))
    assert (result.outcome, result.reason) == (Outcome.RETRY, "ConnectError")


async def test_deliver_splits_a_long_reply_and_puts_the_buttons_last(adapter, api):
    reply = Reply.of("\n\n".join(["x" * 3000] * 3), buttons=[Button("Go", "rsvp", ("day1",))])
    assert (await adapter.deliver(str(ADA), reply)).ok
    first, second, third = api.sent(ADA)
    assert [len(m.text) for m in (first, second, third)] == [3000, 3000, 3000]
    assert first.reply_markup is None and third.reply_markup is not None


async def test_a_429_halt_holds_for_concurrent_senders_to_that_chat(adapter, api,
                                                                   quick_retry_after):
    api.fail_next("sendMessage", 1, 429, retry_after=2)  # a halt of 0.2 s here
    reply = Reply.of("hello")
    first = asyncio.create_task(adapter.sending.deliver(str(ADA), reply, patient=True))
    await api.wait_for(lambda: len(sends(api)) == 1 and sends(api)[0].status == 429, BOUND)
    # Until the 429 has reached the adapter.
    await wait_until(lambda: adapter.sending.halted_for(str(ADA)), BOUND, every=0.005)
    others = [adapter.sending.deliver(str(ADA), reply, patient=True) for _ in range(3)]
    results = await asyncio.wait_for(asyncio.gather(first, *others), BOUND)
    assert all(r.ok for r in results)
    refused, *after = sends(api)
    assert len(after) == 4
    assert quick_retry_after == [2.0]
    assert min(c.started for c in after) - refused.finished >= 0.19


async def test_the_token_never_reaches_a_log(bot, api, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "httpx", "httpcore", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with running(bot):
        api.fail_next("sendMessage", 1, 500)
        api.fail_next("getUpdates", 1, 502)
        await help_reply(api)
    wrong = TOKEN.replace("AAF", "XYZ")
    async with running(bot, token=wrong) as refused:
        assert refused.failed
    records = caplog.records
    assert any("[token]" in r.getMessage() for r in records)  # PTB and httpx did log URLs
    for record in records:
        for secret in (TOKEN, wrong, TOKEN.split(":")[1]):
            assert secret not in record.getMessage()
            assert secret not in (record.exc_text or "")
    assert TOKEN not in caplog.text and wrong not in caplog.text

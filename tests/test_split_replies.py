"""Tier 1: a reply the platform needs as several messages, failing part-way, is not resent
whole: the outbox row records the parts that arrived and a retry sends only the rest."""

from __future__ import annotations

from dataclasses import replace

from bot.core import Reply
from bot.outbox import OutboxWorker
from bot.sender import DeliveryResult, Outcome
from tests.support.outbox import FAST, enqueue, row_of, running
from tests.support.senders import FakeSender, retry
from tests.support.waiting import wait_until

PARTS = ("Part one of the briefing.", "Part two of the briefing.", "Part three.")


class SplittingSender:
    """Sends each paragraph of a reply as its own message, as an adapter splits a reply over
    the platform's length limit; part indexes in `fail_once` fail once with that result. (Not
    the shared FakeSender: that one sends a reply whole and takes no `skip`.)"""

    platform = "telegram"

    def __init__(self, fail_once: dict[int, DeliveryResult]) -> None:
        self.fail_once = dict(fail_once)
        self.received: list[tuple[str, str]] = []
        self.skips: list[int] = []

    async def deliver(self, chat_id: str, reply: Reply, *, skip: int = 0) -> DeliveryResult:
        self.skips.append(skip)
        parts = reply.plain_text().split("\n\n")
        for index in range(skip, len(parts)):
            failure = self.fail_once.pop(index, None)
            if failure is not None:
                return replace(failure, parts_done=index)
            self.received.append((chat_id, parts[index]))
        return DeliveryResult(Outcome.DELIVERED, parts_done=len(parts))


async def test_a_reply_failing_at_part_two_sends_only_the_rest_on_retry(bot, clock, config):
    path = config.storage.path
    await enqueue(bot, ["1001"], "\n\n".join(PARTS))
    sender = SplittingSender({1: retry(None, "503")})
    worker = OutboxWorker(bot, sender, FAST, concurrency=1)
    async with running(worker):
        await wait_until(lambda: row_of(path, "1001")["attempts"] == 1
                         and row_of(path, "1001")["state"] == "pending", what="the retry")
        first = row_of(path, "1001")
        assert (first["parts_done"], first["reason"]) == (1, "503")
        clock.advance(seconds=5)  # past the back-off
        worker.wake()
        await wait_until(lambda: row_of(path, "1001")["state"] == "delivered",
                         what="the rest delivered")
    assert sender.received == [("1001", part) for part in PARTS]  # each part once
    assert sender.skips == [0, 1]
    assert row_of(path, "1001")["parts_done"] == 3


async def test_a_final_failure_part_way_records_how_much_arrived(bot, config):
    path = config.storage.path
    await enqueue(bot, ["1002"], "\n\n".join(PARTS))
    refused = DeliveryResult(Outcome.PERMANENT, reason="400")
    sender = SplittingSender({2: refused})
    async with running(OutboxWorker(bot, sender, FAST, concurrency=1)):
        await wait_until(lambda: row_of(path, "1002")["state"] == "failed")
    assert [part for _, part in sender.received] == list(PARTS[:2])
    assert row_of(path, "1002")["parts_done"] == 2


async def test_senders_without_parts_are_called_as_before(bot, config):
    """Senders written before parts existed (deliver(chat_id, reply)) still work: the outbox
    passes `skip` only when some parts already arrived."""
    path = config.storage.path
    await enqueue(bot, ["7"])
    sender = FakeSender()
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: row_of(path, "7")["state"] == "delivered")
    assert sender.chats == ["7"] and row_of(path, "7")["parts_done"] == 0

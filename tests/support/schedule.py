"""Driving the scheduler by hand on the frozen clock (tier 1): subscribers and RSVPs made through
the in-memory chat, one tick at a chosen moment, and what the ticks queued.

The campaign's moments (config.toml): the deadline is 10 June 2027, 12:00 EDT = 16:00 UTC; the
first event starts Mon 7 June, 19:00 EDT."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.outbox import render_message
from bot.scheduler import Scheduler
from tests.support.memory import MemoryChat
from tests.support.outbox import outbox

JUNE_1_ACTION = ("Sign the petition asking Amazon to stop selling surveillance technology to "
                 "police and ICE for good.")
BOTH = ("telegram", "discord")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


DAY_BEFORE = utc(2027, 6, 6, 22, 0)  # 18:00 EDT on Sun 6 June: the day-before reminders
MORNING = utc(2027, 6, 7, 12, 0)  # 08:00 EDT on Mon 7 June: the morning-of reminders


def keys(path) -> list[str]:
    return [r["idem_key"] for r in outbox(path)]


async def tick(scheduler: Scheduler, clock, moment: datetime) -> int:
    clock.current = moment
    return await asyncio.wait_for(scheduler.tick(moment), timeout=10)


async def tick_log(scheduler: Scheduler, clock, path, moments) -> dict[str, datetime]:
    """Tick at each moment in turn; return idem_key -> the moment whose tick added it."""
    seen = set(keys(path))
    added: dict[str, datetime] = {}
    for moment in moments:
        count = await tick(scheduler, clock, moment)
        new = [k for k in keys(path) if k not in seen]
        assert count == len(new), (moment, new)
        for key in new:
            seen.add(key)
            added[key] = moment
    return added


async def subscriber(bot, user_id: str, platform: str = "telegram", timezone: str | None = None,
                     send_at: str | None = None) -> MemoryChat:
    chat = MemoryChat(bot, platform=platform, user_id=user_id)
    if timezone:
        assert timezone in await chat.send(f"/settings timezone {timezone}")
    if send_at:
        assert send_at in await chat.send(f"/settings time {send_at}")
    assert "subscribed" in await chat.send("/subscribe")
    return chat


async def rsvp(bot, user_id: str, platform: str = "telegram", event: str = "day1") -> MemoryChat:
    chat = MemoryChat(bot, platform=platform, user_id=user_id)
    assert "You're going to" in await chat.press_data(f"rsvp:{event}")
    return chat


def scheduler_for(bot, platforms=BOTH, wake=lambda: None) -> Scheduler:
    return Scheduler(bot, platforms=lambda: platforms, wake=wake)


async def body_of(bot, row: dict):
    """The row's message as the outbox would send it now (prompts and reminders are rendered
    at sending, from the current config and in the recipient's zone)."""
    body = await bot.store.message_body(row["message_id"])
    return await render_message(bot, body, row["platform"], row["user_id"])

"""The outbox as tests see it: its rows read straight from the database file, rows queued as an
announcement would queue them, and a worker run for the body of a block."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core import Reply, reply_to_dict
from bot.outbox import OutboxWorker, Pacing
from bot.storage import iso

FAST = Pacing(rate=1000)
_keys = itertools.count()


def outbox(path, **where) -> list[dict]:
    """Outbox rows (oldest first), optionally filtered by column values."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        sql = "SELECT * FROM outbox"
        if where:
            sql += " WHERE " + " AND ".join(f"{column} = ?" for column in where)
        return [dict(r) for r in db.execute(sql + " ORDER BY id", tuple(where.values()))]
    finally:
        db.close()


def row_of(path, chat_id: str) -> dict:
    [row] = outbox(path, chat_id=chat_id)
    return row


def unfinished(path, platform: str = "telegram") -> int:
    return sum(r["state"] in ("pending", "sending") for r in outbox(path, platform=platform))


async def enqueue(bot, chats, text: str = "Hello from the campaign",
                  platform: str = "telegram") -> int:
    """One message to each chat (a chat may appear more than once): rows as an announcement
    would queue them. Returns the message id."""
    store, now = bot.store, bot.clock.now()
    key = f"test:{next(_keys)}"
    message_id = await store.message(key, "announcement", reply_to_dict(Reply.of(text)), now)
    async with store.transaction() as db:
        await db.executemany(
            "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
            " updated_at) VALUES (?,?,?,?,?,?,?)",
            [(message_id, platform, chat, None, f"{key}:{platform}:{chat}:{n}", iso(now),
              iso(now)) for n, chat in enumerate(chats)],
        )
    return message_id


@asynccontextmanager
async def running(worker: OutboxWorker, grace: float = 1.0) -> AsyncIterator[asyncio.Task]:
    """Run the worker for the body of the block; then stop it, as the app would."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(worker.stop(grace=grace), timeout=5)
        await asyncio.wait_for(task, timeout=5)

"""SQL for petition milestones: the signature counts reached, each celebrated once ever, and the
celebration queued for everyone who asked to hear from the campaign daily. A mixin of Storage
(bot/storage.py) for /stats; `reach` runs inside the transaction that stores a signature."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import aiosqlite

from .common import iso

KIND = "milestone"  # messages.kind: treated like the daily prompt (planning.PROMPT_KINDS)
# A celebration days late is no news: what is still queued after this is dropped.
VALID = timedelta(days=2)
# Its audience, as (platform, chat_id, user_id): active daily-prompt subscribers in their
# private chat, and subscribed groups and channels, less chats known to be unreachable.
AUDIENCE = (
    "SELECT platform, chat_id, user_id FROM subscriptions WHERE active = 1"
    " UNION ALL SELECT platform, chat_id, NULL FROM chat_subscriptions WHERE active = 1"
)


async def reach(db: aiosqlite.Connection, count: int, body: dict, now: datetime) -> bool:
    """Record `count` as reached; True only for the one call that records it first, which
    queues the celebration (`body`, a spec rendered when sent) in the same transaction. A
    count that drops below and rises again, a restart, or a concurrent signer: no repeat.
    The recipients are copied inside SQLite, so 100,000 of them never pass through Python."""
    cursor = await db.execute(
        "INSERT INTO milestones (count, reached_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (count, iso(now)))
    if cursor.rowcount != 1:
        return False
    key = f"{KIND}:{count}"
    await db.execute(
        "INSERT INTO messages (key, kind, body, created_at) VALUES (?,?,?,?)"
        " ON CONFLICT (key) DO NOTHING", (key, KIND, json.dumps(body), iso(now)))
    # Priority 1, like the daily prompt: it never waits behind a large announcement.
    await db.execute(
        "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
        " updated_at, expires_at, priority) SELECT m.id, a.platform, a.chat_id, a.user_id,"
        " m.key || ':' || a.platform || ':' || a.chat_id, :now, :now, :expires, 1"
        f" FROM messages m, ({AUDIENCE}) a WHERE m.key = :key AND NOT EXISTS"
        " (SELECT 1 FROM unreachable u WHERE u.platform = a.platform AND u.chat_id = a.chat_id)"
        " ON CONFLICT (idem_key) DO NOTHING",
        {"now": iso(now), "expires": iso(now + VALID), "key": key})
    return True


class MilestoneStore:
    async def milestones_reached(self) -> list[tuple[int, datetime]]:
        """(count, when first reached), lowest count first."""
        rows = await self._all("SELECT count, reached_at FROM milestones ORDER BY count")
        return [(row[0], datetime.fromisoformat(row[1])) for row in rows]

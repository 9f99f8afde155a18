"""SQL for delivery: when prompts are due, messages, and the outbox the workers drain.

A mixin of Storage (bot/storage.py): it uses that class's connection, write lock and
query helpers. Recipients are always read in batches, never all into memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .common import iso
from .planning import PROMPT_KINDS

# What the claim decides for one row, in SQL, from the row's own columns: its expiry; for a
# reminder (event_id), the RSVP; for a daily prompt or closing message, the subscription.
CLAIM_VERDICT = (
    "(CASE WHEN expires_at IS NOT NULL AND expires_at <= :now THEN 'expired'"
    " WHEN event_id IS NOT NULL AND user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rsvps r"
    "  WHERE r.platform = outbox.platform AND r.user_id = outbox.user_id"
    "  AND r.event_id = outbox.event_id) THEN 'cancelled'"
    " WHEN (SELECT kind FROM messages m WHERE m.id = outbox.message_id)"
    f"  IN {PROMPT_KINDS} AND NOT"
    "  (CASE WHEN user_id IS NULL THEN EXISTS (SELECT 1 FROM chat_subscriptions c"
    "   WHERE c.platform = outbox.platform AND c.chat_id = outbox.chat_id AND c.active = 1)"
    "  ELSE EXISTS (SELECT 1 FROM subscriptions s WHERE s.platform = outbox.platform"
    "   AND s.user_id = outbox.user_id AND s.active = 1) END) THEN 'cancelled'"
    " ELSE 'sending' END)"
)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: int
    platform: str
    chat_id: str
    user_id: str | None
    attempts: int
    parts_done: int = 0  # messages of a split reply that already arrived


class OutboxStore:
    # The outbox ----------------------------------------------------------------------------

    async def reset_in_flight(self, platform: str, now: datetime) -> int:
        """After a crash, rows marked 'sending' may or may not have arrived: send them again.
        This is the only way a message can arrive twice, so the bound is the number of sends in
        flight at the moment of the crash."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET state = 'pending', updated_at = ?"
                " WHERE platform = ? AND state = 'sending'",
                (iso(now), platform),
            )
            return cursor.rowcount

    async def pending_batch(self, platform: str, now: datetime, limit: int) -> list[OutboxRow]:
        """The next rows due: prompts and reminders (priority 1) before announcements, three to
        one while both wait, so the 09:00 prompts never queue behind a 100,000-recipient
        announcement and the announcement still moves. Each class is read in due order straight
        from the outbox_queue index (platform, state, priority, not_before): ORDER BY id alone
        made SQLite sort every due row for each batch (17 ms a batch with 100,000 rows queued,
        against 0.3 ms)."""
        urgent = await self._due_rows(platform, 1, now, limit - limit // 4)
        rest = await self._due_rows(platform, 0, now, limit - len(urgent))
        batch: list[OutboxRow] = []
        while urgent or rest:
            batch += urgent[:3] + rest[:1]
            urgent, rest = urgent[3:], rest[1:]
        return batch

    async def _due_rows(self, platform: str, priority: int, now: datetime,
                        limit: int) -> list[OutboxRow]:
        if limit <= 0:
            return []
        rows = await self._all(
            "SELECT id, message_id, platform, chat_id, user_id, attempts, parts_done FROM outbox"
            " WHERE platform = ? AND state = 'pending' AND priority = ? AND not_before <= ?"
            " AND (expires_at IS NULL OR expires_at > ?) ORDER BY not_before, id LIMIT ?",
            (platform, priority, iso(now), iso(now), limit),
        )
        return [OutboxRow(*row) for row in rows]

    async def next_pending_at(self, platform: str) -> datetime | None:
        # One MIN per priority: each is a single probe of the outbox_queue index.
        row = await self._one(
            "SELECT MIN(first) FROM (SELECT MIN(not_before) AS first FROM outbox"
            " WHERE platform = :p AND state = 'pending' AND priority = 0 UNION ALL"
            " SELECT MIN(not_before) FROM outbox WHERE platform = :p AND state = 'pending'"
            " AND priority = 1)",
            {"p": platform},
        )
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def expire_stale(self, now: datetime, platform: str | None = None) -> int:
        """Pending rows past their expiry become 'expired': never sent, counted in reports."""
        sql = ("UPDATE outbox SET state = 'expired', updated_at = ? WHERE state = 'pending'"
               " AND expires_at <= ?")
        params: tuple = (iso(now), iso(now))
        if platform is not None:
            sql += " AND +platform = ?"  # unary +: probe outbox_expiry, not the queue
            params += (platform,)
        return await self._write_one(sql, params)

    async def _write_one(self, sql: str, params: tuple) -> int:
        """One statement, committed on its own: SQLite makes a lone statement atomic, and this
        saves the BEGIN and COMMIT round trips to aiosqlite's thread on the outbox's two writes
        per message. The write lock keeps it out of any other task's open transaction."""
        async with self._write_lock:
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount

    async def claim(self, row_id: int, now: datetime) -> bool:
        """Mark one row as being sent, just before sending it; False if it must not be sent.
        One statement decides, so nothing can change in between: a row past its expiry becomes
        'expired'; a reminder whose RSVP is gone, or a prompt whose subscription is no longer
        active, becomes 'cancelled'; a row someone cancelled stays as it is."""
        verdict = CLAIM_VERDICT
        rows = await self._write_fetch(
            f"UPDATE outbox SET state = {verdict}, attempts = attempts + ({verdict} = 'sending'),"
            f" reason = CASE {verdict} WHEN 'cancelled' THEN 'reason_gone' ELSE reason END,"
            " updated_at = :now WHERE id = :id AND state = 'pending' RETURNING state",
            {"now": iso(now), "id": row_id},
        )
        return bool(rows) and rows[0][0] == "sending"

    async def _write_fetch(self, sql: str, params) -> list:
        """One statement with RETURNING, committed on its own (see _write_one), its rows read
        to the end in the same call: a statement not stepped to its end keeps its write open."""
        async with self._write_lock:
            return list(await self._db.execute_fetchall(sql, params))

    async def finish(
        self, row_id: int, state: str, now: datetime, reason: str = "",
        not_before: datetime | None = None, parts_done: int | None = None,
    ) -> None:
        """The row's outcome; `parts_done` (when given) how many messages of a split reply
        have arrived, so a retry sends only the rest."""
        await self._write_one(
            "UPDATE outbox SET state = ?, reason = ?, updated_at = ?,"
            " not_before = COALESCE(?, not_before), parts_done = COALESCE(?, parts_done)"
            " WHERE id = ? AND state = 'sending'",
            (state, reason or None, iso(now), iso(not_before) if not_before else None,
             parts_done, row_id),
        )

    async def delivery_counts(self, message_id: int) -> dict[str, dict[str, int]]:
        """platform -> state -> count, for a message's progress and its final report. Read
        from the running counts that migration 19's triggers keep in the same transaction as
        each row's change (exact after a restart too), not counted: the announcement runner
        asks every few seconds, and counting 100,000 rows held the shared connection ~50 ms."""
        rows = await self._all(
            "SELECT platform, state, n FROM outbox_counts WHERE message_id = ? AND n > 0",
            (message_id,),
        )
        counts: dict[str, dict[str, int]] = {}
        for platform, state, count in rows:
            counts.setdefault(platform, {})[state] = count
        return counts

    async def gone_counts(self, message_id: int, reason: str) -> dict[str, int]:
        """platform -> rows of a message that ended 'gone' for `reason` (the report counts
        closed DMs apart). The reason comes from the caller: the delivery vocabulary lives above
        the storage layer, which imports nothing of the bot."""
        rows = await self._all(
            "SELECT platform, COUNT(*) FROM outbox WHERE message_id = ? AND state = 'gone'"
            " AND reason = ? GROUP BY platform",
            (message_id, reason),
        )
        return {row[0]: row[1] for row in rows}

    # Daily actions -------------------------------------------------------------------------

    async def mark_action_done(self, platform: str, user_id: str, day: str, now: datetime) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO actions_done (platform, user_id, day, done_at) VALUES (?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                (platform, user_id, day, iso(now)),
            )
            return cursor.rowcount == 1

    async def actions_done(self, platform: str, user_id: str) -> list[str]:
        rows = await self._all(
            "SELECT day FROM actions_done WHERE platform = ? AND user_id = ? ORDER BY day",
            (platform, user_id),
        )
        return [r[0] for r in rows]

"""SQL for delivery: when prompts are due, messages, and the outbox the workers drain.

A mixin of Storage (bot/storage/__init__.py): it uses that class's connection, write lock and
query helpers. Recipients are always read in batches, never all into memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from .common import iso

FINAL_STATES = ("delivered", "gone", "failed", "uncertain", "cancelled", "skipped")


@dataclass(frozen=True)
class DuePrompt:
    platform: str
    user_id: str | None  # None for a subscribed group or channel
    chat_id: str
    due_at: datetime
    timezone: str | None
    send_at: str | None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: int
    platform: str
    chat_id: str
    user_id: str | None
    attempts: int
    parts_done: int = 0  # messages of a split reply that already arrived


class DeliveryStore:
    # Scheduling ----------------------------------------------------------------------------

    async def set_next_prompt(self, platform: str, user_id: str, at: datetime | None) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET next_prompt_at = ? WHERE platform = ? AND user_id = ?",
                (iso(at) if at else None, platform, user_id),
            )

    async def set_chat_next_prompt(self, platform: str, chat_id: str, at: datetime | None) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE chat_subscriptions SET next_prompt_at = ?"
                " WHERE platform = ? AND chat_id = ?",
                (iso(at) if at else None, platform, chat_id),
            )

    async def subscriptions_without_schedule(self, limit: int = 500) -> list[DuePrompt]:
        """Active subscriptions with no next prompt yet (new, resumed, or settings changed)."""
        rows = await self._all(
            "SELECT s.platform, s.user_id, s.chat_id, u.timezone, u.send_at FROM subscriptions s"
            " LEFT JOIN user_settings u USING (platform, user_id)"
            " WHERE s.active = 1 AND s.next_prompt_at IS NULL AND s.prompts_over = 0 LIMIT ?",
            (limit,),
        )
        return [DuePrompt(r[0], r[1], r[2], None, r[3], r[4]) for r in rows]

    async def due_prompts(
        self, now: datetime, platforms: tuple[str, ...], limit: int = 500
    ) -> list[DuePrompt]:
        """Subscriptions (people, then chats) on `platforms` whose next prompt time has come."""
        marks = ",".join("?" * len(platforms))
        people = await self._all(
            "SELECT s.platform, s.user_id, s.chat_id, s.next_prompt_at, u.timezone, u.send_at"
            " FROM subscriptions s LEFT JOIN user_settings u USING (platform, user_id)"
            f" WHERE s.active = 1 AND s.next_prompt_at <= ? AND s.platform IN ({marks})"
            " ORDER BY s.next_prompt_at LIMIT ?",
            (iso(now), *platforms, limit),
        )
        chats = await self._all(
            "SELECT platform, chat_id, next_prompt_at FROM chat_subscriptions"
            f" WHERE active = 1 AND next_prompt_at <= ? AND platform IN ({marks})"
            " ORDER BY next_prompt_at LIMIT ?",
            (iso(now), *platforms, limit),
        )
        due = [DuePrompt(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4], r[5])
               for r in people]
        due += [DuePrompt(r[0], None, r[1], datetime.fromisoformat(r[2]), None, None)
                for r in chats]
        return due

    async def chats_without_schedule(self, limit: int = 500) -> list[DuePrompt]:
        rows = await self._all(
            "SELECT platform, chat_id FROM chat_subscriptions"
            " WHERE active = 1 AND next_prompt_at IS NULL AND prompts_over = 0 LIMIT ?",
            (limit,),
        )
        return [DuePrompt(r[0], None, r[1], None, None, None) for r in rows]

    async def message(self, key: str, kind: str, body: dict, now: datetime) -> int:
        """The id of the message with this key, stored once (a restart reuses it)."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO messages (key, kind, body, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING",
                (key, kind, json.dumps(body), iso(now)),
            )
            cursor = await db.execute("SELECT id FROM messages WHERE key = ?", (key,))
            return (await cursor.fetchone())[0]

    async def message_body(self, message_id: int) -> dict:
        row = await self._one("SELECT body FROM messages WHERE id = ?", (message_id,))
        return json.loads(row[0])

    async def schedule_prompt(
        self,
        due: DuePrompt,
        message_id: int | None,
        idem_key: str,
        now: datetime,
        next_at: datetime | None,
        over: bool = False,
    ) -> bool:
        """Queue one prompt (or record it skipped when message_id is None) and move the
        subscription on to its next prompt, in one transaction. The UNIQUE idempotency key makes
        a repeat (a restart between the two steps, say) a no-op. True if a row was added."""
        table, key_col, key = (("subscriptions", "user_id", due.user_id) if due.user_id
                               else ("chat_subscriptions", "chat_id", due.chat_id))
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, state,"
                " not_before, updated_at) VALUES (?,?,?,?,?,?,?,?)"
                " ON CONFLICT (idem_key) DO NOTHING",
                (message_id, due.platform, due.chat_id, due.user_id, idem_key,
                 "skipped" if message_id is None else "pending", iso(now), iso(now)),
            )
            await db.execute(
                f"UPDATE {table} SET next_prompt_at = ?, prompts_over = ?"
                f" WHERE platform = ? AND {key_col} = ?",
                (iso(next_at) if next_at else None, int(over), due.platform, key),
            )
            return cursor.rowcount == 1

    async def enqueue_rsvp_reminders(
        self, event_id: str, kind: str, message_id: int, platforms: tuple[str, ...],
        now: datetime,
    ) -> int:
        """One reminder per RSVP and kind, to the person's private chat (on both platforms a
        private chat is addressed by the user id)."""
        if not platforms:
            return 0
        marks = ",".join("?" * len(platforms))
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
                " updated_at) SELECT ?, platform, user_id, user_id,"
                " 'reminder:' || ? || ':' || event_id || ':' || platform || ':' || user_id, ?, ?"
                f" FROM rsvps WHERE event_id = ? AND platform IN ({marks})"
                " ON CONFLICT (idem_key) DO NOTHING",
                (message_id, kind, iso(now), iso(now), event_id, *platforms),
            )
            return cursor.rowcount

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
        """The next rows due, oldest due first. That is the order of the outbox_queue index:
        ORDER BY id alone made SQLite sort every due row for each batch (17 ms a batch with
        100,000 rows queued, against 0.3 ms)."""
        rows = await self._all(
            "SELECT id, message_id, platform, chat_id, user_id, attempts, parts_done FROM outbox"
            " WHERE platform = ? AND state = 'pending' AND not_before <= ?"
            " ORDER BY not_before, id LIMIT ?",
            (platform, iso(now), limit),
        )
        return [OutboxRow(*row) for row in rows]

    async def next_pending_at(self, platform: str) -> datetime | None:
        row = await self._one(
            "SELECT MIN(not_before) FROM outbox WHERE platform = ? AND state = 'pending'",
            (platform,),
        )
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def _write_one(self, sql: str, params: tuple) -> int:
        """One statement, committed on its own: SQLite makes a lone statement atomic, and this
        saves the BEGIN and COMMIT round trips to aiosqlite's thread on the outbox's two writes
        per message. The write lock keeps it out of any other task's open transaction."""
        async with self._write_lock:
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount

    async def claim(self, row_id: int, now: datetime) -> bool:
        """Mark one row as being sent, just before sending it. False if someone cancelled it."""
        claimed = await self._write_one(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?"
            " WHERE id = ? AND state = 'pending'",
            (iso(now), row_id),
        )
        return claimed == 1

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
        """platform -> state -> count, for a message's progress and its final report."""
        rows = await self._all(
            "SELECT platform, state, COUNT(*) FROM outbox WHERE message_id = ?"
            " GROUP BY platform, state",
            (message_id,),
        )
        counts: dict[str, dict[str, int]] = {}
        for platform, state, count in rows:
            counts.setdefault(platform, {})[state] = count
        return counts

    async def dms_closed_counts(self, message_id: int) -> dict[str, int]:
        from ..delivery import DMS_CLOSED

        rows = await self._all(
            "SELECT platform, COUNT(*) FROM outbox WHERE message_id = ? AND state = 'gone'"
            " AND reason = ? GROUP BY platform",
            (message_id, DMS_CLOSED),
        )
        return {row[0]: row[1] for row in rows}

    async def cancel_pending(self, message_id: int, now: datetime) -> int:
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?"
                " WHERE message_id = ? AND state = 'pending'",
                (iso(now), message_id),
            )
            return cursor.rowcount

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

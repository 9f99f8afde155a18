"""SQL for planning: when each subscription's next prompt is due, the messages the scheduler
queues, and cancelling queued rows whose reason is gone.

A mixin of Storage (bot/storage.py). Rows are read in batches, never all at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import aiosqlite

from .common import iso

# Messages whose rows exist because of a daily-prompt subscription (see the claim in
# outbox.py, and the cancellations below); a milestone's celebration goes to the same people.
PROMPT_KINDS = "('prompt', 'closing', 'milestone')"
# plan_after once a subscription's first owed day is settled: from then on only dates count
# (prompted_through), so a new time or zone can still bring today's prompt.
SETTLED = "1970-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class DuePrompt:
    platform: str
    user_id: str | None  # None for a subscribed group or channel
    chat_id: str
    due_at: datetime | None
    timezone: str | None = None
    send_at: str | None = None
    row: int = 0  # the subscription's rowid: what logs name instead of the person
    created_at: datetime | None = None
    plan_after: datetime | None = None
    prompted_through: date | None = None

    @property
    def label(self) -> str:
        return f"{'subscription' if self.user_id else 'chat subscription'} {self.row}"


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


PEOPLE = ("SELECT s.rowid, s.platform, s.user_id, s.chat_id, s.next_prompt_at, u.timezone,"
          " u.send_at, s.created_at, s.plan_after, s.prompted_through FROM subscriptions s"
          " LEFT JOIN user_settings u USING (platform, user_id)")
CHATS = ("SELECT rowid, platform, NULL, chat_id, next_prompt_at, NULL, NULL, created_at,"
         " plan_after, prompted_through FROM chat_subscriptions")


def _due(r) -> DuePrompt:
    return DuePrompt(r[1], r[2], r[3], _when(r[4]), r[5], r[6], r[0], _when(r[7]), _when(r[8]),
                     _day(r[9]))


class PlanningStore:
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

    async def plan_prompt(self, due: DuePrompt, at: datetime, first_day: date) -> None:
        """Store when a (new, resumed or changed) subscription's next prompt is due. The days
        before `first_day` are done, or were never owed (before it was subscribed): recorded in
        prompted_through, and plan_after is settled."""
        table, key_col, key = (("subscriptions", "user_id", due.user_id) if due.user_id
                               else ("chat_subscriptions", "chat_id", due.chat_id))
        before = date.fromordinal(first_day.toordinal() - 1).isoformat()
        async with self.transaction() as db:
            await db.execute(
                f"UPDATE {table} SET next_prompt_at = ?, plan_after = ?,"
                " prompted_through = MAX(COALESCE(prompted_through, ''), ?)"
                f" WHERE platform = ? AND {key_col} = ?",
                (iso(at), SETTLED, before, due.platform, key),
            )

    async def subscriptions_without_schedule(self, limit: int = 500) -> list[DuePrompt]:
        """Active subscriptions with no next prompt yet (new, resumed, or settings changed)."""
        rows = await self._all(
            f"{PEOPLE} WHERE s.active = 1 AND s.next_prompt_at IS NULL AND s.prompts_over = 0"
            " LIMIT ?", (limit,))
        return [_due(r) for r in rows]

    async def chats_without_schedule(self, limit: int = 500) -> list[DuePrompt]:
        rows = await self._all(
            f"{CHATS} WHERE active = 1 AND next_prompt_at IS NULL AND prompts_over = 0 LIMIT ?",
            (limit,))
        return [_due(r) for r in rows]

    async def due_prompts(
        self, now: datetime, platforms: tuple[str, ...], limit: int = 500
    ) -> list[DuePrompt]:
        """Subscriptions (people, then chats) on `platforms` whose next prompt time has come."""
        marks = ",".join("?" * len(platforms))
        people = await self._all(
            f"{PEOPLE} WHERE s.active = 1 AND s.next_prompt_at <= ? AND s.platform IN ({marks})"
            " ORDER BY s.next_prompt_at LIMIT ?", (iso(now), *platforms, limit))
        chats = await self._all(
            f"{CHATS} WHERE active = 1 AND next_prompt_at <= ? AND platform IN ({marks})"
            " ORDER BY next_prompt_at LIMIT ?", (iso(now), *platforms, limit))
        return [_due(r) for r in people] + [_due(r) for r in chats]

    async def reopen_prompts(self, deadline: datetime, now: datetime) -> int:
        """A deadline still ahead re-opens subscriptions closed for an earlier one (the config's
        deadline was moved later): they are planned again, and get a closing message of their
        own when the new deadline passes."""
        if deadline <= now:
            return 0
        async with self.transaction() as db:
            reopened = 0
            for table in ("subscriptions", "chat_subscriptions"):
                # Like a resumption: from the next slot on, not a catch-up of today's.
                cursor = await db.execute(
                    f"UPDATE {table} SET prompts_over = 0, next_prompt_at = NULL, plan_after = ?"
                    " WHERE prompts_over = 1", (iso(now),))
                reopened += cursor.rowcount
            return reopened

    async def replan_defaults(self, defaults: str) -> int:
        """When the campaign's default zone or send time (`defaults`) differs from the one
        planned with, re-plan every subscription that uses a default: the new time takes effect
        from the next prompt, not a day late. The first start only records it."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "SELECT value FROM platform_state WHERE platform = '' AND key = 'prompt_defaults'")
            row = await cursor.fetchone()
            if row is not None and row[0] == defaults:
                return 0
            await db.execute(
                "INSERT INTO platform_state (platform, key, value)"
                " VALUES ('', 'prompt_defaults', ?)"
                " ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value", (defaults,))
            if row is None:
                return 0
            cursor = await db.execute(
                "UPDATE subscriptions SET next_prompt_at = NULL WHERE prompts_over = 0 AND"
                " NOT EXISTS (SELECT 1 FROM user_settings u WHERE u.platform ="
                " subscriptions.platform AND u.user_id = subscriptions.user_id"
                " AND u.timezone IS NOT NULL AND u.send_at IS NOT NULL)")
            people = cursor.rowcount
            cursor = await db.execute(
                "UPDATE chat_subscriptions SET next_prompt_at = NULL WHERE prompts_over = 0")
            return people + cursor.rowcount

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
        *,
        expires_at: datetime | None = None,
        prompted: date | None = None,
    ) -> bool:
        """Queue one prompt (or record it skipped when message_id is None; or, with neither a
        key nor a message, only close the subscription) and move the subscription on to its next
        prompt, in one transaction. The UNIQUE idempotency key makes a repeat (a restart between
        the two steps, say) a no-op. True if a row was added."""
        table, key_col, key = (("subscriptions", "user_id", due.user_id) if due.user_id
                               else ("chat_subscriptions", "chat_id", due.chat_id))
        async with self.transaction() as db:
            added = 0
            if idem_key:
                cursor = await db.execute(
                    "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, state,"
                    " not_before, updated_at, expires_at, priority) VALUES (?,?,?,?,?,?,?,?,?,1)"
                    " ON CONFLICT (idem_key) DO NOTHING",
                    (message_id, due.platform, due.chat_id, due.user_id, idem_key,
                     "skipped" if message_id is None else "pending", iso(now), iso(now),
                     iso(expires_at) if expires_at else None),
                )
                added = cursor.rowcount
            await db.execute(
                f"UPDATE {table} SET next_prompt_at = ?, prompts_over = ?,"
                f" prompted_through = COALESCE(?, prompted_through)"
                f" WHERE platform = ? AND {key_col} = ?",
                (iso(next_at) if next_at else None, int(over),
                 prompted.isoformat() if prompted else None, due.platform, key),
            )
            return added == 1

    async def enqueue_rsvp_reminders(
        self, event_id: str, kind: str, message_id: int, platforms: tuple[str, ...],
        now: datetime, starts_at: datetime,
    ) -> int:
        """One reminder per RSVP, kind and start time, to the person's private chat (on both
        platforms a private chat is addressed by the user id). Keyed by the start time, so a
        moved event gets reminders of its own; valid until the event starts."""
        if not platforms:
            return 0
        marks = ",".join("?" * len(platforms))
        stamp = f"{starts_at.astimezone(UTC):%Y%m%dT%H%M}Z"
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
                " updated_at, expires_at, event_id, priority) SELECT ?, platform, user_id,"
                " user_id, 'reminder:' || ? || ':' || event_id || ':' || ? || ':' || platform"
                " || ':' || user_id, ?, ?, ?, event_id, 1"
                f" FROM rsvps WHERE event_id = ? AND platform IN ({marks})"
                " ON CONFLICT (idem_key) DO NOTHING",
                (message_id, kind, stamp, iso(now), iso(now), iso(starts_at), event_id,
                 *platforms),
            )
            return cursor.rowcount


# Cancelling what depends on a choice the person just undid: called inside the transaction
# that undoes it, so no worker can claim the row in between (the claim re-checks as well).

async def cancel_reminders(db: aiosqlite.Connection, platform: str, user_id: str,
                           event_ids: list[str], now: datetime) -> None:
    await db.executemany(
        "UPDATE outbox SET state = 'cancelled', reason = 'rsvp_cancelled', updated_at = ?"
        " WHERE platform = ? AND user_id = ? AND event_id = ? AND state = 'pending'",
        [(iso(now), platform, user_id, event) for event in event_ids],
    )


async def cancel_prompts(db: aiosqlite.Connection, platform: str, user_id: str,
                         now: datetime) -> None:
    await db.execute(
        "UPDATE outbox SET state = 'cancelled', reason = 'unsubscribed', updated_at = ?"
        " WHERE platform = ? AND user_id = ? AND state = 'pending'"
        " AND (SELECT kind FROM messages m WHERE m.id = outbox.message_id)"
        f" IN {PROMPT_KINDS}",
        (iso(now), platform, user_id),
    )


async def cancel_chat_posts(db: aiosqlite.Connection, platform: str, chat_id: str,
                            now: datetime) -> None:
    """A group or channel unsubscribed: its daily post, and announcements to 'channels and
    groups' that reached it only as a subscribed chat."""
    await db.execute(
        "UPDATE outbox SET state = 'cancelled', reason = 'unsubscribed', updated_at = ?"
        " WHERE platform = ? AND state = 'pending' AND chat_id = ? AND user_id IS NULL"
        " AND ((SELECT kind FROM messages m WHERE m.id = outbox.message_id)"
        f" IN {PROMPT_KINDS}"
        "  OR message_id IN (SELECT message_id FROM announcements WHERE audience = 'chats'))",
        (iso(now), platform, chat_id),
    )


async def cancel_unowed_announcements(db: aiosqlite.Connection, platform: str, user_id: str,
                                      reason: str, now: datetime) -> None:
    """Rows of 'everyone' announcements (daily-prompt subscribers and signers who asked for
    updates) for a person who is now neither."""
    await db.execute(
        "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ?"
        " WHERE platform = ? AND user_id = ? AND state = 'pending' AND message_id IN"
        " (SELECT message_id FROM announcements WHERE audience = 'everyone')"
        " AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE platform = ? AND user_id = ?"
        "  AND active = 1)"
        " AND NOT EXISTS (SELECT 1 FROM signatures WHERE platform = ? AND user_id = ?"
        "  AND wants_updates = 1)",
        (reason, iso(now), platform, user_id, platform, user_id, platform, user_id),
    )

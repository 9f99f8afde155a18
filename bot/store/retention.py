"""SQL for what is held about a person beyond their own choices (/mydata's fuller picture) and
for retention: per-person history purged once the README's "Retention" periods have passed
(bot/housekeeping.py decides when and passes the periods). A mixin of Storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .common import iso

# An outbox row in any other state has reached its final state (delivered, gone, failed,
# uncertain, cancelled, skipped, expired, and any final state added later).
UNSETTLED = "('pending', 'sending')"
ANNOUNCEMENT_MESSAGES = "(SELECT id FROM messages WHERE kind = 'announcement')"


@dataclass(frozen=True)
class HeldAbout:
    """What /mydata shows beyond the signature, RSVPs, subscription, settings and forms."""

    # message kind ('prompt', 'reminder', 'announcement', ...) -> outbox state -> rows
    messages: dict[str, dict[str, int]]
    paused_reason: str | None  # why their daily prompts are paused, when they are
    unreachable: tuple[str, datetime] | None  # (reason, since) for their private chat
    announcements: list[int]  # ids of the announcements they wrote
    chats_subscribed: int = 0  # groups and channels whose daily post they subscribed


class RetentionStore:
    async def held_about(self, platform: str, user_id: str) -> HeldAbout:
        rows = await self._all(
            # A row recorded without a message (a skipped prompt) takes its kind from its
            # idempotency key ("prompt:...").
            "SELECT COALESCE(m.kind, substr(o.idem_key, 1, instr(o.idem_key, ':') - 1)),"
            " o.state, COUNT(*) FROM outbox o LEFT JOIN messages m ON m.id = o.message_id"
            " WHERE o.platform = ? AND o.user_id = ? GROUP BY 1, 2 ORDER BY 1, 2",
            (platform, user_id),
        )
        messages: dict[str, dict[str, int]] = {}
        for kind, state, count in rows:
            messages.setdefault(kind, {})[state] = count
        paused = await self._one(
            "SELECT paused_reason FROM subscriptions WHERE platform = ? AND user_id = ?"
            " AND active = 0", (platform, user_id))
        # Both platforms address a person's private chat by their user id.
        unreachable = await self._one(
            "SELECT reason, since FROM unreachable WHERE platform = ? AND chat_id = ?",
            (platform, user_id))
        written = await self._all(
            "SELECT id FROM announcements WHERE author_platform = ? AND author_id = ?"
            " ORDER BY id", (platform, user_id))
        chats = await self._scalar(
            "SELECT COUNT(*) FROM chat_subscriptions WHERE platform = ? AND subscribed_by = ?",
            (platform, user_id))
        return HeldAbout(
            messages=messages,
            chats_subscribed=chats,
            paused_reason=paused[0] if paused else None,
            unreachable=(unreachable[0], datetime.fromisoformat(unreachable[1]))
            if unreachable else None,
            announcements=[r[0] for r in written],
        )

    async def purge_history(self, now: datetime, *, retention: timedelta,
                            form_lifetime: timedelta, ended_events: tuple[str, ...] = ()
                            ) -> dict[str, int]:
        """Delete (or strip of who it was about) what has been kept long enough, in one
        transaction; then empty the WAL if anything went. Returns rows touched per rule."""
        old, stale = iso(now - retention), iso(now - form_lifetime)
        done: dict[str, int] = {}
        async with self.transaction() as db:
            async def run(rule: str, sql: str, params=()) -> None:
                done[rule] = (await db.execute(sql, params)).rowcount

            await run("form_sessions", "DELETE FROM form_sessions WHERE updated_at < ?",
                      (stale,))
            # Prompts and reminders long settled: nothing needs them.
            await run("outbox_deleted",
                      f"DELETE FROM outbox WHERE state NOT IN {UNSETTLED} AND updated_at < ?"
                      f" AND (message_id IS NULL OR message_id NOT IN {ANNOUNCEMENT_MESSAGES})",
                      (old,))
            # An announcement's rows keep its report's totals (state per platform), without
            # saying whom they went to. The idempotency key named the chat; it is no longer
            # needed (the announcement is finished) but must stay unique.
            await run("outbox_anonymised",
                      "UPDATE outbox SET chat_id = '', user_id = NULL, idem_key = 'purged:' || id"
                      f" WHERE state NOT IN {UNSETTLED} AND updated_at < ?"
                      " AND idem_key NOT LIKE 'purged:%'", (old,))
            await run("actions_done", "DELETE FROM actions_done WHERE done_at < ?", (old,))
            marks = ",".join("?" * len(ended_events))
            await run("rsvps", f"DELETE FROM rsvps WHERE event_id IN ({marks})", ended_events)
            # A chat found unreachable matters while some audience still includes it: the
            # note keeps us from sending there again (on Discord every refused send counts
            # against the bot). Once nothing would send there, the note goes.
            await run("unreachable",
                      "DELETE FROM unreachable AS u WHERE NOT EXISTS (SELECT 1 FROM"
                      " subscriptions s WHERE s.platform = u.platform AND s.chat_id = u.chat_id)"
                      " AND NOT EXISTS (SELECT 1 FROM signatures g WHERE g.wants_updates = 1"
                      " AND g.platform = u.platform AND g.user_id = u.chat_id)"
                      " AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE r.platform = u.platform"
                      " AND r.user_id = u.chat_id)"
                      " AND NOT EXISTS (SELECT 1 FROM chat_subscriptions c"
                      " WHERE c.platform = u.platform AND c.chat_id = u.chat_id)")
            await run("announcement_drafts",
                      "DELETE FROM announcements WHERE status = 'draft' AND created_at < ?",
                      (stale,))
            await run("announcement_authors",
                      "UPDATE announcements SET author_id = '', author_name = '', author_chat = ''"
                      " WHERE status IN ('done', 'cancelled') AND author_id != ''"
                      " AND COALESCE(finished_at, created_at) < ?", (old,))
        if any(done.values()):
            await self.checkpoint()
        return done

"""SQL for recipients that change: a chat the bot can no longer send to (paused, and its
subscriber told), and a chat the platform gave a new id (moved).

A mixin of Storage (bot/storage.py): it uses that class's connection and write lock.
"""

from __future__ import annotations

import json
from datetime import datetime

from .common import iso


class RecipientStore:
    async def deactivate_recipient(
        self, platform: str, chat_id: str, reason: str, now: datetime,
        notice: dict | None = None,
    ) -> None:
        """The recipient is gone (blocked the bot, left, closed DMs, or the bot may no longer
        post in a subscribed chat): never send there again until they come back (subscribe
        again, unblock the bot). When this pauses a chat's subscription, the person who
        subscribed it gets `notice` (a message body) in their private chat: once per pause,
        queued in the same transaction."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO unreachable (platform, chat_id, reason, since) VALUES (?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                (platform, chat_id, reason, iso(now)),
            )
            await db.execute(
                "UPDATE subscriptions SET active = 0, paused_reason = ?, pause_noticed = 0"
                " WHERE platform = ? AND chat_id = ? AND active = 1",
                (reason, platform, chat_id),
            )
            cursor = await db.execute(
                "UPDATE chat_subscriptions SET active = 0 WHERE platform = ? AND chat_id = ?"
                " AND active = 1 RETURNING subscribed_by",
                (platform, chat_id),
            )
            paused = await cursor.fetchone()
            # Whatever else waits for that chat would fail the same way (and each failure
            # counts against Discord's invalid-request budget).
            await db.execute(
                "UPDATE outbox SET state = 'gone', reason = ?, updated_at = ?"
                " WHERE platform = ? AND chat_id = ? AND state = 'pending'",
                (reason, iso(now), platform, chat_id),
            )
            if notice is not None and paused is not None and paused[0]:
                subscriber, key = paused[0], f"chat-paused:{platform}:{chat_id}:{iso(now)}"
                await db.execute(
                    "INSERT INTO messages (key, kind, body, created_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (key) DO NOTHING",
                    (key, "notice", json.dumps(notice), iso(now)),
                )
                # A private chat is addressed by the user id on both platforms.
                await db.execute(
                    "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key,"
                    " not_before, updated_at) SELECT id, ?, ?, ?, key, ?, ? FROM messages"
                    " WHERE key = ? ON CONFLICT (idem_key) DO NOTHING",
                    (platform, subscriber, subscriber, iso(now), iso(now), key),
                )

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """The platform gave a chat a new id (a Telegram group upgraded to a supergroup): its
        subscription, its campaign panel and the messages still waiting for it follow it,
        instead of failing at the old id. What the new id already has wins. True if anything
        moved. The panel's message stays behind in the old (now read-only) group, and the new
        chat numbers its own messages: the moved panel has no message ('') until the panel
        service posts one, so no edit can hit another message that has the old id there."""
        moved = 0
        async with self.transaction() as db:
            # One row per chat in each: moved unless the new id has its own (OR IGNORE), and
            # the old id's row, moved or not, goes.
            for table, becomes in (("chat_subscriptions", "chat_id = ?"),
                                   ("panels", "chat_id = ?, message_id = '', shown = ''")):
                cursor = await db.execute(
                    f"UPDATE OR IGNORE {table} SET {becomes} WHERE platform = ? AND chat_id = ?",
                    (new_chat_id, platform, old_chat_id))
                moved += cursor.rowcount
                await db.execute(f"DELETE FROM {table} WHERE platform = ? AND chat_id = ?",
                                 (platform, old_chat_id))
            queued = await db.execute(
                "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ?"
                " AND state IN ('pending', 'sending')",
                (new_chat_id, platform, old_chat_id),
            )
            return moved + queued.rowcount > 0

    async def recipient_language(self, platform: str, user_id: str) -> str | None:
        """The language to write to one person in, when nothing they sent says so: their
        /settings choice, else what their app reported when they last subscribed, RSVPed or
        subscribed a chat; None: never told (the caller uses the campaign's default)."""
        row = await self._one(
            "SELECT COALESCE("
            " (SELECT language FROM user_settings WHERE platform = ?1 AND user_id = ?2),"
            " (SELECT language FROM subscriptions WHERE platform = ?1 AND user_id = ?2),"
            " (SELECT language FROM rsvps WHERE platform = ?1 AND user_id = ?2"
            "  AND language IS NOT NULL ORDER BY created_at DESC LIMIT 1),"
            " (SELECT subscriber_language FROM chat_subscriptions WHERE platform = ?1"
            "  AND subscribed_by = ?2 AND subscriber_language IS NOT NULL LIMIT 1))",
            (platform, user_id),
        )
        return row[0] if row else None

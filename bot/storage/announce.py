"""SQL for moderator announcements: drafts, the queue (one sends at a time) and audiences.

A mixin of Storage. Audiences are copied into the outbox with INSERT ... SELECT inside SQLite,
so 100,000 recipients never pass through Python memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .common import iso


@dataclass(frozen=True)
class Announcement:
    id: int
    author_platform: str
    author_id: str
    author_name: str
    author_chat: str
    text: str
    audience: str | None
    event_id: str | None
    send_at: datetime | None
    status: str
    message_id: int | None
    progress_id: str | None
    created_at: datetime
    finished_at: datetime | None


def _announcement(row) -> Announcement:
    when = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    return Announcement(
        row["id"], row["author_platform"], row["author_id"], row["author_name"],
        row["author_chat"], row["text"], row["audience"], row["event_id"], when(row["send_at"]),
        row["status"], row["message_id"], row["progress_id"], when(row["created_at"]),
        when(row["finished_at"]),
    )


# Who receives an announcement, by audience, as (platform, chat_id, user_id). Both platforms
# address a person's private chat by their user id. UNION and the outbox's UNIQUE idempotency
# key remove the overlap between subscribers and signers who asked for updates; chats known to
# be unreachable (blocked the bot, closed DMs) are left out.
AUDIENCE_SQL = {
    "everyone": (
        "SELECT platform, chat_id, user_id FROM subscriptions WHERE active = 1"
        " AND platform IN ({platforms})"
        " UNION SELECT platform, user_id AS chat_id, user_id FROM signatures"
        " WHERE wants_updates = 1 AND platform IN ({platforms})"
    ),
    "event": (
        "SELECT platform, user_id AS chat_id, user_id FROM rsvps WHERE event_id = :event"
        " AND platform IN ({platforms})"
    ),
    "chats": (
        "SELECT platform, chat_id, NULL AS user_id FROM chat_subscriptions WHERE active = 1"
        " AND platform IN ({platforms})"
    ),
}
REACHABLE = (" WHERE NOT EXISTS (SELECT 1 FROM unreachable u WHERE u.platform = a.platform"
             " AND u.chat_id = a.chat_id)")


def audience_query(audience: str, event_id: str | None, platforms: tuple[str, ...]):
    names = [f"p{i}" for i in range(len(platforms))]
    sql = AUDIENCE_SQL[audience].format(platforms=",".join(f":{n}" for n in names))
    params = dict(zip(names, platforms), event=event_id)
    return f"SELECT a.platform, a.chat_id, a.user_id FROM ({sql}) a{REACHABLE}", params


class AnnouncementStore:
    async def create_announcement(
        self, platform: str, author_id: str, author_name: str, chat_id: str, text: str,
        now: datetime,
    ) -> int:
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO announcements (author_platform, author_id, author_name, author_chat,"
                " text, created_at) VALUES (?,?,?,?,?,?)",
                (platform, author_id, author_name, chat_id, text, iso(now)),
            )
            return cursor.lastrowid

    async def announcement(self, announcement_id: int) -> Announcement | None:
        row = await self._one("SELECT * FROM announcements WHERE id = ?", (announcement_id,))
        return _announcement(row) if row else None

    async def update_announcement(self, announcement_id: int, *, expect: tuple[str, ...],
                                  **fields) -> bool:
        """Change fields only while the status is one of `expect`: a stale button (say Confirm
        pressed twice, or after Cancel) changes nothing."""
        allowed = {"audience", "event_id", "send_at", "status", "message_id", "progress_id",
                   "started_at", "finished_at"}
        if not fields or not fields.keys() <= allowed:
            raise ValueError(f"cannot update {sorted(fields)}")
        values = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
        sets = ", ".join(f"{key} = ?" for key in fields)
        marks = ",".join("?" * len(expect))
        async with self.transaction() as db:
            cursor = await db.execute(
                f"UPDATE announcements SET {sets} WHERE id = ? AND status IN ({marks})",
                (*values, announcement_id, *expect),
            )
            return cursor.rowcount == 1

    async def audience_size(self, audience: str, event_id: str | None,
                            platforms: tuple[str, ...]) -> dict[str, int]:
        if not platforms:
            return {}
        sql, params = audience_query(audience, event_id, platforms)
        rows = await self._all(f"SELECT platform, COUNT(*) FROM ({sql}) GROUP BY platform",
                               params)
        return {row[0]: row[1] for row in rows}

    async def enqueue_announcement(self, announcement: Announcement, message_id: int,
                                   platforms: tuple[str, ...], now: datetime) -> int:
        """One outbox row per recipient, in one statement inside SQLite."""
        if not platforms:
            return 0
        sql, params = audience_query(announcement.audience, announcement.event_id, platforms)
        params.update(message=message_id, prefix=f"ann:{announcement.id}:", now=iso(now))
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
                " updated_at) SELECT :message, platform, chat_id, user_id,"
                " :prefix || platform || ':' || chat_id, :now, :now"
                f" FROM ({sql}) WHERE true ON CONFLICT (idem_key) DO NOTHING",
                params,
            )
            return cursor.rowcount

    async def announcements_in(self, statuses: tuple[str, ...], limit: int = 20
                               ) -> list[Announcement]:
        marks = ",".join("?" * len(statuses))
        rows = await self._all(
            f"SELECT * FROM announcements WHERE status IN ({marks}) ORDER BY id LIMIT ?",
            (*statuses, limit),
        )
        return [_announcement(r) for r in rows]

    async def recent_announcements(self, limit: int = 10) -> list[Announcement]:
        rows = await self._all(
            "SELECT * FROM announcements WHERE status != 'draft' ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [_announcement(r) for r in rows]

    async def unfinished_rows(self, message_id: int) -> int:
        return await self._scalar(
            "SELECT COUNT(*) FROM outbox WHERE message_id = ? AND state IN ('pending', 'sending')",
            (message_id,),
        )

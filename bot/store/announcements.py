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
    valid_hours: int | None = None  # the moderator's choice; None: the default
    expires_at: datetime | None = None  # set at Confirm: nothing goes out after it


@dataclass(frozen=True)
class Cancelled:
    """What Cancel found, read in the transaction that cancelled: `sent` rows had already been
    handed to the platform (or were on their way), `cancelled` rows now never will be."""
    sent: int
    total: int
    cancelled: int


def _announcement(row) -> Announcement:
    when = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    return Announcement(
        row["id"], row["author_platform"], row["author_id"], row["author_name"],
        row["author_chat"], row["text"], row["audience"], row["event_id"], when(row["send_at"]),
        row["status"], row["message_id"], row["progress_id"], when(row["created_at"]),
        when(row["finished_at"]), row["valid_hours"], when(row["expires_at"]),
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

    async def save_announcement_version(self, announcement_id: int, language: str,
                                        text: str) -> bool:
        """Add (or replace) the `language` version of a draft; False when it is no longer a
        draft (a stale form changes nothing)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO announcement_versions (announcement_id, language, text)"
                " SELECT id, ?, ? FROM announcements WHERE id = ? AND status = 'draft'"
                " ON CONFLICT (announcement_id, language) DO UPDATE SET text = excluded.text",
                (language, text, announcement_id),
            )
            return cursor.rowcount == 1

    async def announcement_versions(self, announcement_id: int) -> dict[str, str]:
        """language -> text of the versions added to the default's (none: everyone gets it)."""
        rows = await self._all(
            "SELECT language, text FROM announcement_versions WHERE announcement_id = ?"
            " ORDER BY rowid", (announcement_id,))
        return {row[0]: row[1] for row in rows}

    async def announcement(self, announcement_id: int) -> Announcement | None:
        row = await self._one("SELECT * FROM announcements WHERE id = ?", (announcement_id,))
        return _announcement(row) if row else None

    async def update_announcement(self, announcement_id: int, *, expect: tuple[str, ...],
                                  **fields) -> bool:
        """Change fields only while the status is one of `expect`: a stale button (say Confirm
        pressed twice, or after Cancel) changes nothing."""
        allowed = {"audience", "event_id", "send_at", "status", "message_id", "progress_id",
                   "started_at", "finished_at", "valid_hours", "expires_at"}
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

    async def start_announcement(self, announcement: Announcement, message_id: int,
                                 platforms: tuple[str, ...], expires_at: datetime,
                                 now: datetime) -> int | None:
        """queued -> sending, with one outbox row per recipient, in ONE transaction: this and
        `cancel_announcement` are one decision, whichever comes first wins. None when it is no
        longer queued (cancelled meanwhile): nothing is queued then. The audience is copied
        inside SQLite, so 100,000 recipients never pass through Python memory."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE announcements SET status = 'sending', message_id = ?, started_at = ?,"
                " expires_at = ? WHERE id = ? AND status = 'queued'",
                (message_id, iso(now), iso(expires_at), announcement.id),
            )
            if cursor.rowcount != 1:
                return None
            if not platforms:
                return 0
            sql, params = audience_query(announcement.audience, announcement.event_id,
                                         platforms)
            params.update(message=message_id, prefix=f"ann:{announcement.id}:", now=iso(now),
                          expires=iso(expires_at))
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, not_before,"
                " updated_at, expires_at) SELECT :message, platform, chat_id, user_id,"
                " :prefix || platform || ':' || chat_id, :now, :now, :expires"
                f" FROM ({sql}) WHERE true ON CONFLICT (idem_key) DO NOTHING",
                params,
            )
            return cursor.rowcount

    async def cancel_announcement(self, announcement_id: int, now: datetime) -> Cancelled | None:
        """Cancel it and every row of it not yet sent, in one transaction (see
        `start_announcement`). None when it can no longer be cancelled (done, or cancelled)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE announcements SET status = 'cancelled', finished_at = ? WHERE id = ?"
                " AND status IN ('draft', 'scheduled', 'queued', 'sending') RETURNING message_id",
                (iso(now), announcement_id),
            )
            rows = await cursor.fetchall()  # to the end, so the statement is done before COMMIT
            if not rows:
                return None
            row = rows[0]
            if row[0] is None:
                return Cancelled(0, 0, 0)
            cursor = await db.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?"
                " WHERE message_id = ? AND state = 'pending'",
                (iso(now), row[0]),
            )
            cancelled = cursor.rowcount
            cursor = await db.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE state IN ('sending', 'delivered', 'gone',"
                " 'failed', 'uncertain')) FROM outbox WHERE message_id = ?",
                (row[0],),
            )
            total, sent = await cursor.fetchone()
            return Cancelled(sent, total, cancelled)

    async def expire_announcement_rows(self, now: datetime) -> int:
        """Rows of announcements past their expiry that are still waiting become 'expired',
        never sent: those of one being sent, and those held for a platform that is not
        connected (which no worker would ever look at)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE outbox SET state = 'expired', updated_at = :now WHERE state = 'pending'"
                " AND expires_at <= :now AND message_id IN (SELECT message_id FROM announcements"
                " WHERE message_id IS NOT NULL AND expires_at <= :now"
                " AND status IN ('sending', 'done'))",
                {"now": iso(now)},
            )
            return cursor.rowcount

    async def announcement_authors(self) -> list[tuple[str, str]]:
        """(platform, user id) of everyone who has opened an announcement: the moderators who
        hear about delivery trouble. Erased authors (/forget) are left out."""
        rows = await self._all(
            "SELECT DISTINCT author_platform, author_id FROM announcements"
            " WHERE author_id != '' ORDER BY author_platform, author_id"
        )
        return [(row[0], row[1]) for row in rows]

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

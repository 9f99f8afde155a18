"""All SQL of the bot: schema, migrations and the domain methods handlers call.

One aiosqlite connection is shared by every task, and a connection has ONE transaction: if two
tasks interleaved writes, one task's ROLLBACK would undo the other's committed-looking rows. So
every write runs inside `transaction()`, which holds an asyncio lock around BEGIN IMMEDIATE ...
COMMIT/ROLLBACK. Never await network I/O inside it.
"""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import aiosqlite

from .announce import Announcement, AnnouncementStore  # noqa: F401 (re-exported)
from .delivery import DeliveryStore, DuePrompt, OutboxRow  # noqa: F401 (re-exported)
from .migrations import MIGRATIONS

# Tables that hold rows about a person, keyed by (platform, user_id). /forget erases from each.
PERSONAL_TABLES = ("signatures", "rsvps", "subscriptions", "user_settings", "form_sessions",
                   "outbox", "actions_done")


class DatabaseTooNew(RuntimeError):
    pass


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Signature:
    number: int
    platform: str
    user_id: str
    name: str | None
    email: str | None
    postcode: str | None
    wants_updates: bool
    consent_text: str
    consent_version: str
    signed_at: datetime


@dataclass(frozen=True)
class SignResult:
    signature: Signature
    created: bool
    total: int


@dataclass(frozen=True)
class FormSession:
    form_id: str
    step: int
    values: dict[str, str | None]


@dataclass(frozen=True)
class Subscription:
    chat_id: str
    active: bool
    since: datetime


@dataclass(frozen=True)
class Settings:
    timezone: str | None
    send_at: str | None


@dataclass(frozen=True)
class Stats:
    signatures: int
    signatures_today: int
    signatures_7_days: int
    per_platform: dict[str, int]
    wants_updates: int
    rsvps: dict[str, int]
    active_subscribers: int
    subscribed_chats: int = 0


class Storage(DeliveryStore, AnnouncementStore):
    def __init__(self, db: aiosqlite.Connection, path: str):
        self._db = db
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | os.PathLike) -> Storage:
        db = await aiosqlite.connect(str(path), isolation_level=None)  # we issue BEGIN ourselves
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")  # the backup command may hold a lock
            store = cls(db, str(path))
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _migrate(self) -> None:
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise DatabaseTooNew(
                f"database schema version {version} is newer than this bot "
                f"({len(MIGRATIONS)}); upgrade the bot or restore a backup"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._write_lock:
                # One script per migration, with the version bump inside the same transaction.
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            return (await cursor.fetchone())[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")

    async def _one(self, sql: str, params=()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params=()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _scalar(self, sql: str, params=()) -> int:
        row = await self._one(sql, params)
        return row[0] if row else 0

    # Petition ------------------------------------------------------------------------------

    async def sign(
        self,
        platform: str,
        user_id: str,
        *,
        name: str | None,
        email: str | None,
        postcode: str | None,
        wants_updates: bool,
        consent_text: str,
        consent_version: str,
        now: datetime,
    ) -> SignResult:
        """Store a signature once; signing again returns the existing one unchanged."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO signatures (platform, user_id, name, email, postcode, wants_updates,"
                " consent_text, consent_version, signed_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (platform, user_id) DO NOTHING",
                (platform, user_id, name, email, postcode, int(wants_updates), consent_text,
                 consent_version, iso(now)),
            )
            created = cursor.rowcount == 1
        signature = await self.signature_of(platform, user_id)
        return SignResult(signature, created, await self.signature_total())

    async def signature_of(self, platform: str, user_id: str) -> Signature | None:
        row = await self._one(
            "SELECT * FROM signatures WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return _signature(row) if row else None

    async def withdraw(self, platform: str, user_id: str) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM signatures WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            return cursor.rowcount > 0

    async def signature_total(self) -> int:
        return await self._scalar("SELECT COUNT(*) FROM signatures")

    async def iter_signatures(self, batch: int = 500) -> AsyncIterator[Signature]:
        """Every signature in signing order, read in batches so memory stays flat."""
        last = 0
        while True:
            rows = await self._all(
                "SELECT * FROM signatures WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for row in rows:
                yield _signature(row)
            last = rows[-1]["id"]

    # Week of Action ------------------------------------------------------------------------

    async def rsvps_of(self, platform: str, user_id: str) -> set[str]:
        rows = await self._all(
            "SELECT event_id FROM rsvps WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return {row[0] for row in rows}

    async def set_rsvps(
        self, platform: str, user_id: str, going: set[str], not_going: set[str], now: datetime
    ) -> None:
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO rsvps (platform, user_id, event_id, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                [(platform, user_id, event, iso(now)) for event in sorted(going)],
            )
            await db.executemany(
                "DELETE FROM rsvps WHERE platform = ? AND user_id = ? AND event_id = ?",
                [(platform, user_id, event) for event in sorted(not_going)],
            )

    async def rsvp_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT event_id, COUNT(*) FROM rsvps GROUP BY event_id")
        return {row[0]: row[1] for row in rows}

    # Daily prompts -------------------------------------------------------------------------

    async def subscribe(self, platform: str, user_id: str, chat_id: str, now: datetime) -> bool:
        """Subscribe (or resume); False when already active."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO subscriptions (platform, user_id, chat_id, active, created_at)"
                " VALUES (?,?,?,1,?) ON CONFLICT (platform, user_id) DO UPDATE"
                " SET active = 1, chat_id = excluded.chat_id, next_prompt_at = NULL,"
                " paused_reason = NULL WHERE active = 0",
                (platform, user_id, chat_id, iso(now)),
            )
            # Subscribing again is the person saying they can be reached again.
            await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                             (platform, chat_id))
            return cursor.rowcount == 1

    async def unsubscribe(self, platform: str, user_id: str) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            return cursor.rowcount > 0

    async def set_subscription_active(
        self, platform: str, user_id: str, active: bool, reason: str | None = None
    ) -> bool:
        """Pause (with a reason such as "blocked" or "dms_closed") or resume a subscription.
        True if it changed; a person without a subscription gets none."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET active = ?, paused_reason = ?, pause_noticed = 0,"
                " next_prompt_at = NULL WHERE platform = ? AND user_id = ? AND active != ?",
                (int(active), None if active else reason, platform, user_id, int(active)),
            )
            if active:  # unblocked: their private chat (addressed by user id) works again
                await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                                 (platform, user_id))
            return cursor.rowcount > 0

    async def take_pause_notice(self, platform: str, user_id: str) -> str | None:
        """The reason a subscription was paused, once: the first call after a pause returns it
        (so the person can be told why), later calls return None."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET pause_noticed = 1 WHERE platform = ? AND user_id = ?"
                " AND active = 0 AND pause_noticed = 0 AND paused_reason IS NOT NULL"
                " RETURNING paused_reason",
                (platform, user_id),
            )
            row = await cursor.fetchone()
            return row[0] if row else None

    async def subscribe_chat(self, platform: str, chat_id: str, now: datetime) -> bool:
        """Subscribe a whole group or channel to the daily post; False if already."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO chat_subscriptions (platform, chat_id, active, created_at)"
                " VALUES (?,?,1,?) ON CONFLICT (platform, chat_id) DO UPDATE SET active = 1,"
                " next_prompt_at = NULL WHERE active = 0",
                (platform, chat_id, iso(now)),
            )
            return cursor.rowcount == 1

    async def unsubscribe_chat(self, platform: str, chat_id: str) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM chat_subscriptions WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            )
            return cursor.rowcount > 0

    async def chat_subscribed(self, platform: str, chat_id: str) -> bool:
        return bool(await self._scalar(
            "SELECT COUNT(*) FROM chat_subscriptions WHERE platform = ? AND chat_id = ?"
            " AND active = 1", (platform, chat_id)))

    async def platform_state(self, platform: str, key: str) -> str | None:
        row = await self._one(
            "SELECT value FROM platform_state WHERE platform = ? AND key = ?", (platform, key)
        )
        return row[0] if row else None

    async def save_platform_state(self, platform: str, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO platform_state (platform, key, value) VALUES (?,?,?)"
                " ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value",
                (platform, key, value),
            )

    async def subscription_of(self, platform: str, user_id: str) -> Subscription | None:
        row = await self._one(
            "SELECT chat_id, active, created_at FROM subscriptions"
            " WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return None
        return Subscription(row[0], bool(row[1]), datetime.fromisoformat(row[2]))

    async def settings_of(self, platform: str, user_id: str) -> Settings:
        row = await self._one(
            "SELECT timezone, send_at FROM user_settings WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return Settings(row[0], row[1]) if row else Settings(None, None)

    async def save_setting(
        self, platform: str, user_id: str, key: str, value: str, now: datetime
    ) -> None:
        if key not in ("timezone", "send_at"):
            raise ValueError(f"unknown setting {key}")
        async with self.transaction() as db:
            await db.execute(
                f"INSERT INTO user_settings (platform, user_id, {key}, updated_at)"
                f" VALUES (?,?,?,?) ON CONFLICT (platform, user_id)"
                f" DO UPDATE SET {key} = excluded.{key}, updated_at = excluded.updated_at",
                (platform, user_id, value, iso(now)),
            )
            # The next prompt moves with the new time or zone: the scheduler recomputes it.
            await db.execute(
                "UPDATE subscriptions SET next_prompt_at = NULL WHERE platform = ? AND user_id = ?"
                " AND prompts_over = 0",
                (platform, user_id),
            )

    # Forms in progress ---------------------------------------------------------------------

    async def form_session(self, platform: str, user_id: str) -> FormSession | None:
        row = await self._one(
            "SELECT form_id, step, data FROM form_sessions WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return FormSession(row[0], row[1], json.loads(row[2])) if row else None

    async def save_form_session(
        self, platform: str, user_id: str, session: FormSession, now: datetime
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO form_sessions (platform, user_id, form_id, step, data, updated_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (platform, user_id) DO UPDATE SET"
                " form_id = excluded.form_id, step = excluded.step, data = excluded.data,"
                " updated_at = excluded.updated_at",
                (platform, user_id, session.form_id, session.step, json.dumps(session.values),
                 iso(now)),
            )

    async def end_form_session(
        self, platform: str, user_id: str, form_id: str | None = None, step: int | None = None
    ) -> bool:
        """Delete the session, optionally only if it is still at `form_id`/`step`. True if this
        call removed it: of many concurrent completions exactly one wins."""
        sql = "DELETE FROM form_sessions WHERE platform = ? AND user_id = ?"
        params: list = [platform, user_id]
        if form_id is not None:
            sql += " AND form_id = ?"
            params.append(form_id)
        if step is not None:
            sql += " AND step = ?"
            params.append(step)
        async with self.transaction() as db:
            cursor = await db.execute(sql, params)
            return cursor.rowcount > 0

    async def purge_form_sessions(self, older_than: datetime) -> int:
        """Drop forms left unfinished since before `older_than` (they may hold a name or email)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM form_sessions WHERE updated_at < ?", (iso(older_than),)
            )
            return cursor.rowcount

    # Privacy -------------------------------------------------------------------------------

    async def forget(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase every row about one person, in one transaction. Returns rows erased per table."""
        erased = {}
        async with self.transaction() as db:
            for table in PERSONAL_TABLES:
                cursor = await db.execute(
                    f"DELETE FROM {table} WHERE platform = ? AND user_id = ?", (platform, user_id)
                )
                erased[table] = cursor.rowcount
            # Their private chat is addressed by their user id; a moderator's announcements
            # stay (they went to many people) but no longer say who wrote them.
            await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                             (platform, user_id))
            await db.execute(
                "UPDATE announcements SET author_id = '', author_name = '', author_chat = ''"
                " WHERE author_platform = ? AND author_id = ?", (platform, user_id))
        return erased

    # Moderators ----------------------------------------------------------------------------

    async def stats(self, now: datetime, zone: ZoneInfo) -> Stats:
        local_midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        week_ago = now - timedelta(days=7)
        per_platform = await self._all(
            "SELECT platform, COUNT(*) FROM signatures GROUP BY platform ORDER BY platform"
        )
        return Stats(
            signatures=await self.signature_total(),
            signatures_today=await self._scalar(
                "SELECT COUNT(*) FROM signatures WHERE signed_at >= ?", (iso(local_midnight),)
            ),
            signatures_7_days=await self._scalar(
                "SELECT COUNT(*) FROM signatures WHERE signed_at >= ?", (iso(week_ago),)
            ),
            per_platform={row[0]: row[1] for row in per_platform},
            wants_updates=await self._scalar(
                "SELECT COUNT(*) FROM signatures WHERE wants_updates = 1"
            ),
            rsvps=await self.rsvp_counts(),
            active_subscribers=await self._scalar(
                "SELECT COUNT(*) FROM subscriptions WHERE active = 1"
            ),
            subscribed_chats=await self._scalar(
                "SELECT COUNT(*) FROM chat_subscriptions WHERE active = 1"
            ),
        )

    # Operations ----------------------------------------------------------------------------

    async def backup(self, target: str | os.PathLike) -> None:
        """Online backup through SQLite's backup API: consistent while the bot keeps writing.
        Written next to the target and renamed, so a failed backup never leaves half a file."""
        target = Path(target)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        async with aiosqlite.connect(str(partial)) as copy:
            # The backup runs on our connection's thread. Were one of our own write
            # transactions open, SQLite would answer BUSY and Python's backup loop would retry
            # forever on the thread that must COMMIT: hold the write lock for the copy.
            async with self._write_lock:
                await self._db.backup(copy)
        os.replace(partial, target)


def _signature(row: aiosqlite.Row) -> Signature:
    return Signature(
        number=row["id"],
        platform=row["platform"],
        user_id=row["user_id"],
        name=row["name"],
        email=row["email"],
        postcode=row["postcode"],
        wants_updates=bool(row["wants_updates"]),
        consent_text=row["consent_text"],
        consent_version=row["consent_version"],
        signed_at=datetime.fromisoformat(row["signed_at"]),
    )

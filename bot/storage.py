"""The storage layer's entry point: handlers and services import Storage (and the records it
returns) from here, and nothing but this module imports the per-concern SQL in bot/store/.

Here: the connection, the write lock and transactions, the migration runner, backup, checkpoint,
owner-only files, /forget and /stats; the domain methods come from one bot/store/ mixin per
concern, composed into Storage below.

One aiosqlite connection is shared by every task, and a connection has ONE transaction: if two
tasks interleaved writes, one task's ROLLBACK would undo the other's committed-looking rows. So
every write runs inside `transaction()`, which holds an asyncio lock around BEGIN IMMEDIATE ...
COMMIT/ROLLBACK. Never await network I/O inside it.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Callable
from zoneinfo import ZoneInfo

import aiosqlite

# Re-exported: the records the domain methods return, and what tests and the CLI read.
from .store.announcements import Announcement, AnnouncementStore, Cancelled  # noqa: F401
from .store.attendance import AttendanceStore, EventTally  # noqa: F401
from .store.common import iso
from .store.migrations import MIGRATIONS
from .store.milestones import MilestoneStore
from .store.outbox import OutboxRow, OutboxStore  # noqa: F401
from .store.panels import Panel, PanelStore  # noqa: F401
from .store.people import FormSession, PeopleStore, Settings, Subscription  # noqa: F401
from .store.petition import PetitionStore, Signature, SignResult  # noqa: F401
from .store.planning import DuePrompt, PlanningStore  # noqa: F401
from .store.recipients import RecipientStore
from .store.referrals import Credit, ReferralStore  # noqa: F401
from .store.reports import ReportStore, RsvpRow  # noqa: F401
from .store.retention import HeldAbout, RetentionStore  # noqa: F401
from .store.rsvps import RsvpStore
from .store.welcomes import WelcomeStore

# Every table is in exactly one of these three (tests/test_privacy_trust.py enumerates the
# schema and fails on a table in none): a new table needs a /forget rule or a reason it holds
# nothing about a person.
# Tables that hold rows about a person, keyed by (platform, user_id). /forget erases from each.
PERSONAL_TABLES = ("signatures", "rsvps", "subscriptions", "user_settings", "form_sessions",
                   "outbox", "actions_done", "referral_codes")
# Tables about a person under another key; `forget` applies the rule.
FORGET_RULES = {
    "unreachable": "their private chat (its id is their user id): the row is deleted",
    "announcements": "what they wrote stays (it went to many people); author id, name and "
                     "private chat are blanked",
    "chat_subscriptions": "a group or channel they subscribed keeps its daily post; who "
                          "subscribed it (subscribed_by, subscriber_language) is blanked",
    "referral_credits": "rows where they signed through a referral, or where their link "
                        "brought someone, are deleted; the signatures they brought stay",
}
# Tables that hold no personal data.
NOT_PERSONAL = {
    "messages": "the text of prompts, reminders and announcements, the same for everyone",
    "platform_state": "per-platform bookkeeping such as the hash of the synced commands",
    "announcement_versions": "an announcement's text in other languages, the same for everyone",
    "milestones": "the signature counts reached and when, about no one",
    "panels": "a chat's campaign panel message (chat and message ids, a content hash), never "
              "who posted it",
    "event_counts": "how many people are going to each event, about no one",
    "signature_counts": "how many signatures per platform and kind, about no one",
    "subscription_counts": "how many active daily-prompt subscriptions per platform",
    "outbox_counts": "outbox rows per message, platform and state, about no one",
}
OWNER_ONLY = 0o600  # the database, its -wal/-shm, backups and exports hold personal data


class DatabaseTooNew(RuntimeError):
    pass


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
    expired: int = 0  # messages that expired before they could be sent
    milestones: tuple[tuple[int, datetime], ...] = ()  # (count, when reached)
    referred: int = 0  # signatures that came through a referral
    # The top referrers as (their signature number, signatures brought): never a name.
    top_referrers: tuple[tuple[int, int], ...] = ()


def owner_only(path: Path) -> None:
    """Create `path` if missing, readable and writable by its owner alone whatever the umask
    (os.open's mode is filtered by the umask; chmod is not), and tighten an existing file."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
    try:
        os.fchmod(fd, OWNER_ONLY)
    finally:
        os.close(fd)


class Storage(PetitionStore, PeopleStore, RsvpStore, PlanningStore, OutboxStore,
              AnnouncementStore, RetentionStore, RecipientStore, MilestoneStore, ReferralStore,
              AttendanceStore, WelcomeStore, PanelStore, ReportStore):
    """The one connection and its write lock; the domain methods come from the mixins above,
    one per concern in bot/store/ (README "Development" lists them)."""

    def __init__(self, db: aiosqlite.Connection, path: str):
        self._db = db
        self.path = path
        self._write_lock = asyncio.Lock()
        # Returns the moment before which an unfinished form counts as expired; a running bot
        # sets it from its clock (app.open_bot), so a form read after its lifetime is absent
        # even between purges. None (operator commands): forms never expire on read.
        self.forms_expire_before: Callable[[], datetime] | None = None

    @classmethod
    async def open(cls, path: str | os.PathLike) -> Storage:
        # Before SQLite creates anything: it gives the -wal and -shm files the database file's
        # mode (on unix it copies it, past the umask), so all three are owner-only.
        for name in (str(path), f"{path}-wal", f"{path}-shm"):
            if name == str(path) or os.path.exists(name):
                owner_only(Path(name))
        db = await aiosqlite.connect(str(path), isolation_level=None)  # we issue BEGIN ourselves
        try:
            db.row_factory = aiosqlite.Row
            # Deleted rows are overwritten with zeros, not left in free space for anyone with
            # the file (or a backup of it) to read.
            await db.execute("PRAGMA secure_delete=ON")
            await db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL is SQLite's documented safe choice: the database never
            # corrupts; a power cut (not a crash of the bot) can lose the last commits before
            # the next checkpoint. FULL would fsync on every commit, one RSVP press each.
            await db.execute("PRAGMA synchronous=NORMAL")
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

    # A read is one round trip to aiosqlite's thread (execute_fetchall), not three (execute,
    # fetch, close): each trip wakes that thread and comes back through the event loop.
    async def _one(self, sql: str, params=()) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params=()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def _scalar(self, sql: str, params=()) -> int:
        row = await self._one(sql, params)
        return row[0] if row else 0

    # Privacy -------------------------------------------------------------------------------

    async def forget(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase every row about one person, in one transaction (see PERSONAL_TABLES and
        FORGET_RULES). Returns rows erased (or blanked) per table."""
        erased = {}
        async with self.transaction() as db:
            for table in PERSONAL_TABLES:
                cursor = await db.execute(
                    f"DELETE FROM {table} WHERE platform = ? AND user_id = ?", (platform, user_id)
                )
                erased[table] = cursor.rowcount
            # Their private chat is addressed by their user id; a moderator's announcements
            # stay (they went to many people) but no longer say who wrote them.
            cursor = await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                                      (platform, user_id))
            erased["unreachable"] = cursor.rowcount
            cursor = await db.execute(
                "UPDATE announcements SET author_id = '', author_name = '', author_chat = ''"
                " WHERE author_platform = ? AND author_id = ?", (platform, user_id))
            erased["announcements"] = cursor.rowcount
            # A group or channel they subscribed keeps its daily post, no longer linked to them.
            cursor = await db.execute(
                "UPDATE chat_subscriptions SET subscribed_by = NULL, subscriber_language = NULL"
                " WHERE platform = ? AND subscribed_by = ?", (platform, user_id))
            erased["chat_subscriptions"] = cursor.rowcount
            erased.update(await self.forget_referrals(db, platform, user_id))
        await self.checkpoint()
        return erased

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database and empty it, so erased rows (zeroed in the database
        by secure_delete) do not live on as old page images in the -wal file. False if a
        reader (a backup in progress) kept it from finishing; the next one catches up."""
        async with self._write_lock:  # never inside one of our own transactions
            row = await self._one("PRAGMA wal_checkpoint(TRUNCATE)")
        return row is not None and row[0] == 0

    # Moderators ----------------------------------------------------------------------------

    async def stats(self, now: datetime, zone: ZoneInfo) -> Stats:
        local_midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        week_ago = now - timedelta(days=7)
        # Totals come from the running counts (migration 19): at a million signatures,
        # counting rows took /stats 300 ms. Today's and the week's use the signed_at index.
        kinds = await self._all("SELECT platform, wants_updates, referred, n"
                                " FROM signature_counts WHERE n > 0")
        per_platform: dict[str, int] = {}
        for row in kinds:
            per_platform[row[0]] = per_platform.get(row[0], 0) + row[3]
        referred, top = await self.referral_stats()
        return Stats(
            referred=referred, top_referrers=tuple(top),
            signatures=sum(row[3] for row in kinds),
            signatures_today=await self._scalar(
                "SELECT COUNT(*) FROM signatures WHERE signed_at >= ?", (iso(local_midnight),)
            ),
            signatures_7_days=await self._scalar(
                "SELECT COUNT(*) FROM signatures WHERE signed_at >= ?", (iso(week_ago),)
            ),
            per_platform=dict(sorted(per_platform.items())),
            wants_updates=sum(row[3] for row in kinds if row[1] == 1),
            rsvps=await self.rsvp_counts(),
            active_subscribers=await self._scalar(
                "SELECT COALESCE(SUM(active), 0) FROM subscription_counts"
            ),
            subscribed_chats=await self._scalar(
                "SELECT COUNT(*) FROM chat_subscriptions WHERE active = 1"
            ),
            expired=await self._scalar("SELECT COUNT(*) FROM outbox WHERE state = 'expired'"),
            milestones=tuple(await self.milestones_reached()),
        )

    # Operations ----------------------------------------------------------------------------

    async def backup(self, target: str | os.PathLike) -> None:
        """Online backup through SQLite's backup API: consistent while the bot keeps writing.
        Written next to the target (owner-only, like the database) and renamed; on any failure
        the partial copy is removed, so a failed backup leaves nothing behind."""
        target = Path(target)
        partial = target.with_name(target.name + ".partial")
        leftovers = [partial, *(partial.with_name(partial.name + s) for s in ("-journal",
                                                                               "-wal", "-shm"))]
        for path in leftovers:
            path.unlink(missing_ok=True)
        try:
            owner_only(partial)
            async with aiosqlite.connect(str(partial)) as copy:
                # The backup runs on our connection's thread. Were one of our own write
                # transactions open, SQLite would answer BUSY and Python's backup loop would
                # retry forever on the thread that must COMMIT: hold the write lock for it.
                async with self._write_lock:
                    await self._db.backup(copy)
            os.replace(partial, target)
        except BaseException:
            for path in leftovers:
                path.unlink(missing_ok=True)
            raise

"""Storage rules: migrations, serialised write transactions, constraints, closing."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.storage import MIGRATIONS, DatabaseTooNew, Storage

NOW = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)


def sign_args(name="Ada"):
    return dict(name=name, email=None, postcode=None, wants_updates=False,
                consent_text="We store your name.", consent_version="v1", now=NOW)


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows if not r[0].startswith("sqlite_")}


async def test_migrates_an_empty_file_to_the_latest_version(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    async with await Storage.open(path) as store:
        assert await store.schema_version() == len(MIGRATIONS)
    expected = {"signatures", "rsvps", "subscriptions", "user_settings", "form_sessions"}
    assert expected <= tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("version", range(len(MIGRATIONS) + 1))
async def test_migrates_from_each_earlier_version_keeping_data(tmp_path, version):
    path = tmp_path / f"v{version}.db"
    with sqlite3.connect(path) as db:  # a database as an older bot left it
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
        if version >= 1:
            db.execute(
                "INSERT INTO signatures (platform, user_id, name, wants_updates, consent_text,"
                " consent_version, signed_at) VALUES ('telegram', '1', 'Ada', 0, 't', 'v1', ?)",
                (NOW.isoformat(),))
    async with await Storage.open(path) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.signature_total() == (1 if version >= 1 else 0)
    async with await Storage.open(path) as store:  # opening again runs nothing twice
        assert await store.schema_version() == len(MIGRATIONS)


async def test_refuses_a_database_from_a_newer_bot(tmp_path):
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(DatabaseTooNew):
        await Storage.open(path)


async def test_one_tasks_rollback_never_undoes_anothers_commit(tmp_path):
    """Two tasks share one connection. B fails while A's transaction is open; with serialised
    transactions B waits for A's COMMIT, and B's ROLLBACK touches only B's own work."""
    async with await Storage.open(tmp_path / "t.db") as store:
        a_inside = asyncio.Event()

        async def task_a():
            async with store.transaction() as db:
                await db.execute(
                    "INSERT INTO rsvps (platform, user_id, event_id, created_at)"
                    " VALUES ('telegram', 'a', 'day1', '2027-06-01')")
                a_inside.set()
                await asyncio.sleep(0.01)  # let B run while A's transaction is open

        async def task_b():
            await a_inside.wait()
            with pytest.raises(RuntimeError, match="B fails after writing"):
                async with store.transaction() as db:
                    await db.execute(
                        "INSERT INTO rsvps (platform, user_id, event_id, created_at)"
                        " VALUES ('telegram', 'b', 'day1', '2027-06-01')")
                    raise RuntimeError("B fails after writing")

        await asyncio.gather(task_a(), task_b())
        assert await store.rsvps_of("telegram", "a") == {"day1"}
        assert await store.rsvps_of("telegram", "b") == set()


async def test_failed_domain_write_leaves_concurrent_writes_intact(tmp_path):
    async with await Storage.open(tmp_path / "t.db") as store:
        async def bad():
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                # wants_updates must be 0 or 1: the CHECK constraint fails inside the transaction
                await store.sign("telegram", "bad", **{**sign_args(), "wants_updates": 7})

        await asyncio.gather(*(store.sign("telegram", str(i), **sign_args()) for i in range(20)),
                             bad(), bad())
        assert await store.signature_total() == 20


async def test_concurrent_signs_by_one_user_leave_one_row(tmp_path):
    async with await Storage.open(tmp_path / "t.db") as store:
        results = await asyncio.gather(
            *(store.sign("telegram", "1", **sign_args()) for _ in range(50)))
        assert sum(r.created for r in results) == 1
        assert {r.signature.number for r in results} == {1}
        assert await store.signature_total() == 1


async def test_one_rsvp_per_user_and_event_and_one_subscription(tmp_path):
    async with await Storage.open(tmp_path / "t.db") as store:
        for _ in range(3):
            await store.set_rsvps("telegram", "1", {"day1"}, set(), NOW)
        assert await store.rsvp_counts() == {"day1": 1}
        assert await store.subscribe("telegram", "1", "1", NOW) is True
        assert await store.subscribe("telegram", "1", "1", NOW) is False


async def test_connection_is_closed_when_migration_fails(tmp_path, monkeypatch):
    path = tmp_path / "broken.db"
    monkeypatch.setattr("bot.storage.MIGRATIONS", ("CREATE TABLE x (;",))
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        await Storage.open(path)
    with sqlite3.connect(path) as db:  # not half-migrated: the script ran in a transaction
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0


async def test_backup_is_a_consistent_copy_while_writing(tmp_path):
    async with await Storage.open(tmp_path / "live.db") as store:
        await store.sign("telegram", "1", **sign_args())
        writer = asyncio.gather(*(store.sign("telegram", str(i), **sign_args())
                                  for i in range(2, 40)))
        await store.backup(tmp_path / "copy.db")
        await writer
    with sqlite3.connect(tmp_path / "copy.db") as db:
        count = db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 1 <= count <= 39
    assert not (tmp_path / "copy.db.partial").exists()


async def test_stale_unfinished_forms_are_purged(tmp_path):
    from datetime import timedelta

    from bot.storage import FormSession

    async with await Storage.open(tmp_path / "t.db") as store:
        await store.save_form_session("telegram", "old", FormSession("sign", 1, {"name": "A"}),
                                      NOW - timedelta(days=3))
        await store.save_form_session("telegram", "new", FormSession("sign", 1, {}), NOW)
        assert await store.purge_form_sessions(NOW - timedelta(days=2)) == 1
        assert await store.form_session("telegram", "old") is None
        assert await store.form_session("telegram", "new") is not None


async def test_the_outbox_rebuild_keeps_queued_rows_and_accepts_expired(tmp_path):
    """Migration 5 rebuilds the outbox (a CHECK constraint cannot change in place): a database
    made by the release before it keeps its queued rows, ids and indexes."""
    path = tmp_path / "v4.db"
    with sqlite3.connect(path) as db:
        for script in MIGRATIONS[:4]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 4")
        db.execute("INSERT INTO messages (id, key, kind, body, created_at)"
                   " VALUES (7, 'k', 'prompt', '{}', 'now')")
        db.execute("INSERT INTO outbox (id, message_id, platform, chat_id, user_id, idem_key,"
                   " not_before, updated_at)"
                   " VALUES (41, 7, 'telegram', '1', '1', 'p:1', 't', 't')")
    async with await Storage.open(path) as store:
        row = await store._one("SELECT id, state, parts_done, expires_at FROM outbox")
        assert tuple(row) == (41, "pending", 0, None)
        await store._db.execute("UPDATE outbox SET state = 'expired' WHERE id = 41")
    with sqlite3.connect(path) as db:
        indexes = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'")}
    assert {"outbox_queue", "outbox_message", "outbox_user"} <= indexes

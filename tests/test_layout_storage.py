"""The storage layer's shape: `bot/storage.py` is where the bot enters it, the per-concern SQL in
`bot/store/` is reached only through it, and a database made by the release before this layout
opens as it was."""

from __future__ import annotations

import ast
import re
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from bot.storage import MIGRATIONS, FormSession, Settings, Storage
from tests.support.imports import imports

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
STORAGE = BOT / "storage.py"
STORE = BOT / "store"
# tests/data/release_db.sql: `iterdump()` of a database the release before bot/store/ made
# through Storage's public methods (signatures with a withdrawal between them, RSVPs,
# subscriptions, settings, a chat subscription, a form in progress, a queued prompt, an
# announcement part-delivered, an unreachable chat), with its `PRAGMA user_version` appended.
RELEASE_DUMP = ROOT / "tests" / "data" / "release_db.sql"
RELEASE_VERSION = 8  # len(MIGRATIONS) in that release
NOW = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
# Uppercase SQL keywords opening a string (or an f-string's literal part) are SQL.
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|WITH)\b")
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def in_storage_layer(path: Path) -> bool:
    return path == STORAGE or STORE in path.parents


def rebuild(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_DUMP.read_text())
    db.close()


def dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [*db.iterdump(), f"version {db.execute('PRAGMA user_version').fetchone()[0]}"]
    finally:
        db.close()


async def test_a_database_made_by_the_current_release_opens_unchanged(tmp_path):
    path = tmp_path / "release.db"
    rebuild(path)
    before = dump(path)
    assert before[-1] == f"version {RELEASE_VERSION}"
    async with await Storage.open(path) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        ada = await store.signature_of("telegram", "101")
        assert (ada.number, ada.name, ada.email, ada.postcode, ada.wants_updates) == (
            1, "Ada", "ada@example.org", "10001", True)
        assert ada.signed_at == NOW
        # Cy withdrew: Di's number is her place among those who stand, not her row id (4).
        assert (await store.signature_of("discord", "404")).number == 3
        assert await store.signature_of("telegram", "303") is None
        assert await store.signature_total() == 3
        assert await store.rsvps_of("telegram", "101") == {"day1", "day3"}
        assert await store.rsvp_counts() == {"day1": 1, "day2": 1, "day3": 1}
        sub = await store.subscription_of("telegram", "101")
        assert (sub.chat_id, sub.active, sub.since, sub.prompted_through) == (
            "101", True, NOW, date(2027, 6, 1))
        assert (await store.subscription_of("discord", "202")).chat_id == "9202"
        assert await store.settings_of("telegram", "101") == Settings("Europe/Berlin", "08:30")
        assert await store.settings_of("discord", "202") == Settings(None, None)
        assert await store.chat_subscribed("telegram", "-100500")
        assert await store.form_session("discord", "202") == FormSession("sign", 1,
                                                                         {"name": "Bo"})
        assert await store.platform_state("discord", "commands_hash") == "abc123"
        assert await store.actions_done("telegram", "101") == ["2027-06-01"]
        announcement = await store.announcement(1)
        assert (announcement.text, announcement.audience, announcement.status) == (
            "Rally at noon!", "everyone", "sending")
        assert await store.delivery_counts(announcement.message_id) == {
            "discord": {"delivered": 2}, "telegram": {"pending": 1}}
        assert await store.message_body(1) == {"text": "Call your rep."}
        queued = await store.pending_batch("telegram", NOW, 10)
        assert [(r.message_id, r.chat_id, r.user_id) for r in queued] == [
            (1, "101", "101"), (2, "101", "101")]
        held = await store.held_about("discord", "404")
        assert held.unreachable == ("blocked", NOW)
        assert held.messages == {"announcement": {"delivered": 1}}
    if len(MIGRATIONS) == RELEASE_VERSION:
        # Nothing migrated, nothing rewritten: opening (and reading) changed no row or table.
        # (Once a migration is appended, the check above, that it ran and the rows still read
        # back, is what stays true.)
        assert dump(path) == before


async def test_the_shipped_migrations_still_build_the_release_schema(tmp_path):
    """Migrations are append-only: the first RELEASE_VERSION of them, run on an empty file,
    make exactly the tables and indexes the release's databases have."""

    def schema(path: Path) -> list[tuple]:
        db = sqlite3.connect(path)
        try:
            return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        finally:
            db.close()

    release, fresh = tmp_path / "release.db", tmp_path / "fresh.db"
    rebuild(release)
    db = sqlite3.connect(fresh)
    for script in MIGRATIONS[:RELEASE_VERSION]:
        db.executescript(script)
    db.close()
    assert schema(fresh) == schema(release)


def test_no_sql_outside_bot_storage_and_bot_store():
    found = []
    for path in modules():
        if in_storage_layer(path):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and SQL.match(node.value)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}")
        if imports(path) & {"sqlite3", "aiosqlite"}:
            found.append(f"{path.relative_to(ROOT)} imports a database driver")
    assert found == []


def test_the_sql_check_sees_plain_and_f_strings():
    source = 'a = "SELECT 1"\nb = f"  UPDATE {t} SET x = 1"\nc = "Select a time"\n'
    hits = [n.value for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.match(n.value)]
    assert hits == ["SELECT 1", "  UPDATE "]


def test_bot_store_is_imported_only_by_bot_storage():
    assert STORAGE.is_file() and (STORE / "__init__.py").is_file()
    importers = sorted(
        str(path.relative_to(ROOT)) for path in modules()
        if not in_storage_layer(path)
        and any(name == "bot.store" or name.startswith("bot.store.") for name in imports(path))
    )
    assert importers == []
    # And bot/store/ is the bottom layer: it imports nothing else of the bot.
    def within(name: str, package: str) -> bool:
        return name == package or name.startswith(package + ".")

    upward = sorted(f"{path.relative_to(ROOT)} -> {name}" for path in STORE.rglob("*.py")
                    for name in imports(path) if within(name, "bot")
                    and not within(name, "bot.store"))
    assert upward == []


def test_the_storage_modules_stay_small():
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines())
             for path in [STORAGE, *sorted(STORE.rglob("*.py"))] if path.exists()}
    assert STORAGE.exists()
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}

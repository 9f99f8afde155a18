"""Reading the test's database file directly, beside the bot's own connection: what is stored,
whatever the bot says."""

from __future__ import annotations

import sqlite3
from contextlib import closing


def rows(config, sql: str, params=()) -> list[tuple]:
    with closing(sqlite3.connect(config.storage.path)) as db:
        return db.execute(sql, params).fetchall()


def user_tables(path) -> list[tuple[str, list[str]]]:
    """Every table of the database (SQLite's own excepted) with its column names."""
    with closing(sqlite3.connect(path)) as db:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return [(t, [c[1] for c in db.execute(f'PRAGMA table_info("{t}")')]) for t in names]

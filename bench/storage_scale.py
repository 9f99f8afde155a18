"""Storage at campaign scale: the handler-level storage calls and the bot's start, timed on a
database seeded with 1,000,000 signatures, 300,000 RSVPs and 200,000 daily-prompt subscribers
(and a 100,000-message announcement half sent).

    .venv/bin/python bench/storage_scale.py              # ~1 minute, most of it seeding
    .venv/bin/python bench/storage_scale.py --keep db    # keep (or reuse) the seeded file

Each call runs through the bot's own Storage (aiosqlite, one connection, as the bot runs it),
repeated; p50 and p99 are of wall time per call. Goals: p99 <= 5 ms per handler call, /stats
<= 50 ms, start <= 1 s (`python -m bot`'s start without network: imports, opening and migrating
the database, the dispatcher and the front ends built).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load
from bot.storage import Storage

SIGNATURES, RSVPS, SUBSCRIBERS, OUTBOX = 1_000_000, 300_000, 200_000, 100_000
NOW = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)  # the campaign's last ten days
EVENTS = ("day1", "day2", "day3", "day4", "day5")


def seed(path: str, scale: float) -> None:
    """Bulk rows straight into SQLite, each table from a recursive CTE in one statement."""
    signatures, rsvps = int(SIGNATURES * scale), int(RSVPS * scale)
    subscribers, outbox = int(SUBSCRIBERS * scale), int(OUTBOX * scale)
    start = (NOW - timedelta(days=90)).timestamp()
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        numbers = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        # Over 90 days, the newest in the last day: today's and the week's counts are not empty.
        db.execute(
            f"{numbers} INSERT INTO signatures (platform, user_id, name, email, wants_updates,"
            " consent_text, consent_version, signed_at, language)"
            " SELECT CASE i % 3 WHEN 0 THEN 'discord' ELSE 'telegram' END, 'u' || i,"
            " 'Person ' || i, CASE WHEN i % 4 = 0 THEN 'p' || i || '@example.org' END, i % 2,"
            " 'We store your name.', 'v1',"
            " strftime('%Y-%m-%dT%H:%M:%S+00:00', ? + i * ?, 'unixepoch'), 'en' FROM n",
            (signatures - 1, start, 90 * 86400 / signatures))
        db.execute(
            f"{numbers} INSERT INTO rsvps (platform, user_id, event_id, created_at, language)"
            " SELECT 'telegram', 'u' || (i / 2), 'day' || (1 + (i % 2) + (i / 2) % 4), ?, 'en'"
            " FROM n", (rsvps - 1, NOW.isoformat()))
        # Prompts due over the next 24 hours, about 140 a minute.
        db.execute(
            f"{numbers} INSERT INTO subscriptions (platform, user_id, chat_id, active,"
            " created_at, next_prompt_at, plan_after, prompted_through, language)"
            " SELECT 'telegram', 'u' || i, 'u' || i, 1, ?,"
            " strftime('%Y-%m-%dT%H:%M:%S+00:00', ? + i * ?, 'unixepoch'), ?, '2027-05-31', 'en'"
            " FROM n", (subscribers - 1, NOW.isoformat(), NOW.timestamp(),
                        86400 / subscribers, "1970-01-01T00:00:00+00:00"))
        db.execute("INSERT INTO messages (id, key, kind, body, created_at)"
                   " VALUES (900, 'announcement:900', 'announcement', '{}', ?)",
                   (NOW.isoformat(),))
        db.execute(
            f"{numbers} INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key,"
            " state, not_before, updated_at) SELECT 900, 'telegram', 'u' || i, 'u' || i,"
            " 'ann:900:' || i, CASE WHEN i % 2 = 0 THEN 'delivered' ELSE 'pending' END, ?, ?"
            " FROM n", (outbox - 1, NOW.isoformat(), NOW.isoformat()))
        db.execute("COMMIT")
        db.execute("ANALYZE")


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def timed(calls: int, call) -> tuple[float, float]:
    times = []
    for n in range(calls):
        started = time.perf_counter()
        await call(n)
        times.append(time.perf_counter() - started)
    return percentiles(times)


async def handler_calls(path: str, calls: int) -> list[tuple[str, float, float, float]]:
    config = load(ROOT / "config.toml")
    sign_spec = {"email": None, "postcode": None, "wants_updates": False,
                 "consent_text": "We store.", "consent_version": "v1", "now": NOW,
                 "language": "en"}
    minute = NOW + timedelta(minutes=1)  # the scheduler's tick: the prompts due this minute
    rows: list[tuple[str, float, float, float]] = []
    async with await Storage.open(path) as store:
        async def sign(n):
            await store.sign("telegram", f"new{n}", name=f"New {n}", **sign_spec)

        async def press(n):  # an RSVP press: the write, then the event list's one read
            await store.set_rsvps("telegram", f"u{n}", {"day3"}, set(), NOW, language="en")
            await store.rsvp_view("telegram", f"u{n}")

        async def language(n):
            await store.settings_of("telegram", f"u{n}")

        async def stats(n):
            await store.stats(NOW, config.zone)

        async def due(n):
            await store.due_prompts(minute, ("telegram", "discord"))

        async def progress(n):
            await store.delivery_counts(900)

        for name, call, count, goal in (
                ("sign (a new signature, its number and the total)", sign, calls, 5),
                ("set_rsvps + rsvp_view (an RSVP press)", press, calls, 5),
                ("settings_of (the per-update language read)", language, calls, 5),
                ("due_prompts (one minute's prompts)", due, calls, 5),
                ("delivery_counts (announcement progress, 100,000 rows)", progress, calls, 5),
                ("stats (every /stats query)", stats, max(5, calls // 10), 50)):
            p50, p99 = await timed(count, call)
            rows.append((name, p50, p99, goal))
    return rows


def start_with(path: str) -> float:
    """The start, with the config's database pointed at the seeded file."""
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    folder = Path(tempfile.mkdtemp())
    (folder / "config.toml").write_text(
        config.replace('path = "campaign.db"', f'path = "{path}"'), encoding="utf-8")
    try:
        return min(start_time_in(folder) for _ in range(3))
    finally:
        (folder / "config.toml").unlink()
        folder.rmdir()


def start_time_in(folder: Path) -> float:
    script = (
        "import asyncio, sys, time\n"
        "started = time.perf_counter()\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from bot.app import open_bot, front_end\n"
        "from bot.config import load\n"
        "from bot.services import DeliveryServices\n"
        "async def main():\n"
        "    config = load('config.toml')\n"
        "    async with open_bot(config) as bot:\n"
        "        for platform, token in (('telegram', '1:x'), ('discord', 'x')):\n"
        "            front_end(platform, bot, token, asyncio.Event())\n"
        "        DeliveryServices(bot)\n"
        "        print(time.perf_counter() - started)\n"
        "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=folder, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.split()[-1])


async def main(args: argparse.Namespace) -> None:
    folder = tempfile.mkdtemp()
    path = args.keep or os.path.join(folder, "scale.db")
    if not os.path.exists(path):
        seeding = time.perf_counter()
        await (await Storage.open(path)).close()  # the schema, by the bot's own migrations
        seed(path, args.scale)
        print(f"seeded in {time.perf_counter() - seeding:.0f} s: {int(SIGNATURES * args.scale):,}"
              f" signatures, {int(RSVPS * args.scale):,} RSVPs, {int(SUBSCRIBERS * args.scale):,}"
              f" subscribers, {int(OUTBOX * args.scale):,} outbox rows")
    rows = await handler_calls(path, args.calls)
    print(f"{'call':56} {'p50 ms':>8} {'p99 ms':>8}  goal")
    met = True
    for name, p50, p99, goal in rows:
        ok = p99 <= goal
        met &= ok
        print(f"{name:56} {p50:8.2f} {p99:8.2f}  p99 <= {goal} ms {'ok' if ok else 'MISSED'}")
    start = start_with(path)
    met &= start <= 1.0
    print(f"{'start (python -m bot without network, best of 3)':56} {start * 1000:8.0f}"
          f" {'':8}  <= 1000 ms {'ok' if start <= 1.0 else 'MISSED'}")
    print(f"goals: {'met' if met else 'NOT met'}")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        os.rmdir(folder)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="timed calls of each (300)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the campaign's rows to seed (1.0)")
    parser.add_argument("--keep", metavar="FILE", help="seed into FILE and keep it; reuse it "
                        "when it exists (the calls add a few rows)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))

"""Growth-chart benchmark: the chart /stats sends, for 100,000 signatures.

Seeds a temporary database (the bot's own migrations, then the signatures in one executemany:
two platforms, spread over the three weeks before 1 June 2027, a few hundred RSVPs with
attendance answers), then builds the chart as /stats does (`bot.chart.growth_png`: the grouped
query, then the drawing in a worker thread) with the shipped config.toml.

    .venv/bin/python bench/chart.py                       # 100,000 signatures
    .venv/bin/python bench/chart.py --signatures 1000000

Prints CPU and wall time for: importing matplotlib (paid once per process, by the first chart:
the bot imports it lazily, so its start does not), the first chart (fonts loaded), and the
median of the next runs, split into reading (the query) and drawing. Goal: a chart, import
aside, in under a second for 100,000 signatures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import chart
from bot.config import load
from bot.i18n import translator
from bot.storage import Storage

NOW = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)


async def seed(store: Storage, count: int) -> None:
    start = NOW - timedelta(days=21)
    step = 21 * 86400 / max(count, 1)
    await store._db.executemany(  # the bench's own seeding, not a domain operation
        "INSERT INTO signatures (platform, user_id, wants_updates, consent_text,"
        " consent_version, signed_at) VALUES (?, ?, 0, 'c', 'v', ?)",
        [("discord" if i % 3 else "telegram", str(i),
          (start + timedelta(seconds=int(i * step))).isoformat(timespec="seconds"))
         for i in range(count)])
    await store._db.executemany(
        "INSERT INTO rsvps (platform, user_id, event_id, created_at, attended)"
        " VALUES ('telegram', ?, ?, '2027-05-25T00:00:00+00:00', ?)",
        [(str(i), f"day{1 + i % 5}", (None, 1, 0)[i % 3]) for i in range(min(count, 500))])


def timed(run) -> tuple[float, float, object]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    return time.process_time() - cpu, time.perf_counter() - wall, result


async def main(count: int, runs: int) -> None:
    config = load(ROOT / "config.toml")
    tr = translator("en")
    with tempfile.TemporaryDirectory() as folder:
        async with await Storage.open(Path(folder) / "bench.db") as store:
            await seed(store, count)
            cpu, wall, _ = timed(lambda: __import__("matplotlib.backends.backend_agg"))
            print(f"import matplotlib:      {cpu * 1000:6.0f} ms CPU {wall * 1000:6.0f} ms wall")
            cpu, wall = time.process_time(), time.perf_counter()
            png = await chart.growth_png(store, config, NOW, tr)
            print(f"first chart:            {(time.process_time() - cpu) * 1000:6.0f} ms CPU "
                  f"{(time.perf_counter() - wall) * 1000:6.0f} ms wall ({len(png) // 1000} kB)")
            reads, draws, walls = [], [], []
            for _ in range(runs):
                cpu, wall = time.process_time(), time.perf_counter()
                data = await chart.collect(store, config, NOW, tr)
                reads.append(time.process_time() - cpu)
                draw, _, _ = timed(lambda data=data: chart.render(data))
                draws.append(draw)
                walls.append(time.perf_counter() - wall)
    read, draw = statistics.median(reads), statistics.median(draws)
    print(f"chart, {count:,} signatures (median of {runs}): {(read + draw) * 1000:.0f} ms CPU "
          f"(read {read * 1000:.0f}, draw {draw * 1000:.0f}), "
          f"{statistics.median(walls) * 1000:.0f} ms wall; goal < 1000 ms")


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--signatures", type=int, default=100_000)
    arguments.add_argument("--runs", type=int, default=5)
    options = arguments.parse_args()
    asyncio.run(main(options.signatures, options.runs))

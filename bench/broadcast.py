"""Broadcast benchmark: one announcement to every Telegram subscriber through the real stack.

The bot runs in a child process exactly as `python -m bot` wires it (`app.serve`: the real
Telegram adapter on PTB, the outbox worker, the announcement runner, SQLite on disk), against
the fake Bot API in another process, so neither one's CPU is counted against the other. The fake
enforces a global sendMessage rate (a token bucket with 0.1 s of slack: past it, 429 with a
retry_after of whole seconds, as Telegram answers), and the bot's `[telegram] broadcast_rate` is
set to the same rate. The database is seeded before the bot starts: N subscribers and a confirmed
announcement to everyone, queued as /announce's Confirm leaves it.

    .venv/bin/python bench/broadcast.py                                  # about 5 minutes
    .venv/bin/python bench/broadcast.py --subscribers 2000 --no-memory   # a quick run

Prints, from the fake's records: the achieved rate (successful announcement sends per second,
first to last) divided by the configured one (goal >= 0.95), the 429s served, and the lost and
duplicated messages. Then the bot's peak memory (VmHWM, the RSS high-water mark of the child
process) with 1,000 and with 100,000 recipients, at a higher rate so the big run is short
(goal: within 20 MB of each other). The bot is CPU-bound well below that rate (at about 330-440
messages/s on a 2-core machine, mostly PTB's HTTP stack), so the big run takes about 4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "333333:AAbench-broadcast-token_0123456789abc"
MODERATOR = 42
FIRST = 10_000_000  # subscribers are FIRST, FIRST + 1, ...
TEXT = "The Week of Action starts Monday: join the kick-off call and bring a friend!"
BURST = 0.1  # seconds of slack in the fake's rate limit


# The bot: a child process -----------------------------------------------------------------------

def child(db: str, base_url: str, rate: float) -> int:
    """`python -m bot` as app.py runs it, on the seeded database; stops on SIGTERM."""
    from bot import app, logs
    from bot.config import Moderators, Storage, load

    logs.setup(logging.INFO)
    shipped = load(ROOT / "config.toml")
    config = shipped.model_copy(update={
        "storage": Storage(path=db),
        "moderators": Moderators(telegram_user_ids=(MODERATOR,)),
        # model_copy does not validate: a config file caps broadcast_rate at 1,000/s, and the
        # 100,000-recipient memory run goes above that to stay short.
        "telegram": shipped.telegram.model_copy(update={"base_url": base_url,
                                                        "broadcast_rate": rate}),
    })
    return asyncio.run(app.serve(config, {"telegram": TOKEN}))


# The parent: seeding, the fake, measuring --------------------------------------------------------

async def seed(db: Path, subscribers: int) -> None:
    """`subscribers` subscriptions (next daily prompt half a day away, as a running campaign
    has them) and one announcement to everyone, confirmed."""
    from bot.storage import Storage, iso

    now = datetime.now(UTC)
    later = iso(now + timedelta(hours=12))
    async with await Storage.open(db) as store:
        async with store.transaction() as conn:  # one transaction: 100,000 rows in seconds
            await conn.executemany(
                "INSERT INTO subscriptions (platform, user_id, chat_id, active, created_at,"
                " next_prompt_at) VALUES ('telegram', ?, ?, 1, ?, ?)",
                ((str(FIRST + n), str(FIRST + n), iso(now), later) for n in range(subscribers)))
        announcement = await store.create_announcement(
            "telegram", str(MODERATOR), "Mo", str(MODERATOR), TEXT, now)
        await store.update_announcement(announcement, expect=("draft",), audience="everyone",
                                        status="queued")


@contextlib.asynccontextmanager
async def fake_api(latency: float, limit: float) -> AsyncIterator[str]:
    """The fake Bot API in its own process, enforcing `limit` sendMessage/s; yields its root."""
    import aiohttp

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram_api", "--latency", str(latency),
        "--bot", f"{TOKEN}=CampaignBenchBot", cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), 30))
        root = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            options = {"rate_limit": limit, "burst": BURST, "any_chat": True}
            async with http.post(f"{root}/_fake/{TOKEN}/options", json=options) as r:
                r.raise_for_status()
        yield root
    finally:
        process.terminate()
        await process.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's RSS high-water mark so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_of_announcement(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute("SELECT status FROM announcements WHERE id = 1").fetchone()
    return row[0] if row else ""


@dataclass
class Result:
    subscribers: int
    rate: float
    achieved: float
    throttled: int
    lost: int
    duplicated: int
    peak_mb: float
    cpu_s: float  # the bot's CPU time, start to finish
    first_s: float  # from starting the bot's process to its first announcement send
    took_s: float  # first announcement send to the last
    slowest: int  # sends in the slowest whole second


async def broadcast(subscribers: int, rate: float, latency: float, timeout: float) -> Result:
    import aiohttp

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        await seed(db, subscribers)
        async with fake_api(latency, rate) as root:
            env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN)
            env.pop("DISCORD_BOT_TOKEN", None)
            with (Path(folder) / "bot.log").open("wb") as log:
                started = time.monotonic()
                process = await asyncio.create_subprocess_exec(
                    sys.executable, __file__, "--child", str(db), f"{root}/bot", str(rate),
                    cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log,
                    stderr=log)
                try:
                    while status_of_announcement(db) != "done":
                        if process.returncode is not None:
                            raise SystemExit(f"the bot exited with {process.returncode}:\n"
                                             + (Path(folder) / "bot.log").read_text()[-3000:])
                        if time.monotonic() - started > timeout:
                            raise SystemExit(f"not finished within {timeout:.0f} s")
                        await asyncio.sleep(0.25)
                    peak, cpu = peak_rss_mb(process.pid), cpu_seconds(process.pid)
                    process.send_signal(signal.SIGTERM)
                    code = await asyncio.wait_for(process.wait(), 15)
                    if code != 0:
                        raise SystemExit(f"the bot exited with {code} on SIGTERM")
                finally:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
            async with (aiohttp.ClientSession() as http,
                        http.get(f"{root}/_fake/{TOKEN}/summary", params={"text": TEXT}) as r):
                summary = await r.json()
    span = summary["last"] - summary["first"]
    whole = summary["per_second"][1:-1]  # the first holds the limiter's burst, the last is cut
    delivered = summary["delivered"]
    return Result(
        subscribers=subscribers, rate=rate,
        achieved=(delivered - 1) / span if span > 0 else 0.0,
        throttled=summary["statuses"].get("429", 0), lost=subscribers - summary["chats"],
        duplicated=delivered - summary["chats"], peak_mb=peak, cpu_s=cpu,
        first_s=summary["first"] - started, took_s=span, slowest=min(whole, default=0))


def report(r: Result) -> None:
    print(f"  {r.subscribers:,} recipients, broadcast_rate {r.rate:,.0f}/s: first send "
          f"{r.first_s:.1f} s after start, then {r.achieved:,.1f}/s for {r.took_s:.1f} s "
          f"(slowest second {r.slowest}); "
          f"429s served {r.throttled}; lost {r.lost}; duplicated {r.duplicated}; peak RSS "
          f"{r.peak_mb:.1f} MB; bot CPU {r.cpu_s:.1f} s", flush=True)


def timeout_for(subscribers: int, args: argparse.Namespace) -> float:
    # The bot tops out near 330 messages/s on one core of the reference machine (PTB's HTTP
    # stack is most of the cost), whatever rate it is allowed: budget for half that.
    return args.timeout + subscribers / 150


async def main(args: argparse.Namespace) -> int:
    ok = True
    print(f"fake Bot API in its own process, {args.latency * 1000:.0f} ms per call, sendMessage "
          f"limited to {args.rate:,.0f}/s (token bucket, {BURST} s of slack, 429 past it); the "
          f"bot's broadcast_rate = {args.rate:,.0f}/s", flush=True)
    result = await broadcast(args.subscribers, args.rate, args.latency,
                             timeout_for(args.subscribers, args))
    report(result)
    ratio = result.achieved / result.rate
    ok &= ratio >= 0.95 and result.lost == 0 and result.duplicated == 0
    print(f"achieved / configured rate: {ratio:.3f} (goal >= 0.95); 429s served: "
          f"{result.throttled}; lost: {result.lost}; duplicated: {result.duplicated}",
          flush=True)
    if args.memory:
        small, big = args.memory_sizes
        print(f"memory: {small:,} and {big:,} recipients with broadcast_rate and the fake's "
              f"limit raised to {args.memory_rate:,.0f}/s so the big run is short (the bot is "
              "CPU-bound below that: see the achieved rates), no latency", flush=True)
        peaks = []
        for size in (small, big):
            result = await broadcast(size, args.memory_rate, 0.0, timeout_for(size, args))
            report(result)
            ok &= result.lost == 0 and result.duplicated == 0
            peaks.append(result.peak_mb)
        growth = peaks[1] - peaks[0]
        ok &= growth <= 20
        print(f"peak RSS: {peaks[0]:.1f} MB with {small:,} recipients, {peaks[1]:.1f} MB with "
              f"{big:,}: {growth:+.1f} MB (goal within 20 MB)", flush=True)
    return 0 if ok else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000,
                        help="recipients of the rate run (10,000)")
    parser.add_argument("--rate", type=float, default=300.0,
                        help="messages/s: the fake's limit and the bot's broadcast_rate (300)")
    parser.add_argument("--latency", type=float, default=0.02,
                        help="seconds the fake takes per call in the rate run (0.02)")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the two memory runs")
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=(1_000, 100_000),
                        metavar=("SMALL", "BIG"), help="recipients of the memory runs")
    parser.add_argument("--memory-rate", type=float, default=5_000.0,
                        help="messages/s of the memory runs (5,000)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds per run, at most, plus 1 s per 150 recipients")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    arguments = parse()
    total = 3 * arguments.timeout + (arguments.subscribers + sum(arguments.memory_sizes)) / 150
    sys.exit(asyncio.run(asyncio.wait_for(main(arguments), total + 60)))

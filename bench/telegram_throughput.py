"""Telegram throughput: the whole bot against a bare PTB bot, same fake Bot API, same run.

N distinct people each press "Going: Kick-off call" under /rsvp once. The campaign bot handles
each press through the real stack (PTB polling, per-person ordering, the core, an RSVP written
to SQLite, the event list rendered as HTML, answerCallbackQuery + sendMessage). The baseline is
a bare PTB bot with the same concurrency and connection pool that answers each press and then
sends a fixed message of the same size and keyboard, so both cost the fake Bot API the same;
the difference is our stack (which also answers the press while it handles it). The fake runs in its own process, adding `--latency` seconds to every call (getUpdates
included), as a network round trip would.

    /tmp/venv/bin/python bench/telegram_throughput.py            # 5,000 people
    /tmp/venv/bin/python bench/telegram_throughput.py --users 500  # a quick run

Prints both rates (presses per second, first push to last reply) and their ratio; the goal is
a ratio of at least 0.9.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.render import render
from bot.app import open_bot
from bot.config import Storage, Telegram, load
from bot.core import ChatRef, UserRef, button_incoming
from tests.fakes.telegram_api import callback_update
from tests.support.clock import FrozenClock

OURS = "111111:AAbench-campaign-bot-token_0123456789"
ECHO = "222222:AAbench-bare-ptb-echo-token_0123456"
PRESS = "rsvp:day1"
FIRST_USER = 10_000_000
BATCH = 1000  # updates per push to the fake


@contextlib.asynccontextmanager
async def fake_api(latency: float) -> AsyncIterator[str]:
    """The fake Bot API in its own process (so its CPU is not ours); yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram_api", "--latency", str(latency),
        "--bot", f"{OURS}=CampaignBenchBot", "--bot", f"{ECHO}=EchoBenchBot", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), 30))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def press_and_wait(http: aiohttp.ClientSession, root: str, token: str, users: int,
                         timeout: float) -> tuple[float, float]:
    """Push one press per person: presses per second until every reply was sent, and this
    process's CPU milliseconds per press."""
    updates = [callback_update(FIRST_USER + n, PRESS, first_name=f"P{n}") for n in range(users)]
    async with http.post(f"{root}/_fake/{token}/reset") as r:  # counts start again each round
        r.raise_for_status()
    # Every press arrives at once here, a backlog whose last presses Telegram would expire (a
    # query can be answered for 15 s): the bench measures throughput, so they never expire.
    async with http.post(f"{root}/_fake/{token}/options", json={"query_lifetime": 3600}) as r:
        r.raise_for_status()
    started, cpu = time.perf_counter(), time.process_time()
    for at in range(0, users, BATCH):
        async with http.post(f"{root}/_fake/{token}/updates", json=updates[at:at + BATCH]) as r:
            r.raise_for_status()
    for method in ("answerCallbackQuery", "sendMessage"):
        url = f"{root}/_fake/{token}/wait?method={method}&count={users}&timeout={timeout}"
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=timeout + 10)) as r:
            done = await r.json()
        if done["count"] < users or done["error_count"]:
            raise SystemExit(f"{method}: {done['count']} of {users} in {timeout} s; "
                             f"{done['error_count']} errors, e.g. {done['errors'][:3]}")
    return users / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / users


async def sample_reply(config, clock) -> tuple[str, object]:
    """What our bot sends for a press (through the real handler, on a scratch database): the
    baseline sends the same."""
    with tempfile.TemporaryDirectory() as folder:
        config = config.model_copy(update={"storage": Storage(path=f"{folder}/sample.db")})
        async with open_bot(config, clock) as bot:
            person = UserRef("telegram", "1")
            replies = await bot.handle(button_incoming(person, ChatRef("telegram", "1"), PRESS))
    return render(replies[0])[0]


async def run_echo(base: str, http, root: str, users: int, concurrency: int, html: str,
                   markup, timeout: float) -> tuple[float, float]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
        await context.bot.send_message(query.message.chat.id, html, parse_mode=ParseMode.HTML,
                                       reply_markup=markup)

    application = (ApplicationBuilder().token(ECHO).base_url(f"{base}/bot")
                   .concurrent_updates(concurrency).connection_pool_size(2 * concurrency + 8)
                   .pool_timeout(5.0).job_queue(None).build())
    application.add_handler(CallbackQueryHandler(echo))
    async with application:
        await application.start()
        await application.updater.start_polling(timeout=10)
        try:
            return await press_and_wait(http, root, ECHO, users, timeout)
        finally:
            await application.updater.stop()
            await application.stop()


async def run_ours(base: str, http, root: str, users: int, concurrency: int, config, clock,
                   timeout: float, profile: str | None = None) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        config = config.model_copy(update={
            "telegram": Telegram(base_url=f"{base}/bot"),
            "storage": Storage(path=str(Path(folder) / "bench.db"))})
        async with open_bot(config, clock) as bot:
            adapter = TelegramAdapter(bot, OURS, asyncio.Event(), concurrency=concurrency)
            await adapter.start()
            profiler = cProfile.Profile() if profile else None
            try:
                if profiler:
                    profiler.enable()
                rate = await press_and_wait(http, root, OURS, users, timeout)
            finally:
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile)
                await adapter.stop()
            going = (await bot.store.rsvp_counts()).get("day1", 0)
            if going != users:
                raise SystemExit(f"{going} RSVPs stored for {users} presses")
            return rate


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    config = load(ROOT / "config.toml")
    clock = FrozenClock()  # 1 June 2027: every event of the Week of Action is ahead
    html, markup = await sample_reply(config, clock)
    async with fake_api(args.latency) as root, aiohttp.ClientSession() as http:
        echo_rates, our_rates = [], []
        for _ in range(args.rounds):
            echo_rates.append(await run_echo(root, http, root, args.users, args.concurrency,
                                             html, markup, args.timeout))
            our_rates.append(await run_ours(root, http, root, args.users, args.concurrency,
                                            config, clock, args.timeout))
    (echo, echo_cpu), (ours, our_cpu) = max(echo_rates), max(our_rates)
    print(f"{args.users} people, one RSVP press each; {args.latency * 1000:.0f} ms per Bot API "
          f"call; {args.concurrency} updates at once; best of {args.rounds}")
    for name, rate, cpu, rounds in (("bare PTB echo bot", echo, echo_cpu, echo_rates),
                                    ("campaign bot", ours, our_cpu, our_rates)):
        print(f"{name + ':':19}{rate:8.0f} presses/s  {cpu:5.1f} ms CPU per press  (rounds: "
              f"{', '.join(f'{r:.0f}' for r, _ in rounds)})")
    print(f"{'ratio:':19}{ours / echo:8.2f}   (goal >= 0.9)")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000, help="distinct people (5000)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per call (0.05)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="updates at once, for both bots (32, the adapter's default)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each bot, best counts")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run, at most")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    asyncio.run(asyncio.wait_for(main(arguments), arguments.rounds * 2 * arguments.timeout
                                 + 120))

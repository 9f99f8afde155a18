"""Discord acknowledgement latency: 200 people press an RSVP button at once.

Through the real stack: discord.py receives 200 INTERACTION_CREATE events from the fake
gateway at once, the DynamicItem hands each press to the core (an RSVP written to SQLite, the
event list read back and rendered), and the adapter acknowledges it with the answer (or defers
if the work takes over 2 s). The fake Discord, in its own thread and event loop, timestamps
each event as it is sent and each acknowledgement as it arrives, and refuses any that comes
after 3 seconds (10062), as Discord does.

The baseline, in the same run against the same fake, is a bare discord.py client whose button
answers at once with a message of the same size and buttons, and no database: the difference is
our stack.

    /tmp/venv/bin/python bench/discord_interactions.py            # 200 presses
    /tmp/venv/bin/python bench/discord_interactions.py --users 500

Prints p50, p99 and max acknowledgement latency of both against the 3 s deadline; the goal is
every acknowledgement of the campaign bot under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Coroutine, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import discord.gateway  # noqa: E402
import discord.http  # noqa: E402
import yarl  # noqa: E402

from bot.adapters.discord import adapter as discord_adapter  # noqa: E402
from bot.adapters.discord.render import Message, render_reply  # noqa: E402
from bot.adapters.discord.views import build_view  # noqa: E402
from bot.config import Moderators, Storage, load  # noqa: E402
from bot.core import ChatRef, UserRef, button_incoming  # noqa: E402
from tests.fakes.discord_api import FakeDiscord, Interaction, running, with_fake  # noqa: E402
from tests.support.clock import FrozenClock  # noqa: E402

PRESS = "rsvp:day1"
FIRST_USER = 900_000_000_000_000_000
DEADLINE, GOAL = 3.0, 1.0
T = TypeVar("T")


class FakeInThread:
    """The fake Discord on its own event loop in a thread, so its work is not timed as ours."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-discord",
                                       daemon=True)
        self.fake: FakeDiscord

    async def __aenter__(self) -> FakeDiscord:
        self.thread.start()

        async def make() -> FakeDiscord:
            return await FakeDiscord().start()

        self.fake = await self.run(make())
        return self.fake

    async def __aexit__(self, *exc: object) -> None:
        await self.run(self.fake.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)


async def press_all(fake: FakeDiscord, message: dict[str, Any], users: int) -> list[Interaction]:
    """All presses sent back to back on the gateway, as a crowd would."""
    return [await fake.press(message, PRESS, user_id=str(FIRST_USER + n), user_name=f"P{n}")
            for n in range(users)]


async def settle(fake: FakeDiscord, presses: list[Interaction], timeout: float) -> None:
    """Until every press is acknowledged (or refused) and every deferred one followed up."""
    def done() -> bool:
        return all((p.acked_at is not None or p.refused) and not any(
            m.get("_loading") for m in fake.messages_of(p)) for p in presses)

    try:
        await fake.until(done, timeout)
    except asyncio.TimeoutError:
        pass


def summary(name: str, presses: list[Interaction]) -> dict[str, float]:
    latencies = sorted(p.ack_latency for p in presses if p.ack_latency is not None)
    refused = sum(1 for p in presses if p.refused)
    deferred = sum(1 for p in presses if p.ack_type in (5, 6))
    if not latencies:
        print(f"{name}: no acknowledgements ({refused} refused)")
        return {}
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    worst = latencies[-1]
    print(f"{name:>13}: p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
          f"max {worst * 1000:7.1f} ms   (deadline {DEADLINE:.0f} s: max is "
          f"{worst / DEADLINE:.0%} of it)   deferred {deferred}   refused {refused}   "
          f"acked {len(latencies)}/{len(presses)}")
    return {"p50": p50, "p99": p99, "max": worst, "refused": refused,
            "late": sum(1 for x in latencies if x >= GOAL)}


class EchoButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=re.compile(r"(?s).{1,100}")):
    """The baseline's button: answers at once with a prepared message, no database."""

    answer: Message = Message("ok")

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="x", custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any,
                             match: re.Match[str], /) -> EchoButton:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        view = build_view(self.answer.rows)
        await interaction.response.send_message(self.answer.content, ephemeral=True,
                                                **({"view": view} if view else {}))


class Echo(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.connected = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(EchoButton)

    async def on_connect(self) -> None:
        self.connected.set()


async def baseline(host: FakeInThread, fake: FakeDiscord, users: int,
                   timeout: float) -> list[Interaction]:
    discord.http.Route.BASE = fake.base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    client = Echo()
    task = asyncio.create_task(client.start(fake.token))
    try:
        await asyncio.wait_for(client.connected.wait(), 30)
        message = await host.run(stale(fake))
        presses = await host.run(press_all(fake, message, users))
        await host.run(settle(fake, presses, timeout), timeout + 5)
        return presses
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)


async def stale(fake: FakeDiscord) -> dict[str, Any]:
    return fake.stale_message(PRESS)


async def campaign(host: FakeInThread, fake: FakeDiscord, users: int, timeout: float,
                   folder: Path) -> tuple[list[Interaction], int]:
    shipped = load(ROOT / "config.toml")
    config = with_fake(shipped.model_copy(update={
        "storage": Storage(path=str(folder / "bench.db")), "moderators": Moderators()}), fake)
    clock = FrozenClock(datetime(2027, 6, 1, 13, 0, tzinfo=UTC))
    async with running(config, clock, fake) as adapter:
        listing = await host.run(fake.command("rsvp", user_id="1"))
        await host.run(fake.until(lambda: fake.answered(listing)))
        message = (await host.run(messages_of(fake, listing)))[0]
        # The baseline answers with a message as big as ours, with the same buttons.
        incoming = button_incoming(UserRef("discord", "2"), ChatRef("discord", "2"), PRESS)
        reply = (await adapter.bot.handle(incoming, modal=True, ephemeral=True))[0]
        EchoButton.answer = render_reply(reply)[0]  # type: ignore[arg-type]
        await adapter.bot.store.set_rsvps("discord", "2", set(), {"day1"}, clock.now())
        presses = await host.run(press_all(fake, message, users))
        await host.run(settle(fake, presses, timeout), timeout + 5)
        stored = (await adapter.bot.store.rsvp_counts()).get("day1", 0)
    return presses, stored


async def messages_of(fake: FakeDiscord, interaction: Interaction) -> list[dict[str, Any]]:
    return fake.messages_of(interaction)


async def main(users: int, timeout: float) -> int:
    logging.basicConfig(level=logging.WARNING)
    discord_adapter.GUILD_READY_TIMEOUT = 0.1  # one server: no need to wait 2 s for more
    started = time.perf_counter()
    host = FakeInThread()
    async with host as fake:
        with tempfile.TemporaryDirectory() as folder:
            ours, stored = await campaign(host, fake, users, timeout, Path(folder))
        theirs = await baseline(host, fake, users, timeout)
    print(f"{users} concurrent RSVP presses from distinct people; fake Discord in its own "
          f"thread; {time.perf_counter() - started:.1f} s in all")
    mine = summary("campaign bot", ours)
    bare = summary("bare client", theirs)
    print(f"RSVPs stored: {stored} of {users}")
    if mine and bare:
        print(f"campaign bot / bare client: p50 {mine['p50'] / bare['p50']:.1f}x, "
              f"p99 {mine['p99'] / bare['p99']:.1f}x, max {mine['max'] / bare['max']:.1f}x")
    ok = bool(mine) and mine["refused"] == 0 and mine["late"] == 0 and stored == users
    print(f"goal (every acknowledgement under {GOAL:.0f} s, none refused, every RSVP stored): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for all acknowledgements (default 30)")
    args = parser.parse_args()
    sys.exit(asyncio.run(asyncio.wait_for(main(args.users, args.timeout), 300)))

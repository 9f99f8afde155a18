"""Tier-1 fixtures: the shipped campaign config on a temporary database, a frozen clock, and
in-memory chats that read like a supporter's conversation."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import discord
import discord.backoff
import discord.client
import httpx._transports.default as httpx_transports
import pytest

from bot import chart, forms
from bot.adapters.discord import adapter as discord_adapter
from bot.app import open_bot
from bot.config import Config, Moderators, Storage, load
from bot.core import Reply, decode_button
from bot.dispatch import Dispatcher
from bot.scheduler import Scheduler
from bot.storage import Storage as Database
from tests.support.clock import FrozenClock
from tests.support.memory import MemoryChat
from tests.support.schedule import scheduler_for
from tests.support.senders import FakeSender

ROOT = Path(__file__).resolve().parent.parent
# Shared tier-3 fixtures: `fake` (a running fake Discord) and `adapter` (the Telegram adapter
# against a test module's `api` fake). Modules that need something else define their own.
pytest_plugins = ("tests.fakes.discord_api", "tests.fakes.telegram_harness")
MODERATOR_TELEGRAM_ID = "42"
MODERATOR_DISCORD_ID = "4242"
MODERATOR_ROLE_ID = "777"


def check_buttons(bot: Dispatcher, replies: list[Reply]) -> None:
    """Every button shown leads somewhere: a link opens a web page; any other button's data
    decodes back to what it was built from and names an action the bot handles (a registered
    action, or a step of a registered form). Data size is not checked here: `Button` refuses
    oversize data where it is built (see test_button_data_fits_64_bytes)."""
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                assert button.label.strip(), f"a button without a label: {button}"
                if button.url is not None:
                    parts = urlsplit(button.url)
                    assert parts.scheme in ("http", "https") and parts.netloc, button
                    continue
                action, payload = decode_button(button.data)
                assert (action, payload) == (button.action, button.payload), button
                if action == forms.ACTION:
                    assert payload and payload[0] in bot.forms, f"no such form: {button}"
                else:
                    assert action in bot.actions, f"no handler for button {button}"


def pytest_configure(config):
    config.addinivalue_line("markers", "real_chart: draw the real growth chart (quick_chart)")


# A 1x1 white PNG: what /stats attaches in tests that are about its text.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
    "9c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082")


@pytest.fixture(autouse=True)
def quick_chart(request, monkeypatch):
    """Drawing the growth chart costs 0.2 s of CPU (0.8 s the first time: matplotlib's
    import), and some 40 tests send /stats for its text: unless a test is marked `real_chart`
    (tests/test_chart.py), a 1-pixel PNG stands in for the drawing."""
    if request.node.get_closest_marker("real_chart") is None:
        monkeypatch.setattr(chart, "render", lambda data: TINY_PNG)


@pytest.fixture(autouse=True)
def buttons_lead_somewhere(monkeypatch):
    """Checks every button any handler shows in any tier-1 test (check_buttons)."""
    deliver = MemoryChat._deliver

    async def checked(self, incoming):
        text = await deliver(self, incoming)
        check_buttons(self.bot, self.replies)
        return text

    monkeypatch.setattr(MemoryChat, "_deliver", checked)


@pytest.fixture(scope="session", autouse=True)
def one_tls_context():
    """httpx builds a TLS context for every client, loading the whole CA bundle (20 ms of CPU),
    and the Telegram adapter makes two clients per start: 40 ms per tier-3 test, for HTTPS that
    the fakes on 127.0.0.1 never speak. Clients with the default settings share one context."""
    make = httpx_transports.create_ssl_context
    shared: dict[bool, ssl.SSLContext] = {}

    def reuse(verify=True, cert=None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is not True or cert is not None:
            return make(verify=verify, cert=cert, trust_env=trust_env)
        if trust_env not in shared:
            shared[trust_env] = make(verify=verify, cert=cert, trust_env=trust_env)
        return shared[trust_env]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", reuse)
        yield


class QuickBackoff(discord.backoff.ExponentialBackoff):
    """discord.py's reconnect backoff (up to 2, 4, 8 ... seconds, at random), in milliseconds."""

    def delay(self) -> float:
        return super().delay() / 1000


async def identify_at_once(self: discord.Client, shard_id: int | None, *,
                           initial: bool = False) -> None:
    """discord.py sleeps 5 s before every IDENTIFY but the first (Client.before_identify_hook,
    meant to be overridden); the fake Discord has no identify rate limit to respect."""


@pytest.fixture(autouse=True)
def quick_discord_connects(monkeypatch):
    """discord.py's waits between reconnects are there for Discord's limits, which the fake does
    not have: without them a test of a reconnect takes milliseconds instead of seconds. What is
    tested (resume, identify again, replay, set up once) is unchanged. And on_ready comes after
    the last GUILD_CREATE has settled for GUILD_READY_TIMEOUT (2 s): the fake sends its one
    server at once, so 50 ms is plenty."""
    monkeypatch.setattr(discord.client, "ExponentialBackoff", QuickBackoff)
    monkeypatch.setattr(discord.Client, "before_identify_hook", identify_at_once)
    monkeypatch.setattr(discord_adapter, "GUILD_READY_TIMEOUT", 0.05)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """An empty database with every migration applied, made once per run by the bot's own
    Storage.open: copying it costs each test 2 ms where migrating a new file costs 12 ms.
    Migrating from scratch and from each older version is tested in test_storage.py."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def create() -> None:
        await (await Database.open(path)).close()

    asyncio.run(create())
    return path


@pytest.fixture(scope="session")
def shipped_config() -> Config:
    """The shipped config.toml, read once per run: reading and validating it cost each test
    8 ms, and a Config is immutable (frozen models, tuples), so tests can share it."""
    return load(ROOT / "config.toml")


@pytest.fixture
def config(tmp_path, migrated_database, shipped_config):
    shipped = shipped_config
    shutil.copy2(migrated_database, tmp_path / "test.db")  # the file's mode too
    return shipped.model_copy(update={
        "storage": Storage(path=str(tmp_path / "test.db")),
        "moderators": Moderators(
            telegram_user_ids=(int(MODERATOR_TELEGRAM_ID),),
            discord_user_ids=(int(MODERATOR_DISCORD_ID),),
            discord_role_ids=(int(MODERATOR_ROLE_ID),),
        ),
    })


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A copy of the shipped config whose database lands in tmp_path, for `python -m bot`
    in a subprocess (tests/support/cli.py)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def path(config) -> str:
    """The test's database file, for reading rows straight from it."""
    return config.storage.path


@pytest.fixture
def scheduler(bot) -> Scheduler:
    """The scheduler on the test's bot, for both platforms; tests call `tick` themselves."""
    return scheduler_for(bot)


@pytest.fixture
def clock():
    # 1 June 2027, 09:00 in New York: the countdown's last ten days, before the Week of Action.
    return FrozenClock(datetime(2027, 6, 1, 13, 0, tzinfo=UTC))


@pytest.fixture
async def bot(config, clock):
    async with open_bot(config, clock) as bot:
        yield bot


@pytest.fixture
def telegram(bot) -> FakeSender:
    """A FakeSender in the Telegram adapter's place, for the outbox and announcements."""
    sender = FakeSender("telegram")
    bot.senders["telegram"] = sender
    return sender


@pytest.fixture
def make_chat(bot):
    def make(**kwargs) -> MemoryChat:
        return MemoryChat(bot, **kwargs)

    return make


@pytest.fixture
def chat(make_chat) -> MemoryChat:
    """Ada, a supporter on Telegram in a private chat."""
    return make_chat()


@pytest.fixture
def moderator(make_chat) -> MemoryChat:
    return make_chat(user_id=MODERATOR_TELEGRAM_ID, name="Mo Derator")

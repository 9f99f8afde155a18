"""Tier-1 fixtures: the shipped campaign config on a temporary database, a frozen clock, and
in-memory chats that read like a supporter's conversation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.memory_adapter import MemoryChat
from bot.app import open_bot
from bot.config import Moderators, Storage, load
from bot.core import MAX_BUTTON_DATA_BYTES, FrozenClock

ROOT = Path(__file__).resolve().parent.parent
# Shared tier-3 fixtures: `fake` (a running fake Discord) and `adapter` (the Telegram adapter
# against a test module's `api` fake). Modules that need something else define their own.
pytest_plugins = ("tests.fakes.discord_api", "tests.fakes.telegram_harness")
MODERATOR_TELEGRAM_ID = "42"
MODERATOR_DISCORD_ID = "4242"
MODERATOR_ROLE_ID = "777"


@pytest.fixture(autouse=True)
def buttons_fit_telegram(monkeypatch):
    """Every button any handler shows in any test fits Telegram's 64-byte callback_data."""
    deliver = MemoryChat._deliver

    async def checked(self, incoming):
        text = await deliver(self, incoming)
        for reply in self.replies:
            for row in reply.buttons:
                for button in row:
                    if button.url is None:
                        assert len(button.data.encode("utf-8")) <= MAX_BUTTON_DATA_BYTES, button
        return text

    monkeypatch.setattr(MemoryChat, "_deliver", checked)


@pytest.fixture
def config(tmp_path):
    shipped = load(ROOT / "config.toml")
    return shipped.model_copy(update={
        "storage": Storage(path=str(tmp_path / "test.db")),
        "moderators": Moderators(
            telegram_user_ids=(int(MODERATOR_TELEGRAM_ID),),
            discord_user_ids=(int(MODERATOR_DISCORD_ID),),
            discord_role_ids=(int(MODERATOR_ROLE_ID),),
        ),
    })


@pytest.fixture
def clock():
    # 1 June 2027, 09:00 in New York: the countdown's last ten days, before the Week of Action.
    return FrozenClock(datetime(2027, 6, 1, 13, 0, tzinfo=UTC))


@pytest.fixture
async def bot(config, clock):
    async with open_bot(config, clock) as bot:
        yield bot


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

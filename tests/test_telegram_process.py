"""Tier 3: `python -m bot` with TELEGRAM_BOT_TOKEN set, as deployed: it serves Telegram through
the fake Bot API, stops on SIGTERM or SIGINT with exit status 0 within 10 seconds, and never
writes the token to its log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent
ADA = 1001
EXIT_WITHIN = 10.0


def write_config(tmp_path: Path, base_url: str) -> Path:
    # The shipped campaign, its database in tmp_path (storage.path is relative to the file).
    shipped = (ROOT / "config.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    assert "\n[telegram]\n" in shipped  # its description keys: base_url joins that table
    shipped = shipped.replace("\n[telegram]\n", f'\n[telegram]\nbase_url = "{base_url}"\n', 1)
    path.write_text(shipped, encoding="utf-8")
    return path


async def run_bot(config: Path, token: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_BOT_TOKEN",)}
    env["TELEGRAM_BOT_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), cwd=ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_the_bot_serves_telegram_and_stops_cleanly_on_a_signal(api, tmp_path, signum):
    process = await run_bot(write_config(tmp_path, api.base_url), TOKEN)
    try:
        await api.wait_for(lambda: any(c.method == "getUpdates" for c in api.calls), 30)
        api.send_text(ADA, "/help")
        await api.wait_for(lambda: bool(api.sent(ADA)), 10)
        assert api.texts(ADA)[0].startswith("#EyesOnAmazon")
        process.send_signal(signum)
        _, stderr = await asyncio.wait_for(process.communicate(), EXIT_WITHIN)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "telegram: polling as @CampaignTestBot" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert (tmp_path / "campaign.db").exists()


async def test_a_refused_token_exits_non_zero_without_showing_it(api, tmp_path):
    wrong = "999999:AAwrong-token-nobody-knows_0123456789"
    process = await run_bot(write_config(tmp_path, api.base_url), wrong)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), EXIT_WITHIN)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 1, log
    assert "Telegram refused the bot token" in log
    assert wrong not in log and wrong.split(":")[1] not in log

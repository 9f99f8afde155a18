"""Tier 3: the Discord client's life: slash command payload and sync, reconnects that
duplicate nothing, a refused token, SIGTERM in a real `python -m bot` process; and the fake's
own honesty (it must refuse what Discord refuses, or the other tests prove nothing)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from bot.adapters.discord import DiscordAdapter
from bot.app import open_bot
from tests.fakes.discord_api import FakeDiscord, bounded, running, with_fake

ROOT = Path(__file__).resolve().parent.parent


def guild_puts(fake: FakeDiscord) -> list:
    return fake.calls_to("PUT", rf"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands")


# Slash commands -------------------------------------------------------------------------------

@bounded(20)
async def test_slash_commands_come_from_the_registry(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        synced = {c["name"]: c for c in fake.commands[fake.guild_id]}
        assert set(synced) == set(adapter.bot.commands)
        for name, command in adapter.bot.commands.items():
            assert synced[name]["description"] == command.description
        options = {n: [(o["name"], o["type"], o.get("required", False))
                       for o in c.get("options", [])] for n, c in synced.items()}
        assert options["start"] == [("topic", 3, False)]
        assert options["settings"] == [("key", 3, False), ("value", 3, False)]
        assert [c["value"] for c in synced["settings"]["options"][0]["choices"]] == [
            "timezone", "time", "language", "invites"]
        assert options["subscribe"] == options["unsubscribe"] == [("channel", 7, False)]
        assert options["sign"] == [("code", 3, False)]  # an invite code (issue 12)
        assert options["countdown"] == []
        assert synced["stats"]["contexts"] == [0] and synced["stats"]["dm_permission"] is False
        assert synced["sign"]["contexts"] == [0, 1] and synced["sign"][
            "default_member_permissions"] is None
        assert all(c["integration_types"] == [0] for c in synced.values())
        assert fake.intents is not None and fake.intents == 1  # guilds only: none privileged


@bounded(30)
async def test_commands_sync_only_when_they_or_their_servers_change(config, clock, fake):
    in_server = with_fake(config, fake)
    async with running(in_server, clock, fake) as first:
        assert first.synced is True
    async with running(in_server, clock, fake) as second:
        assert second.synced is False
    assert len(guild_puts(fake)) == 1
    everywhere = with_fake(config, fake, guilds=False)
    async with running(everywhere, clock, fake) as third:
        assert third.synced is True
    assert len(fake.commands[None]) == len(third.bot.commands)
    assert fake.commands[fake.guild_id] == []  # the server copies are cleared, not duplicated
    async with running(everywhere, clock, fake) as fourth:
        assert fourth.synced is False
    assert len(fake.calls_to("PUT", rf"/applications/{fake.app_id}/commands")) == 1


@bounded(30)
async def test_a_failed_sync_is_tried_again_at_the_next_start(config, clock, fake):
    settings = with_fake(config, fake)
    fake.fail("PUT", r"/applications/\d+/guilds/\d+/commands", 400, code=50035)
    async with running(settings, clock, fake) as first:
        assert first.synced is False and not first.failed
    async with running(settings, clock, fake) as second:
        assert second.synced is True


# Reconnects -----------------------------------------------------------------------------------

@bounded(30)
async def test_a_gateway_close_4000_resumes_and_duplicates_nothing(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        await fake.close_gateway(4000)
        # Sent while the client is away: Discord replays it on RESUME, exactly once.
        missed = await fake.command("countdown")
        await fake.until(lambda: fake.resumes == 1 and fake.answered(missed))
        await fake.close_gateway(4000)
        await fake.until(lambda: fake.resumes == 2)
        later = await fake.command("rsvp")
        await fake.until(lambda: fake.answered(later))
        await asyncio.sleep(0.2)  # room for a duplicate to show up, were there one
        callbacks = fake.calls_to("POST", rf"/interactions/{missed.id}/[^/]+/callback")
        assert len(callbacks) == 1 and missed.refused == []
        assert fake.identifies == 1 and adapter.setups == 1
        assert len(guild_puts(fake)) == 1


@bounded(40)
async def test_a_failed_resume_identifies_again_and_still_sets_up_once(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        await asyncio.wait_for(adapter.ready.wait(), 5)
        adapter.ready.clear()
        fake.refuse_resume = True
        await fake.close_gateway(4000)
        # discord.py identifies again (at once here: see quick_discord_reconnects in conftest)
        # and fires on_ready a second time.
        await fake.until(lambda: fake.identifies == 2, timeout=20)
        await asyncio.wait_for(adapter.ready.wait(), 10)
        assert fake.refused_resumes == 1 and adapter.setups == 1
        assert len(guild_puts(fake)) == 1
        after = await fake.command("countdown")
        await fake.until(lambda: fake.answered(after))


# Start and stop -------------------------------------------------------------------------------

@bounded(20)
async def test_a_refused_token_fails_and_stops_the_process(config, clock, fake):
    async with open_bot(with_fake(config, fake), clock) as bot:
        stop = asyncio.Event()
        adapter = DiscordAdapter(bot, "not-the-token", stop)
        await asyncio.wait_for(adapter.start(), 10)
        assert adapter.failed and stop.is_set()
        await asyncio.wait_for(adapter.stop(), 5)
    assert fake.identifies == 0
    assert fake.refusals == [("GET", "/users/@me", 401, 0)]
    fake.refusals.clear()


@bounded(20)
async def test_an_unreachable_discord_fails_and_stops_the_process(config, clock):
    gone = await FakeDiscord().start()
    settings = with_fake(config, gone)
    await gone.close()  # nothing listens on that port any more
    async with open_bot(settings, clock) as bot:
        stop = asyncio.Event()
        adapter = DiscordAdapter(bot, gone.token, stop)
        await asyncio.wait_for(adapter.start(), 10)
        assert adapter.failed and stop.is_set()
        await asyncio.wait_for(adapter.stop(), 5)


@bounded(60)
async def test_sigterm_stops_python_m_bot_with_exit_0(tmp_path, fake):
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text += (f'\n[discord]\napi_base_url = "{fake.base_url}"\n'
             f'gateway_url = "{fake.gateway_url}"\nguild_ids = [{fake.guild_id}]\n')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN")}
    env.update(PYTHONPATH=str(ROOT), DISCORD_BOT_TOKEN=fake.token)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(tmp_path / "config.toml"), cwd=tmp_path,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.until(lambda: fake.identifies == 1, timeout=40)
        answered = await fake.command("countdown")
        await fake.until(lambda: fake.answered(answered), timeout=10)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert fake.token not in stderr.decode()
    assert (tmp_path / "campaign.db").exists()


# The fake refuses what Discord refuses --------------------------------------------------------

async def _command_registered(fake: FakeDiscord) -> None:
    fake.commands[None] = [{"id": "1", "name": "ping", "description": "Ping", "options": []}]


@bounded(20)
async def test_the_fake_answers_exact_json_and_refuses_like_discord(fake):
    await _command_registered(fake)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {fake.token}"}) as http:
        async with http.get(fake.base_url + "/users/@me") as response:
            assert response.headers["Content-Type"] == "application/json"
        async with http.get(fake.base_url + "/users/@me", headers={
                "Authorization": "Bot wrong"}) as response:
            assert response.status == 401

        async def callback(interaction, body):
            url = f"{fake.base_url}/interactions/{interaction.id}/{interaction.token}/callback"
            async with http.post(url, json=body) as response:
                return response.status, await response.json()

        too_long = await fake.command("ping")
        status, body = await callback(too_long, {"type": 4, "data": {"content": "x" * 2001}})
        assert (status, body["code"], body["message"]) == (400, 50035, "Invalid Form Body")
        long_id = {"type": 1, "components": [
            {"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}]}
        status, body = await callback(too_long, {"type": 4, "data": {
            "content": "x", "components": [long_id]}})
        assert body["code"] == 50035
        six = [{"type": 1, "components": [{"type": 4, "custom_id": f"f{n}", "label": "L",
                                           "style": 1}]} for n in range(6)]
        status, body = await callback(too_long, {"type": 9, "data": {
            "custom_id": "m", "title": "T", "components": six}})
        assert body["code"] == 50035
        assert (await callback(too_long, {"type": 4, "data": {"content": "ok"}}))[0] == 200
        status, body = await callback(too_long, {"type": 4, "data": {"content": "again"}})
        assert (status, body["code"]) == (400, 40060)

        fake.ack_deadline = 0.05
        late = await fake.command("ping")
        await asyncio.sleep(0.1)
        status, body = await callback(late, {"type": 4, "data": {"content": "late"}})
        assert (status, body["code"], body["message"]) == (404, 10062, "Unknown interaction")

        fake.fail("GET", "/users/@me", 429, retry_after=0.5)
        async with http.get(fake.base_url + "/users/@me") as response:
            assert response.status == 429 and response.headers["Via"]
            assert (await response.json())["retry_after"] == 0.5
    fake.refusals.clear()

"""Languages, what the platforms show natively: Discord's localized slash commands (and the
re-sync a catalog change causes), Telegram's command menus and bot descriptions per language,
and the words the adapters add themselves, in the person's language. Tier 3 (the real
libraries against tests/fakes) where the platform's behaviour is the point."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest
from telegram.error import BadRequest

from bot import i18n
from bot.adapters.console import run_console
from bot.app import open_bot
from bot.config import ConfigError, Telegram, parse
from bot.core import Reply
from bot.sender import DMS_CLOSED, Outcome
from tests.fakes.discord_api import bounded, running, with_fake
from tests.fakes.telegram_api import chat_json
from tests.fakes.telegram_harness import running as telegram_running

ROOT = Path(__file__).resolve().parent.parent
SPANISH_LOCALES = {"es-ES", "es-419"}
HELP_ES = "Todos los comandos, uno por línea."


def spanish(msgid: str) -> str | None:
    text = i18n.translator("es").t(msgid)
    return None if text == msgid else text


def english_only(config):
    campaign = config.campaign.model_copy(update={"languages": ("en",)})
    return config.model_copy(update={"campaign": campaign})


# Discord ---------------------------------------------------------------------------------------

@bounded(30)
async def test_discord_slash_commands_carry_spanish_descriptions(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        synced = {c["name"]: c for c in fake.commands[fake.guild_id]}
        assert synced["help"]["description"] == "Every command, one line each."
        assert synced["help"]["description_localizations"] == {
            "es-ES": HELP_ES, "es-419": HELP_ES}
        for name, command in adapter.bot.commands.items():
            # Every command whose line the catalog translates (/sign, /rsvp... once their
            # handlers are translated) gets it for both Spanish locales; none gets a name.
            wanted = spanish(command.description)
            assert synced[name]["description_localizations"] == (
                dict.fromkeys(SPANISH_LOCALES, wanted) if wanted else {}), name
            assert synced[name]["name_localizations"] == {}
        (topic,) = synced["start"]["options"]
        assert topic["name"] == "topic"
        assert topic["description_localizations"]["es-419"] == (
            "Abre algo directamente, por ejemplo sign o rsvp")
        key, value = synced["settings"]["options"]
        assert key["description_localizations"]["es-ES"] == "Qué quieres cambiar"
        assert [(c["value"], c["name_localizations"]) for c in key["choices"]] == [
            ("timezone", {"es-ES": "zona horaria", "es-419": "zona horaria"}),
            ("time", {"es-ES": "hora", "es-419": "hora"}),
            ("language", {"es-ES": "idioma", "es-419": "idioma"}),
            ("invites", {"es-ES": "invitaciones", "es-419": "invitaciones"})]
        (channel,) = synced["subscribe"]["options"]
        assert set(channel["description_localizations"]) == SPANISH_LOCALES


@bounded(40)
async def test_adding_spanish_resyncs_discord_once(config, clock, fake):
    english = with_fake(english_only(config), fake)
    async with running(english, clock, fake) as first:
        assert first.synced is True
    assert fake.commands[fake.guild_id][0]["description_localizations"] == {}
    both = with_fake(config, fake)
    async with running(both, clock, fake) as second:
        assert second.synced is True  # the localizations are in the hash
    async with running(both, clock, fake) as third:
        assert third.synced is False  # an unchanged catalog: nothing to upload
    help_ = next(c for c in fake.commands[fake.guild_id] if c["name"] == "help")
    assert help_["description_localizations"]["es-419"] == HELP_ES


@bounded(30)
async def test_a_spanish_discord_user_with_closed_dms_is_told_in_spanish(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake) as adapter:
        done = await fake.command("subscribe", locale="es-419")
        await fake.until(lambda: fake.answered(done))
        fake.closed_dms["1001"] = 50007
        result = await adapter.deliver("1001", Reply.of("Hola"))
        assert (result.outcome, result.reason) == (Outcome.GONE, DMS_CLOSED)
        fake.refusals.clear()
        asked = await fake.command("countdown", locale="es-419")
        await fake.until(lambda: fake.answered(asked, 2))
        notice = fake.messages_of(asked)[-1]["content"]
        assert notice.startswith("Tus mensajes diarios están en pausa: Discord no me dejó")
        assert "/subscribe channel:#canal" in notice


# Telegram --------------------------------------------------------------------------------------

@pytest.fixture
def tconfig(config, api):
    return config.model_copy(update={"telegram": config.telegram.model_copy(
        update={"base_url": api.base_url})})


async def test_telegram_menus_and_descriptions_in_each_language(tconfig, clock, api):
    api.chats[42] = chat_json(42)  # the moderator (conftest) has opened the bot
    async with open_bot(tconfig, clock) as bot, telegram_running(bot):
        pass
    menus = {key: {c["command"]: c["description"] for c in commands}
             for key, commands in api.commands.items()}
    assert set(menus) == {"default", "default/en", "default/es", "chat:42", "chat:42/en",
                          "chat:42/es"}
    assert menus["default"]["help"] == menus["default/en"]["help"] == (
        "Every command, one line each.")
    assert menus["default/es"]["help"] == HELP_ES
    assert menus["default/es"]["donate"] == "Apoya la campaña con una donación."
    assert "stats" not in menus["default/es"] and "stats" in menus["chat:42/es"]
    assert menus["chat:42/es"]["help"] == HELP_ES and menus["chat:42"]["help"] != HELP_ES
    description, short = tconfig.telegram.description, tconfig.telegram.short_description
    assert api.descriptions == {"": description.get("en"), "en": description.get("en"),
                                "es": description.get("es")}
    assert api.descriptions["es"].startswith("#EyesOnAmazon: exígele a Amazon")
    assert api.short_descriptions == {"": short.get("en"), "en": short.get("en"),
                                      "es": short.get("es")}
    assert api.short_descriptions["es"].startswith("Firma la petición")


async def test_the_fake_bot_api_refuses_what_telegram_refuses(client, api):
    with pytest.raises(BadRequest, match="too long"):
        await client.set_my_description("x" * 513, language_code="es")
    with pytest.raises(BadRequest, match="too long"):
        await client.set_my_short_description("x" * 121)
    with pytest.raises(BadRequest, match="(?i)language code"):
        await client.set_my_description("Hola", language_code="es_MX")
    assert api.descriptions == {} and api.short_descriptions == {}
    assert len(api.take_refusals()) == 3


def test_over_long_telegram_descriptions_are_refused_naming_the_key(config, tmp_path):
    data = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    data["telegram"]["description"]["es"] = "a" * 513
    data["telegram"]["short_description"] = "b" * 121
    with pytest.raises(ConfigError) as refused:
        parse(data, tmp_path)
    assert 'telegram.description: at most 512 characters: the "es" version has 513' in (
        refused.value.problems)
    assert "telegram.short_description: at most 120 characters: it has 121" in (
        refused.value.problems)
    assert Telegram().description == "" and Telegram().short_description == ""


# The console -----------------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_the_console_banner_is_in_the_persons_language(bot):
    out = io.StringIO()
    await run_console(bot, Terminal(""), out, "Ada", lang="es-419")
    assert out.getvalue().startswith("Chat de consola como Ada. Escribe /help para empezar")

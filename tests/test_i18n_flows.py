"""Languages, as a supporter meets them: the app's language picks the bot's, /settings language
overrides it (stored, shown by /mydata, erased by /forget), a signature keeps the language and
the consent text it was shown, and Telegram and Discord pass their users' languages through.

The modules converted so far: /start, /help, /donate, /cancel, the forms' own words and the
dispatcher's replies. The clock stands at Tue 1 June 2027, 13:00 UTC."""

from __future__ import annotations

import io

import pytest

from bot import app, i18n
from bot.config import Telegram
from bot.i18n import Text
from tests.fakes.discord_api import answer, bounded, running, text, with_fake
from tests.fakes.telegram_api import message_update
from tests.fakes.telegram_harness import BOUND
from tests.fakes.telegram_harness import running as telegram_running
from tests.support.database import rows
from tests.support.memory import MemoryChat

HELP_ES = "/help — Todos los comandos, uno por línea."
HELP_EN = "/help — Every command, one line each."
CONSENT_ES = "Guardamos el nombre y el correo que nos des, para contar tu firma."


def bilingual(config, **petition):
    campaign = config.campaign.model_copy(update={"languages": ("en", "es")})
    return config.model_copy(update={
        "campaign": campaign, "petition": config.petition.model_copy(update=petition)})


@pytest.fixture
def config(config):
    """The shipped campaign speaking English (the default) and Spanish."""
    consent = Text(config.petition.consent_text, {"en": config.petition.consent_text,
                                                  "es": CONSENT_ES})
    return bilingual(config, consent_text=consent)


def spanish(make_chat, **kwargs) -> MemoryChat:
    return make_chat(locale="es-419", **kwargs)


# The app's language ----------------------------------------------------------------------------

async def test_help_answers_in_the_apps_language(make_chat):
    reply = await spanish(make_chat).send("/help")
    assert HELP_ES in reply and "/start — Te damos la bienvenida" in reply
    assert "/donate — Apoya la campaña con una donación." in reply
    assert "Más información: https://mediajustice.org/eyesonamazon/" in reply
    assert HELP_EN not in reply
    for locale in ("pt-br", "", "en-GB"):  # nothing close to Spanish: the default, English
        assert HELP_EN in await make_chat(user_id=f"7{len(locale)}", locale=locale).send("/help")


async def test_a_single_language_config_answers_in_it_whatever_the_app_says(config, clock):
    english = config.model_copy(update={
        "campaign": config.campaign.model_copy(update={"languages": ("en",)})})
    async with app.open_bot(english, clock) as bot:
        assert HELP_EN in await MemoryChat(bot, locale="es").send("/help")


async def test_cancel_and_the_forms_own_words_in_spanish(make_chat):
    chat = spanish(make_chat)
    assert await chat.send("/cancel") == "No hay nada que cancelar."
    await chat.send("/sign")
    question = chat.replies[-1].plain_text()
    assert question.startswith("(1 de 4) ") and question.endswith("Envía /cancel para dejarlo.")
    assert chat.labels == ["Usar “Ada Lovelace”"]
    await chat.send("Ada")
    assert "Omitir" in chat.labels  # the optional email
    assert await chat.send("/cancel") == (
        "Cancelado. No guardamos nada de lo que escribiste en ese formulario.")


async def test_the_dispatchers_own_replies_in_spanish(make_chat):
    chat = spanish(make_chat)
    assert await chat.send("/nope") == (
        "Lo siento, no conozco /nope. Envía /help para ver lo que puedo hacer.")
    assert await chat.send("hola") == "No te entendí. Envía /help para ver lo que puedo hacer."
    assert await chat.press_data("gone:1") == (
        "Este botón ya no está disponible. Envía /help para empezar de nuevo.")
    assert await chat.send("/stats") == (
        "Lo siento, /stats es solo para el equipo de moderación de la campaña.")
    group = spanish(make_chat, user_id="1002", chat_id="-100")
    assert await group.send("/mydata") == (
        "Hagamos /mydata en un chat privado, para no compartir aquí nada personal.")


# The person's own choice -----------------------------------------------------------------------

async def test_settings_language_overrides_the_app_and_is_stored(make_chat, config):
    chat = make_chat(locale="en-US")
    assert await chat.send("/settings language es") == (
        "Listo: desde ahora te escribo en español.")
    assert HELP_ES in await chat.send("/help")
    assert rows(config, "SELECT language FROM user_settings") == [("es",)]
    shown = await chat.send("/settings")
    assert shown.endswith("Idioma: Español") and "Cambiar idioma" in chat.labels
    await chat.press("Cambiar idioma")
    assert chat.replies[0].plain_text() == "¿En qué idioma quieres que te escriba?"
    assert chat.labels == ["English", "Español"]
    assert await chat.press("English") == "Done: from now on I'll write to you in English."
    assert HELP_EN in await chat.send("/help")


async def test_an_unknown_language_changes_nothing(make_chat, config):
    chat = spanish(make_chat)
    reply = await chat.send("/settings language klingon")
    assert reply.startswith(
        "No hablo “klingon”. Elige uno de estos idiomas: English, Español.")
    assert rows(config, "SELECT * FROM user_settings") == []
    assert await chat.press_data("language:fr") == (
        "Este botón ya no está disponible. Envía /help para empezar de nuevo.")
    assert rows(config, "SELECT * FROM user_settings") == []


async def test_mydata_shows_the_language_and_forget_erases_it(make_chat, config):
    chat = make_chat()
    await chat.send("/settings language Español")
    assert ", idioma Español" in await chat.send("/mydata")  # said in the language chosen
    await chat.send("/forget")
    await chat.press_data("forget:yes")
    assert rows(config, "SELECT * FROM user_settings") == []
    assert HELP_EN in await chat.send("/help")


async def test_a_signature_keeps_the_language_and_the_consent_text_shown(make_chat, config):
    chat = spanish(make_chat)
    await chat.send("/sign")
    await chat.send("Ada Lovelace")
    await chat.press("Omitir")
    await chat.press("Omitir")
    assert CONSENT_ES in chat.replies[-1].plain_text()
    await chat.press("Firmar")
    assert rows(config, "SELECT language, consent_text FROM signatures") == [("es", CONSENT_ES)]
    mydata = await chat.send("/mydata")
    assert f"mostrado en este idioma: Español.\n  {CONSENT_ES}" in mydata
    english_ui = make_chat(locale="en")  # the same person's app switched to English
    assert f", shown in Español:\n  {CONSENT_ES}" in await english_ui.send("/mydata")
    english = make_chat(user_id="1002")
    await english.send("/sign")
    await english.send("Bo")
    await english.press("Skip")
    await english.press("Skip")
    await english.press("Sign")
    assert rows(config, "SELECT language, consent_text FROM signatures WHERE user_id = '1002'"
                ) == [("en", config.petition.consent_text.get("en"))]


# What it costs ---------------------------------------------------------------------------------

async def test_the_language_costs_one_read_per_update_and_none_with_one_language(
        bot, make_chat, monkeypatch):
    reads = []
    settings_of = bot.store.settings_of

    async def counted(platform, user_id):
        reads.append(user_id)
        return await settings_of(platform, user_id)

    monkeypatch.setattr(bot.store, "settings_of", counted)
    await spanish(make_chat).send("/help")
    assert reads == ["1001"]

    class NoStore:
        async def settings_of(self, platform, user_id):
            raise AssertionError("read with a single language configured")

    incoming = make_chat(locale="es").user
    from bot.core import ChatRef, Incoming
    one = Incoming("command", incoming, ChatRef("telegram", "1"), name="help", locale="es")
    assert await i18n.language_for(NoStore(), ("en",), one) == "en"


# The console and the platforms -----------------------------------------------------------------

async def test_the_console_takes_the_language_of_lang(config, clock, monkeypatch):
    out = io.StringIO()
    await app.console(config, io.StringIO("/help\n"), out, lang="es")
    assert HELP_ES in out.getvalue()
    from bot.__main__ import parser

    assert parser().parse_args(["console", "--lang", "es"]).lang == "es"


async def test_a_telegram_user_whose_app_speaks_spanish_gets_spanish(api, config, clock):
    config = config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})
    async with app.open_bot(config, clock) as bot, telegram_running(bot):
        api.push(message_update(1001, "/help", language_code="es"))
        await api.wait_for(lambda: api.sent(1001), BOUND)
        assert HELP_ES in api.texts(1001)[0]
        api.push(message_update(1002, "/help", language_code="pt-br"))
        await api.wait_for(lambda: api.sent(1002), BOUND)
        assert HELP_EN in api.texts(1002)[0]


@bounded(30)
async def test_a_discord_user_whose_client_speaks_spanish_gets_spanish(config, clock, fake):
    async with running(with_fake(config, fake), clock, fake):
        shown = text(await answer(fake, await fake.command("help", locale="es-419")))
        assert HELP_ES in shown
        shown = text(await answer(fake, await fake.command("help", user_id="1002")))
        assert HELP_EN in shown  # en-US


async def test_start_welcomes_in_spanish_with_the_shipped_campaign_content(make_chat):
    # The shipped config.toml speaks English and Spanish: the campaign's own words come in the
    # person's language too, not only the bot's.
    chat = spanish(make_chat)
    reply = await chat.send("/start")
    assert reply.startswith("#EyesOnAmazon\nExígele a Amazon que deje de vender reconocimiento")
    assert "Sé la primera persona en firmar." in reply
    assert "Confirma tu asistencia a la Semana de Acción" in chat.labels
    reply = await chat.send("/help")
    assert reply.startswith("#EyesOnAmazon — MediaJustice con la Coalición Athena")
    assert "confirma tu asistencia a la Semana de Acción" in reply
    assert "/sign — Firma la petición." in reply

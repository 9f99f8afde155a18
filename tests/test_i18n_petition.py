"""The petition, /mydata, /forget and /stats in Spanish: a supporter whose app speaks Spanish
and one who chose it with /settings sign, see and erase their data in Spanish; the signature
records the Spanish consent text exactly as shown; a moderator's counts read "60.000"; the
validators' reasons and the flood notice are Spanish too. The shipped config speaks English
(the default) and Spanish; the clock stands at Tue 1 June 2027, 13:00 UTC."""

from __future__ import annotations

import dataclasses

from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.database import rows

TITLE_ES = "Amazon: deja de vender tecnología de vigilancia a la policía y a ICE, para siempre"
TEXT_ES = "La moratoria de Amazon sobre el uso policial de su software de reconocimiento facial"
SIGN_UPDATES_ES = "Firmar y recibir novedades"
NEXT_ES = ("Lo siguiente: /rsvp para confirmar tu asistencia a la Semana de Acción, o "
           "/subscribe para recibir una acción al día.")


def consent_es(config) -> str:
    return config.petition.consent_text.get("es")


async def sign_in_spanish(chat, config, *, name: str = "Ada") -> str:
    """/sign to the end, checking each step is Spanish; the thanks."""
    await chat.send("/sign")
    intro, question = (r.plain_text() for r in chat.replies)
    assert intro.startswith(TITLE_ES + "\n\n" + TEXT_ES)
    assert "\nPara: Andy Jassy, director ejecutivo de Amazon\n\nFirmas hasta ahora: " in intro
    assert "Signatures" not in intro and "Amazon: stop selling" not in intro
    assert question.startswith("(1 de 4) ¿Qué nombre ponemos en la petición?\n")
    await chat.send("\u200b")  # a "name" that shows nothing: refused, and asked again
    assert chat.replies[0].plain_text() == (
        "Ese nombre no muestra nada: escribe un nombre con al menos una letra o un número.")
    await chat.send(name)
    assert chat.replies[-1].plain_text().startswith(
        "(2 de 4) ¿Cuál es tu correo electrónico? (opcional)\n")
    refused = await chat.send("ada-at-example.org")
    assert refused.startswith("Eso no parece una dirección de correo electrónico.")
    assert rows(config, "SELECT * FROM signatures WHERE name = ?", (name,)) == []
    await chat.send("ada@example.org")
    await chat.send("abc")
    assert chat.replies[0].plain_text() == "Eso no parece un código postal válido."
    assert chat.replies[-1].plain_text().startswith("(3 de 4) ¿Cuál es tu código postal?")
    await chat.press("Omitir")
    consent = chat.replies[-1].plain_text()
    assert consent.startswith(f"(4 de 4) {consent_es(config)}\n\n¿Cómo quieres firmar?")
    assert chat.labels == ["Firmar", SIGN_UPDATES_ES]
    assert f'"{SIGN_UPDATES_ES}"' in consent  # the consent text quotes the button as it is
    return await chat.press(SIGN_UPDATES_ES)


async def test_a_supporter_whose_app_speaks_spanish_signs_in_spanish(make_chat, config):
    chat = make_chat(locale="es")
    thanks = await sign_in_spanish(chat, config)
    assert thanks.startswith(
        "¡Gracias, Ada! Tu firma es la n.º 1. La petición ya tiene 1 firma.\n"
        f"Te mantendremos al tanto.\n{NEXT_ES}\n\nInvita a otras personas a firmar\n\n"
        "Tu código de invitación: ")
    assert thanks.endswith("Tu enlace ha traído 0 firmas hasta ahora.")
    assert rows(config, "SELECT language, consent_text, wants_updates FROM signatures") == [
        ("es", consent_es(config), 1)]
    assert consent_es(config) != config.petition.consent_text.get("en")
    again = await chat.send("/sign")
    assert again.startswith("Firmaste el mar, 1 jun 2027, ")
    assert again.endswith("(firma n.º 1). ¡Gracias! La petición tiene 1 firma.")


async def test_one_who_chose_spanish_signs_in_spanish_and_the_count_is_plural(
        make_chat, config):
    english = make_chat(user_id="1002", name="Bo")
    await english.send("/sign")
    await english.send("Bo")
    await english.press("Skip")
    await english.press("Skip")
    assert (await english.press("Sign")).startswith(
        "Thank you, Bo! You are signature #1. The petition now has 1 signature.\n"
        "Next: /rsvp for the Week of Action, or /subscribe for one action a day.\n\n"
        "Invite others to sign\n")
    chat = make_chat(locale="en-US")
    await chat.send("/settings language es")
    thanks = await sign_in_spanish(chat, config, name="Ada Lovelace")
    assert thanks.startswith(
        "¡Gracias, Ada Lovelace! Tu firma es la n.º 2. La petición ya tiene 2 firmas.\n")
    assert rows(config, "SELECT language, consent_text FROM signatures WHERE user_id = '1001'"
                ) == [("es", consent_es(config))]


async def test_mydata_and_forget_in_spanish(make_chat, config):
    chat = make_chat(locale="es-419")
    await sign_in_spanish(chat, config)
    shown = await chat.send("/mydata")
    assert shown.startswith("Lo que guardamos sobre ti\n\nFirma de la petición n.º 1, "
                            "mar, 1 jun 2027, ")
    assert "\n  Nombre: Ada\n  Correo electrónico: ada@example.org\n" in shown
    assert "\n  Código postal: (no indicado)\n" in shown
    assert ("\n  Consentimiento: “recibir novedades”, versión 2027-01 del texto de "
            "consentimiento, mostrado en este idioma: Español.\n  "
            f"{consent_es(config)}") in shown
    assert shown.endswith("\n\nPara borrar todo esto, envía /forget.")
    assert await chat.send("/forget") == (
        "Esto borra todo lo que guardamos sobre ti: tu firma (el total de la petición baja), "
        "tus confirmaciones de asistencia, los mensajes diarios, tus ajustes y cualquier "
        "formulario sin terminar. No se puede deshacer. ¿Lo borramos?")
    assert chat.labels == ["Sí, borrarlo todo", "No, mantenerla"]
    assert await chat.press("No, mantenerla") == "No se borró nada."
    assert len(rows(config, "SELECT * FROM signatures")) == 1
    await chat.send("/forget")
    assert await chat.press("Sí, borrarlo todo") == (
        "Borrado: tu firma, tu código de invitación. Ya no guardamos nada sobre ti.")
    assert rows(config, "SELECT * FROM signatures") == []
    assert await chat.send("/mydata") == (
        "No guardamos nada sobre ti: ni firma, ni confirmaciones de asistencia, ni "
        "suscripción, ni ajustes, ni formularios.")


async def test_mydata_shows_the_consent_in_the_language_it_was_shown_in(make_chat, config):
    chat = make_chat(locale="es")
    await sign_in_spanish(chat, config)
    english_app = make_chat(locale="en")  # the same person, their app now in English
    shown = await english_app.send("/mydata")
    assert "\n  Consent: “keep me updated”, consent text version 2027-01, shown in Español:" \
           f"\n  {consent_es(config)}" in shown


async def test_unsign_in_spanish(make_chat, config):
    chat = make_chat(locale="es")
    assert await chat.send("/unsign") == (
        "No has firmado la petición, así que no hay ninguna firma que retirar.")
    await sign_in_spanish(chat, config)
    assert await chat.send("/unsign") == "¿Retiras tu firma (n.º 1) de la petición?"
    assert chat.labels == ["Sí, retirarla", "No, mantenerla"]
    assert await chat.press("No, mantenerla") == "Perfecto: tu firma se mantiene."
    await chat.send("/unsign")
    assert await chat.press("Sí, retirarla") == (
        "Retiramos tu firma. La petición ahora tiene 0 firmas.")


async def test_a_moderators_stats_in_spanish_format_the_numbers(bot, make_chat, monkeypatch):
    real = bot.store.stats

    async def big(now, zone):  # a campaign's worth of signatures, without writing 60,000 rows
        s = await real(now, zone)
        return dataclasses.replace(s, signatures=60000, signatures_today=1234,
                                   signatures_7_days=15000, per_platform={"telegram": 45000})

    monkeypatch.setattr(bot.store, "stats", big)
    moderator = make_chat(user_id=MODERATOR_TELEGRAM_ID, name="Mo Derator", locale="es")
    shown = await moderator.send("/stats")
    assert shown.startswith("Estadísticas de la campaña\n\n"
                            "Firmas: 60.000 (hoy 1.234, últimos 7 días 15.000)\n"
                            "  en telegram: 45.000\nPidieron recibir novedades: 0\n\n"
                            "Confirmaciones de asistencia:\n"
                            "  Llamada de arranque: por qué tenemos los ojos puestos en Amazon: 0")
    assert "Mensajes que caducaron antes de poder enviarse: 0" in shown
    english = make_chat(user_id=MODERATOR_TELEGRAM_ID, name="Mo Derator", locale="en")
    assert "Signatures: 60,000 (today 1,234, last 7 days 15,000)" in await english.send("/stats")


async def test_settings_reasons_in_spanish(make_chat, config):
    chat = make_chat(locale="es")
    assert (await chat.send("/settings timezone Mars/Phobos")).startswith(
        "No conozco la zona horaria “Mars/Phobos”. Usa un nombre como America/New_York o "
        "Europe/London.")
    assert (await chat.send("/settings time 25:00")).startswith(
        "Indica una hora con el formato HH:MM de 24 horas, como 08:30 o 18:00.")
    assert rows(config, "SELECT * FROM user_settings") == []


async def test_the_slow_down_notice_is_in_the_apps_language(bot, make_chat):
    bot.flood.per_minute = 1  # the dispatcher's own guard, which knows the config's languages
    chat = make_chat(locale="es-ES")
    await chat.send("/help")
    assert await chat.send("/help") == (
        "Vas más rápido de lo que puedo seguir, así que haré una pausa de un minuto. Vuelve a "
        "intentarlo entonces.")
    english = make_chat(user_id="1002")
    await english.send("/help")
    assert (await english.send("/help")).startswith("You're going faster than I can keep up")

"""Announcements in two languages (issue 11), tier 1: a moderator who chose Spanish goes through
/announce, the report and /announcements in Spanish; a moderator may add a version per
configured language other than the default, each previewed with its length checked; each
recipient gets the version of their /settings language, the default's text otherwise. The
shipped config speaks English (the default) and Spanish. The runner and the outbox worker run
for real against a FakeSender, as in tests/test_announce_truth.py."""

from __future__ import annotations

from bot.announcement_runner import AnnouncementRunner, Notice
from bot.outbox import PAUSED
from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.waiting import wait_until
from tests.test_announce_truth import delivering

EN = "The Week of Action starts Monday!"
ES = "¡La Semana de Acción empieza el lunes!"


async def subscriber(make_chat, user_id: str, language: str | None = None, **kwargs):
    chat = make_chat(user_id=user_id, **kwargs)
    if language:
        await chat.send(f"/settings language {language}")
    await chat.send("/subscribe")
    return chat


async def delivered(bot) -> None:
    runner = AnnouncementRunner(bot, every=3600)

    async def done() -> bool:
        return (await bot.store.announcement(1)).status == "done"

    async with delivering(bot, runner):
        await wait_until(done, what="the announcement to finish")


async def test_a_spanish_moderator_announces_in_spanish(moderator, telegram, bot, make_chat):
    for n in range(3):
        await subscriber(make_chat, str(5000 + n))
    await moderator.send("/settings language es")
    assert await moderator.send("/announce") == (
        "¿Qué debe decir el anuncio? Envía el texto completo en un solo mensaje.\n"
        "Envía /cancel para dejarlo.")
    preview = await moderator.send(ES)
    assert "Vista previa: así, tal cual, llegará aquí." in preview
    assert ES in preview
    assert "Telegram: 38 de 4.096 caracteres ✓" in preview
    assert "¿Quién debe recibirlo?" in preview
    # The other configured language, named in the moderator's own: her text is the default's.
    assert "¿Añadir la versión en español?" in preview
    assert moderator.labels == [
        "Todas las personas suscritas o que pidieron novedades (3)", "Quienes van a un evento",
        "Canales y grupos suscritos (0)", "Cancelar", "Añadir la versión en español", "Omitir"]
    assert "¿Quién debe recibirlo?" in await moderator.press("Omitir")
    assert await moderator.press("Todas") == "¿Lo envío ahora o más tarde?"
    assert moderator.labels == ["Enviar ahora", "Programar…"]
    confirm = await moderator.press("Enviar ahora")
    assert confirm == ("¿Enviar a 3 destinatarios en Telegram ahora? Vence el mié, 2 jun 2027,"
                       " 09:00 EDT: lo que no haya salido para entonces no se envía.")
    assert "Vencer tras 1 hora" in moderator.labels and "Vencer tras 3 días" in moderator.labels
    assert await moderator.press("Confirmar") == (
        "Confirmado: se envía ahora. Te voy contando cómo avanza. "
        "Vence el mié, 2 jun 2027, 09:00 EDT.")

    await delivered(bot)
    assert sorted(telegram.announced(ES)) == ["5000", "5001", "5002"]
    report = telegram.to(MODERATOR_TELEGRAM_ID)[-1]
    assert report == ("El anuncio #1 terminó.\nTelegram: 3 entregados, 0 bloquearon o se fueron,"
                      " 0 fallaron, 0 inciertos")
    listing = await moderator.send("/announcements")
    assert "#1 terminado — Mo Derator en telegram, mar, 1 jun 2027, 09:00 EDT" in listing
    assert "Para: Todas las personas suscritas o que pidieron novedades" in listing
    assert "Telegram: 3 entregados" in listing


async def test_a_spanish_moderators_refusals_and_plurals(moderator, telegram, bot, make_chat):
    await subscriber(make_chat, "5000")
    await moderator.send("/settings language es")
    refused = await moderator.send("/announce " + "x" * 4100)
    assert refused == ("Telegram: 4.100 caracteres, más que el límite de 4.096. Acórtalo en 4 y "
                       "vuelve a enviar /announce.")
    await moderator.send("/announce hola")
    await moderator.press("Todas")
    assert "¿Enviar a 1 destinatario en Telegram ahora?" in await moderator.press("Enviar ahora")
    await moderator.press("Cancelar")
    assert moderator.replies[-1].plain_text() == "Cancelado: el anuncio #1 no se enviará."


async def test_a_spanish_version_reaches_spanish_readers_and_english_the_rest(
        moderator, telegram, bot, make_chat):
    await subscriber(make_chat, "5000")  # English, the default
    await subscriber(make_chat, "5001", "es")  # chose Spanish in /settings
    # A Spanish app, never chose: the language the app reported when subscribing, as for the
    # daily prompt (the outbox's one rule for a recipient's language).
    await subscriber(make_chat, "5002", locale="es-419")
    await moderator.send(f"/announce {EN}")
    assert moderator.labels[-2:] == ["Add the Spanish version", "Skip"]
    asked = await moderator.press("Add the Spanish version")
    assert "What should the Spanish version say? Send the whole text in one message." in asked
    shown = await moderator.send(ES)
    assert "Preview of the Spanish version:" in shown and ES in shown
    # Every version's length, checked before the audience is chosen.
    assert ("English version:\nTelegram: 33 of 4,096 characters ✓\n"
            "Spanish version:\nTelegram: 38 of 4,096 characters ✓\n\nWho should get it?") in shown
    await moderator.press("Everyone")
    await moderator.press("Send now")
    assert "Confirmed: sending now" in await moderator.press("Confirm")

    await delivered(bot)
    assert telegram.announced(EN) == ["5000"]
    assert sorted(telegram.announced(ES)) == ["5001", "5002"]
    report = telegram.to(MODERATOR_TELEGRAM_ID)[-1]
    assert "Announcement #1 finished.\nTelegram: 3 delivered" in report


async def test_without_a_version_everyone_gets_the_default_text(moderator, telegram, bot,
                                                               make_chat):
    await subscriber(make_chat, "5000")
    await subscriber(make_chat, "5001", "es")
    await moderator.send(f"/announce {EN}")
    after_skip = await moderator.press("Skip")
    assert after_skip.startswith("Telegram: 33 of 4,096 characters ✓\n\nWho should get it?")
    assert "version" not in after_skip
    await moderator.press("Everyone")
    await moderator.press("Send now")
    await moderator.press("Confirm")
    await delivered(bot)
    assert sorted(telegram.announced(EN)) == ["5000", "5001"]
    assert await bot.store.announcement_versions(1) == {}


async def test_a_version_too_long_is_asked_again_and_the_draft_kept(moderator, telegram, bot):
    await moderator.send(f"/announce {EN}")
    await moderator.press("Add the Spanish version")
    again = await moderator.send("y" * 4100)
    assert ("Telegram: 4,100 characters, over the limit of 4,096. Shorten it by 4 and send it "
            "again.") in again
    assert "What should the Spanish version say?" in again
    assert await bot.store.announcement_versions(1) == {}
    assert "Spanish version:\nTelegram: 38 of 4,096" in await moderator.send(ES)
    assert await bot.store.announcement_versions(1) == {"es": ES}


async def test_a_version_button_once_the_draft_is_gone_changes_nothing(moderator, telegram,
                                                                       bot):
    await moderator.send(f"/announce {EN}")
    await moderator.press("Cancel")
    stale = await moderator.press_data("ann:1:ver:es")
    assert "no longer available" in stale
    assert await bot.store.announcement_versions(1) == {}


async def test_pause_alerts_reach_each_moderator_in_their_language(moderator, telegram, bot):
    await moderator.send("/settings language es")
    await moderator.send("/announce borrador")
    await bot.store.create_announcement("telegram", "43", "Other", "43", "draft",
                                        bot.clock.now())
    runner = AnnouncementRunner(bot)
    runner.alert(Notice(PAUSED, platform="discord", minutes=10, budget=5))
    await wait_until(lambda: telegram.to(MODERATOR_TELEGRAM_ID) and telegram.to("43"),
                     what="both alerts")
    assert telegram.to(MODERATOR_TELEGRAM_ID) == [(
        "Las entregas en discord están en pausa durante unos 10 minutos: 5 solicitudes fallidas"
        " en 10 minutos (la plataforma bloquea por encima de eso). Se reanudan solas.")]
    assert telegram.to("43")[0].startswith("Delivery on discord paused for about 10 minutes")

"""The daily side in Spanish: /rsvp, /countdown, /today, /subscribe and /settings through the
in-memory adapter, and the scheduled messages (the daily prompt, RSVP reminders, the notice that
a chat's daily post is paused) rendered at sending in each recipient's own language.

The shipped campaign speaks English (the default) and Spanish. The clock stands at Tue 1 June
2027, 13:00 UTC (09:00 in New York); the deadline is Thu 10 June 2027, 12:00 EDT."""

from __future__ import annotations

from datetime import timedelta

from bot.handlers.messages import chat_paused_spec
from bot.outbox import OutboxWorker
from tests.support.database import rows
from tests.support.memory import MemoryChat
from tests.support.outbox import FAST, outbox, running
from tests.support.schedule import body_of, tick, utc
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

DAY1_ES = "Llamada de arranque: por qué tenemos los ojos puestos en Amazon"
DAY4_ES = "Jornada de visibilidad en el aniversario"
JUNE_1_ES = ("Firma la petición que le pide a Amazon que deje de vender, para siempre, "
             "tecnología de vigilancia a la policía y a ICE.")
DEADLINE_ES = "jue, 10 jun 2027, 12:00 EDT"


async def test_rsvp_in_spanish(make_chat):
    chat = make_chat(locale="es")
    text = await chat.send("/rsvp")
    assert text.startswith("Semana de Acción\n\n" + DAY1_ES + "\nlun, 7 jun 2027, 19:00–20:00 EDT")
    assert "Conéctate en línea" in text and "0 personas van" in text
    assert text.endswith("Elige los eventos a los que vas a ir:")
    assert chat.labels[0].startswith("Voy: Llamada de arranque")
    assert chat.labels[-1] == "A todos"

    text = await chat.press_data("rsvp:day1")
    assert text.startswith(f"Participarás en {DAY1_ES}. ¡Nos vemos allí!")
    assert "1 persona va · vas a ir ✓" in text  # the singular, and its own status
    assert "Confirmaste tu asistencia a 1 de 5." in text
    assert chat.labels[0].startswith("Cancelar: ")
    assert (await chat.press_data("rsvp:day1:no")).startswith(
        f"Ya no estás en la lista de {DAY1_ES}.")


async def test_countdown_and_today_in_spanish_with_real_plurals(make_chat, clock):
    chat = make_chat(locale="es-419")
    text = await chat.send("/countdown")
    assert text.startswith("Cuenta regresiva: 9 días y 3 horas para ")
    assert f"({DEADLINE_ES})." in text and "left until" not in text
    assert await chat.send("/today") == f"La acción del día (mar, 1 jun 2027):\n{JUNE_1_ES}"

    deadline = utc(2027, 6, 10, 16, 0)
    clock.current = deadline - timedelta(days=1, hours=1)
    assert (await chat.send("/countdown")).startswith("Cuenta regresiva: 1 día y 1 hora para ")
    clock.current = deadline + timedelta(days=1)
    assert (await chat.send("/countdown")).startswith("La fecha límite, ")
    assert f"pasó el {DEADLINE_ES}." in await chat.send("/countdown")


async def test_subscribe_and_settings_in_spanish(make_chat):
    chat = make_chat()  # an app that reports no language: the choice is made in /settings
    assert "Listo" in await chat.send("/settings language es")
    assert await chat.send("/subscribe") == (
        "Ya te suscribiste. Cada día a las 09:00 (America/New_York) te enviaré la cuenta "
        "regresiva y la acción del día.\nCambia la hora o la zona horaria con /settings; para "
        "dejarlo, envía /unsubscribe.")
    assert (await chat.send("/subscribe")).startswith("Ya tenías la suscripción")
    text = await chat.send("/settings")
    assert text == ("Tus ajustes\nZona horaria: America/New_York (la predeterminada de la "
                    "campaña)\nHora del mensaje diario: 09:00 (la predeterminada de la campaña)"
                    "\nMensajes diarios: activados\nIdioma: Español")
    assert chat.labels == ["Cambiar zona horaria", "Cambiar hora", "Cambiar idioma"]
    assert await chat.send("/settings time 10:30") == (
        "Tu mensaje diario llegará a las 10:30. Tu próximo mensaje: mar, 1 jun 2027, 10:30 EDT.")
    assert (await chat.press("Cambiar zona horaria")).startswith(
        "¿En qué zona horaria estás? Envía su nombre")
    assert await chat.send("Europe/Madrid") == (
        "Tu zona horaria ahora es Europe/Madrid. Tu próximo mensaje: mié, 2 jun 2027, 10:30 CEST.")
    assert (await chat.send("/settings bogus")).startswith("Usa /settings timezone")
    assert await chat.send("/unsubscribe") == (
        "Listo: no más mensajes diarios. Con /subscribe vuelven.")


async def test_the_daily_prompt_in_each_subscribers_language_in_the_same_minute(bot, clock,
                                                                                 scheduler, path):
    clock.current = utc(2027, 6, 1, 11, 30)
    english = MemoryChat(bot, user_id="3001", locale="en-US")
    spanish_app = MemoryChat(bot, user_id="3002", locale="es-419")  # recorded at /subscribe
    chosen = MemoryChat(bot, user_id="3003", locale="en-GB")  # the app says English...
    await chosen.send("/settings language es")  # ...but the choice wins
    for chat in (english, spanish_app, chosen):
        await chat.send("/subscribe")

    assert await tick(scheduler, clock, utc(2027, 6, 1, 13, 0)) == 3
    queued = outbox(path)
    assert len({row["message_id"] for row in queued}) == 1  # one spec, rendered per recipient

    sender = FakeSender("telegram")
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: len(sender.sent) == 3)
    sent = dict(sender.sent)
    assert sent["3001"].startswith("9 days and 3 hours left until ")
    assert "Today's action (Tue 1 Jun 2027):\n" in sent["3001"]
    for user in ("3002", "3003"):
        assert sent[user].startswith("Cuenta regresiva: 9 días y 3 horas para "), sent[user]
        assert f"La acción del día (mar, 1 jun 2027):\n{JUNE_1_ES}" in sent[user]
    [row] = [r for r in outbox(path) if r["user_id"] == "3002"]
    reply = await body_of(bot, row)
    assert [b.label for line in reply.buttons for b in line] == ["Hecho ✓",
                                                                 "Dejar los mensajes diarios"]


async def test_a_spanish_rsvps_day_before_reminder_is_in_spanish(bot, clock, scheduler, path):
    await MemoryChat(bot, user_id="4001", locale="es").press_data("rsvp:day4")
    await MemoryChat(bot, user_id="4002").press_data("rsvp:day4")
    await tick(scheduler, clock, clock.current)
    await tick(scheduler, clock, utc(2027, 6, 9, 22, 0))  # 18:00 EDT on Wed 9 June

    [spanish] = [r for r in outbox(path) if r["user_id"] == "4001"]
    [english] = [r for r in outbox(path) if r["user_id"] == "4002"]
    reply = await body_of(bot, spanish)
    assert reply.plain_text() == (
        f"Recordatorio: mañana participas en {DAY4_ES}\njue, 10 jun 2027, 12:00–14:00 EDT\n"
        "Frente a las oficinas de Amazon en las ciudades participantes (enviamos los detalles "
        "a quienes confirmen su asistencia)")
    assert [b.label for line in reply.buttons for b in line] == ["Sigo yendo", "No puedo ir"]
    assert (await body_of(bot, english)).plain_text().startswith(
        "Reminder: tomorrow you're going to Anniversary day of visibility\nThu 10 Jun 2027")

    # In Madrid it is already 10 June at that moment: "today", and the time in their zone.
    await MemoryChat(bot, user_id="4001", locale="es").send("/settings timezone Europe/Madrid")
    assert (await body_of(bot, spanish)).plain_text().startswith(
        f"Hoy: {DAY4_ES}\njue, 10 jun 2027, 18:00–20:00 CEST")


async def test_the_chat_paused_notice_is_in_the_subscribers_language(bot, clock, path, config):
    group = MemoryChat(bot, user_id="5001", chat_id="-100", can_manage_chat=True, locale="es")
    assert "Este chat recibirá la cuenta regresiva" in await group.send("/subscribe")
    await bot.store.deactivate_recipient("telegram", "-100", "gone", clock.now(),
                                         chat_paused_spec("-100"))
    [row] = [r for r in outbox(path) if r["user_id"] == "5001"]
    assert (await body_of(bot, row)).plain_text().startswith(
        "Ya no puedo publicar el mensaje diario en un chat que suscribiste (id -100)")

    # /forget takes the recorded language with the rest.
    await bot.store.forget("telegram", "5001")
    assert rows(config, "SELECT subscribed_by, subscriber_language FROM chat_subscriptions") == [
        (None, None)]

"""Add to calendar: the .ics file of an event (or of all yours), read back with icalendar, and
its Google Calendar link; offered on every RSVP confirmation and on /rsvp.

The clock fixture stands at Tue 1 June 2027, 09:00 in New York, before every event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar

from bot.app import open_bot
from bot.calendar_invite import GOOGLE_URL_LIMIT, google_link, invite
from bot.i18n import translator
from tests.support.memory import MemoryChat

STALE = "This button is no longer available. Send /help to start again."
AFTER_DAY1 = datetime(2027, 6, 8, 0, 30, tzinfo=UTC)  # day 1 ended at midnight UTC
# Day 1's UID: a name-based UUID of the campaign and the event id, so every process and every
# restart computes this same value (a hash() or a uuid4 would not).
DAY1_UID = "3e22b2fb-03f0-5ddf-a0f7-a641d226f412"


def parsed(chat: MemoryChat) -> Calendar:
    [attachment] = chat.attachments
    assert attachment.media_type == "text/calendar"
    assert attachment.filename.endswith(".ics")
    return Calendar.from_ical(attachment.data)


def test_one_vevent_per_event_at_the_configured_instant_in_the_campaign_zone(config, clock):
    events = config.events[:3]

    calendar = Calendar.from_ical(invite(config, events, translator("en"), clock.now()))

    assert (calendar["VERSION"], calendar["METHOD"]) == ("2.0", "PUBLISH")
    assert "campaign-bot" in calendar["PRODID"]
    assert [e["SUMMARY"] for e in calendar.events] == [str(e.title) for e in events]
    for vevent, event in zip(calendar.events, events, strict=True):
        assert vevent.start.astimezone(UTC) == event.starts_at.astimezone(UTC)
        assert vevent.end.astimezone(UTC) == event.ends_at.astimezone(UTC)
        assert vevent["DTSTART"].params["TZID"] == "America/New_York"
        assert vevent["DTEND"].params["TZID"] == "America/New_York"
        assert vevent["DTSTAMP"].dt == clock.now()
        assert vevent["URL"] == str(event.url)
        assert str(event.description) in vevent["DESCRIPTION"]
        [alarm] = vevent.subcomponents
        assert alarm.name == "VALARM"
        assert (alarm["ACTION"], alarm["TRIGGER"].dt) == ("DISPLAY", timedelta(hours=-1))
        assert alarm["DESCRIPTION"] == f"In an hour: {event.title}"
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    assert b"TRIGGER:-PT1H" in invite(config, events, translator("en"), clock.now())
    # June in New York is EDT: the wall-clock time in the file is the one organisers wrote.
    assert calendar.events[0]["DTSTART"].to_ical() == b"20270607T190000"


def test_an_event_with_a_place_has_its_location(config, clock):
    day4 = config.event("day4")

    [vevent] = Calendar.from_ical(invite(config, [day4], translator("es"), clock.now())).events

    assert vevent["LOCATION"].startswith("Frente a las oficinas de Amazon")
    assert "URL" not in vevent
    assert vevent["SUMMARY"] == "Jornada de visibilidad en el aniversario"


def test_the_vtimezone_covers_an_event_on_new_years_eve_in_the_zone(config, clock):
    # 1 January 01:00 UTC is 31 December, 20:00 in New York: the year before, in the zone.
    eve = config.event("day4").model_copy(update={
        "starts_at": datetime(2027, 1, 1, 1, 0, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 1, 2, 0, tzinfo=UTC)})

    calendar = Calendar.from_ical(invite(config, [eve], translator("en"), clock.now()))

    [zone] = calendar.timezones
    first = min(part["DTSTART"].dt for part in zone.subcomponents)
    assert first <= datetime(2026, 12, 31, 20, 0)
    assert calendar.events[0]["DTSTART"].to_ical() == b"20261231T200000"


def test_google_link_fills_in_title_utc_times_details_and_place(config):
    link = google_link(config.event("day2"), translator("es"))

    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "calendar.google.com", "/calendar/render")
    query = {k: v for k, [v] in parse_qs(parts.query, strict_parsing=True).items()}
    assert query["action"] == "TEMPLATE"
    assert query["text"] == "Taller: reconocimiento facial y policía"
    # 19:00-20:30 EDT on 8 June is 23:00-00:30 UTC.
    assert query["dates"] == "20270608T230000Z/20270609T003000Z"
    assert query["details"].startswith("Cómo usan la policía y ICE")
    assert query["details"].endswith("https://mediajustice.org/eyesonamazon/teach-in")
    assert query["location"] == "https://mediajustice.org/eyesonamazon/teach-in"


def test_a_long_description_is_cut_so_the_link_fits_a_discord_button(config):
    day4 = config.event("day4").model_copy(update={"description": "Ñandú " * 200})

    link = google_link(day4, translator("en"))

    assert len(link) <= GOOGLE_URL_LIMIT
    query = parse_qs(urlsplit(link).query)
    assert query["details"][0].startswith("Ñandú Ñandú") and query["details"][0].endswith("…")
    assert query["text"] == ["Anniversary day of visibility"]
    assert query["dates"] == ["20270610T160000Z/20270610T180000Z"]


async def test_going_offers_add_to_calendar_which_sends_the_event_file(chat, bot):
    await chat.send("/rsvp")
    await chat.press("Going: Kick-off")
    # The confirmation offers both at once: the file, and the Google Calendar link.
    assert chat.labels[-3:] == ["Add to calendar", "Google Calendar", "Add my events to calendar"]
    [offered] = [b for b in chat.buttons if b.label == "Google Calendar"]
    assert offered.url == google_link(bot.config.event("day1"), translator("en"))

    text = await chat.press("Add to calendar")

    assert text == ("Kick-off call: why we have our eyes on Amazon: open the file to add it to "
                    "your calendar, or use the Google Calendar button.")
    [reply] = chat.replies
    assert reply.private
    [attachment] = chat.attachments
    assert attachment.filename == "kick-off-call-why-we-have-our-eyes-on-am.ics"
    [vevent] = parsed(chat).events
    assert vevent["UID"] == DAY1_UID
    assert vevent["SUMMARY"] == "Kick-off call: why we have our eyes on Amazon"
    [google] = chat.buttons
    assert google.label == "Google Calendar"
    assert google.url == google_link(bot.config.event("day1"), translator("en"))


async def test_the_uid_is_the_same_from_another_bot_instance(config, clock, chat):
    await chat.press_data("cal:day1")
    first = parsed(chat)

    async with open_bot(config, clock) as restarted:  # a second Dispatcher: a restart
        again = MemoryChat(restarted, user_id="2002")
        await again.press_data("cal:day1")
        await again.press_data("cal:day2")
        day2 = parsed(again)
    await chat.press_data("cal:day1")  # and the same instance, later
    clock.current += timedelta(hours=5)
    await chat.press_data("cal:day1")

    assert first.events[0]["UID"] == parsed(chat).events[0]["UID"] == DAY1_UID
    assert day2.events[0]["UID"] not in (DAY1_UID, "")


async def test_a_spanish_speaker_gets_the_file_and_link_in_spanish(make_chat):
    chat = make_chat(locale="es")
    await chat.send("/rsvp")
    await chat.press("Voy: Taller")

    text = await chat.press("Añadir al calendario")

    assert text.startswith("Taller: reconocimiento facial y policía: abre el archivo")
    [vevent] = parsed(chat).events
    assert vevent["SUMMARY"] == "Taller: reconocimiento facial y policía"
    assert vevent["DESCRIPTION"].endswith(
        "Conéctate en línea: https://mediajustice.org/eyesonamazon/teach-in")
    assert vevent.subcomponents[0]["DESCRIPTION"] == (
        "En una hora: Taller: reconocimiento facial y policía")
    assert chat.labels == ["Google Calendar"]


async def test_still_coming_offers_add_to_calendar(chat):
    text = await chat.press_data("rsvpr:day3:yes")

    assert text == "Great, see you there!"
    assert chat.labels == ["Add to calendar", "Google Calendar"]
    await chat.press("Add to calendar")
    assert [e["SUMMARY"] for e in parsed(chat).events] == ["Call-in day: tell Amazon's leadership"]


async def test_rsvp_offers_one_file_with_all_your_upcoming_events(chat, clock):
    await chat.send("/rsvp")
    assert "Add my events to calendar" not in chat.labels
    await chat.press("Going: Kick-off")
    await chat.press("Going: Anniversary")
    clock.current = AFTER_DAY1  # day 1 is over: it is no longer offered

    text = await chat.send("/rsvp")
    assert chat.labels[-1] == "Add my events to calendar"
    text = await chat.press("Add my events to calendar")

    assert text == "Your upcoming event, in one file: open it to add it to your calendar."
    assert chat.attachments[0].filename == "eyesonamazon.ics"
    assert [e["SUMMARY"] for e in parsed(chat).events] == ["Anniversary day of visibility"]


async def test_all_your_events_in_one_file(chat):
    await chat.send("/rsvp")
    await chat.press("All of them")

    text = await chat.press("Add my events to calendar")

    assert text.startswith("Your 5 upcoming events, in one file")
    calendar = parsed(chat)
    assert calendar.events[0]["UID"] == DAY1_UID
    assert len({e["UID"] for e in calendar.events}) == 5
    assert len(calendar.timezones) == 1


async def test_stale_tampered_and_over_ids_get_the_stale_answer(chat, clock):
    for data in ("cal:nope", "cal:day1:x", "cal", "cal:DAY1", "calmine:x", "calmine"):
        assert await chat.press_data(data) == STALE, data
        assert chat.attachments == []
    await chat.press_data("rsvp:day1")
    clock.current = AFTER_DAY1

    assert await chat.press_data("cal:day1") == STALE
    assert await chat.press_data("calmine") == STALE  # going to day 1 only, which is over
    assert chat.attachments == []


async def test_in_a_group_nothing_personal_is_sent(make_chat):
    group = make_chat(chat_id="-100500")
    await group.press_data("rsvp:day1")

    for data in ("calmine", "cal:day1"):
        text = await group.press_data(data)
        assert text.startswith("Let's do /rsvp in a private chat"), data
        assert group.attachments == []

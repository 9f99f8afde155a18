"""Issue 15: what an update costs the database, and the running counts that replace counting rows.

Behaviour only, never wall-clock time: how many round trips to aiosqlite's thread a press makes
(each one wakes that thread and comes back through the event loop), the synchronous pragma, and
that the running counts always equal a count of the rows they stand for.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.i18n import Text
from bot.storage import MIGRATIONS, Storage

NOW = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
COUNTED = ("SELECT platform, state, COUNT(*) FROM outbox WHERE message_id = ?"
           " GROUP BY platform, state")


def round_trips(store: Storage) -> list[str]:
    """Records each call aiosqlite sends to its thread, from now on."""
    trips: list[str] = []
    db = store._db
    send = db._execute

    async def counted(fn, *args, **kwargs):
        trips.append(f"{getattr(fn, '__name__', fn)} {args[:1]}")
        return await send(fn, *args, **kwargs)

    db._execute = counted
    return trips


async def test_an_rsvp_press_is_three_round_trips(bot, chat):
    await chat.send("/rsvp")
    trips = round_trips(bot.store)
    text = await chat.press("Going: Kick-off call: why we have …")
    # The person's language, the RSVP written in one statement, the list read in one query.
    assert len(trips) == 3, trips
    assert "1 coming · you're going ✓" in text
    assert await bot.store.rsvps_of("telegram", "1001") == {"day1"}


async def test_a_read_is_one_round_trip(bot):
    trips = round_trips(bot.store)
    await bot.store.settings_of("telegram", "1001")
    assert len(trips) == 1


async def test_wal_with_synchronous_normal(bot):
    row = await bot.store._one("PRAGMA synchronous")
    assert row[0] == 1  # NORMAL: no fsync per commit; safe from corruption in WAL mode
    assert (await bot.store._one("PRAGMA journal_mode"))[0] == "wal"


async def test_going_keeps_the_language_rule_for_every_rsvp(bot):
    store = bot.store
    await store.set_rsvps("telegram", "7", {"day1"}, set(), NOW, language=None)
    await store.set_rsvps("telegram", "7", {"day2"}, set(), NOW, language="es")
    await store.set_rsvps("telegram", "7", {"day2"}, set(), NOW, language=None)
    rows = await store._all("SELECT event_id, language FROM rsvps WHERE user_id = '7'"
                            " ORDER BY event_id")
    assert [tuple(r) for r in rows] == [("day1", "es"), ("day2", "es")]
    assert await store.rsvp_counts() == {"day1": 1, "day2": 1}


async def test_event_counts_follow_presses_cancels_and_forget(bot, make_chat):
    store = bot.store
    for user in ("1", "2", "3"):
        await store.set_rsvps("telegram", user, {"day1", "day2"}, set(), NOW, language="en")
    await store.set_rsvps("telegram", "2", set(), {"day1"}, NOW)
    await store.set_rsvps("telegram", "3", {"day1"}, set(), NOW)  # already going: no change
    await bot.forget("telegram", "1")
    counted = await store._all("SELECT event_id, COUNT(*) FROM rsvps GROUP BY event_id")
    assert await store.rsvp_counts() == {r[0]: r[1] for r in counted} == {"day1": 1, "day2": 2}
    mine, counts = await store.rsvp_view("telegram", "2")
    assert (mine, counts) == ({"day2"}, {"day1": 1, "day2": 2})


async def seed_announcement_rows(store: Storage, rows: int) -> int:
    message_id = await store.message("bench:ann", "announcement", {"text": "hi"}, NOW)
    await store._db.executemany(
        "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, state,"
        " not_before, updated_at) VALUES (?,?,?,?,?,'pending',?,?)",
        [(message_id, ("telegram", "discord")[n % 2], str(n), str(n), f"a:{n}", NOW.isoformat(),
          NOW.isoformat()) for n in range(rows)])
    return message_id


async def test_delivery_counts_stay_exact_across_states_deletes_and_a_restart(config):
    path = config.storage.path
    async with await Storage.open(path) as store:
        message_id = await seed_announcement_rows(store, 40)
        ids = [r[0] for r in await store._all("SELECT id FROM outbox ORDER BY id")]
        for row_id in ids[:10]:
            assert await store.claim(row_id, NOW)
        for row_id in ids[:6]:
            await store.finish(row_id, "delivered", NOW)
        await store.finish(ids[6], "gone", NOW, reason="blocked")
        await store.forget("telegram", "2")  # a pending row of theirs goes
        counted = await store._all(COUNTED, (message_id,))
        trips = round_trips(store)
        assert await store.delivery_counts(message_id) == {
            "telegram": {"delivered": 2, "gone": 1, "sending": 1, "pending": 15},
            "discord": {"delivered": 3, "sending": 2, "pending": 15}}
        # The progress read counts no rows: it reads the running counts.
        assert len(trips) == 1 and "COUNT(" not in str(trips[0])
    # A restart mid-announcement: the counts were kept with the rows, so they are the same.
    async with await Storage.open(path) as store:
        expected: dict[str, dict[str, int]] = {}
        for platform, state, n in counted:
            expected.setdefault(platform, {})[state] = n
        assert await store.delivery_counts(message_id) == expected
        await store.finish(ids[7], "delivered", NOW)
        assert (await store.delivery_counts(message_id))["discord"]["delivered"] == 4


async def test_the_migration_counts_rows_already_there(tmp_path):
    path = tmp_path / "v16.db"
    with sqlite3.connect(path) as db:  # an announcement half sent by the bot before
        for script in MIGRATIONS[:16]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 16")
        db.execute("INSERT INTO messages (id, key, kind, body, created_at)"
                   " VALUES (5, 'k', 'announcement', '{}', 'x')")
        db.executemany(
            "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key, state,"
            " not_before, updated_at) VALUES (5, 'telegram', ?, ?, ?, ?, 'x', 'x')",
            [(str(n), str(n), f"k{n}", ("pending", "delivered")[n % 2]) for n in range(7)])
        db.executemany("INSERT INTO rsvps (platform, user_id, event_id, created_at)"
                       " VALUES ('telegram', ?, ?, 'x')",
                       [(str(n), f"day{1 + n % 2}") for n in range(5)])
        db.executemany(
            "INSERT INTO signatures (platform, user_id, name, wants_updates, consent_text,"
            " consent_version, signed_at) VALUES (?, ?, 'A', ?, 't', 'v1', 'x')",
            [(("telegram", "discord")[n % 2], str(n), n % 3 == 0) for n in range(6)])
        db.executemany("INSERT INTO subscriptions (platform, user_id, chat_id, active,"
                       " created_at) VALUES ('telegram', ?, ?, ?, 'x')",
                       [(str(n), str(n), int(n != 0)) for n in range(4)])
    async with await Storage.open(path) as store:
        assert await store.delivery_counts(5) == {"telegram": {"pending": 4, "delivered": 3}}
        assert await store.rsvp_counts() == {"day1": 3, "day2": 2}
        stats = await store.stats(NOW, UTC)
        assert (stats.signatures, stats.per_platform, stats.wants_updates) == (
            6, {"discord": 3, "telegram": 3}, 2)
        assert stats.active_subscribers == 3


async def test_a_sign_step_is_three_round_trips(bot, chat):
    await chat.send("/sign")
    trips = round_trips(bot.store)
    reply = await chat.send("Ada Lovelace")
    # The person's language, their form read, the form's next step written in one statement.
    assert len(trips) == 3, trips
    assert "email" in reply.lower()
    session = await bot.store.form_session("telegram", "1001")
    assert session is not None and session.values["name"] == "Ada Lovelace"


async def test_stats_totals_are_the_rows_after_signing_withdrawing_and_forgetting(bot):
    store = bot.store
    spec = {"email": None, "postcode": None, "consent_text": "t", "consent_version": "v1",
            "now": NOW}
    for n in range(5):
        await store.sign(("telegram", "discord")[n % 2], str(n), name="A",
                         wants_updates=n % 2 == 0, **spec)
        await store.subscribe("telegram", str(n), str(n), NOW)
    await store.withdraw("telegram", "2", NOW)
    await bot.forget("discord", "1")
    await store.set_subscription_active("telegram", "3", False, reason="blocked")
    await store.unsubscribe("telegram", "4", NOW)
    trips = round_trips(store)
    stats = await store.stats(NOW, UTC)
    assert not any("COUNT(*) FROM signatures GROUP" in t or "wants_updates = 1" in t
                   for t in trips)  # the running counts, not a count of a million rows
    assert (stats.signatures, stats.per_platform, stats.wants_updates) == (
        3, {"discord": 1, "telegram": 2}, 2)
    assert stats.active_subscribers == 3  # 0, 1 and 2: 3 paused, 4 gone
    assert await store.signature_total() == 3
    result = await store.sign("discord", "9", name="B", wants_updates=False, **spec)
    assert (result.total, result.signature.number) == (4, 4)


async def test_the_list_keeps_its_unchanging_parts_yet_follows_an_edited_config(config, clock):
    # Each event's lines are built once per language (not on every press), keyed by the
    # event itself: a config whose event changed shows the change at once.
    from bot.app import open_bot
    from tests.support.memory import MemoryChat

    async with open_bot(config, clock) as bot:
        first = await MemoryChat(bot).send("/rsvp")
        again = await MemoryChat(bot, user_id="1002").send("/rsvp")
    assert first == again and "Kick-off call" in first
    events = list(config.events)
    events[0] = events[0].model_copy(update={"location": "Seattle, outside Day 1"})
    edited = config.model_copy(update={"events": tuple(events)})
    async with open_bot(edited, clock) as bot:
        text = await MemoryChat(bot, user_id="1003").send("/rsvp")
        spanish = await MemoryChat(bot, user_id="1005", locale="es").send("/rsvp")
    assert "Seattle, outside Day 1" in text and "Seattle" not in first
    # Only the Spanish title edited (the English one, which Text compares by, unchanged).
    title = events[0].title
    events[0] = events[0].model_copy(update={"title": Text(str(title), {
        **title.versions, "es": "Llamada de arranque, con otro título"})})
    retitled = config.model_copy(update={"events": tuple(events)})
    async with open_bot(retitled, clock) as bot:
        text = await MemoryChat(bot, user_id="1004", locale="es").send("/rsvp")
    assert "Llamada de arranque, con otro título" in text
    assert "Llamada de arranque, con otro título" not in spanish

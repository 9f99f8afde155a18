"""Issue 8, "What is held about a person": owner-only files, backups that leave nothing behind,
/mydata that shows everything, forms that expire while the bot runs, /forget that reaches every
table (and the Discord adapter's memory of a modal), and no erased email left in the WAL."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot import ops
from bot.storage import FORGET_RULES, NOT_PERSONAL, PERSONAL_TABLES, DuePrompt, Storage
from tests.fakes.discord_api import bounded, button_id, running, with_fake
from tests.support.conversations import shown, sign_up
from tests.support.database import user_tables
from tests.support.memory import MemoryChat

# Distinctive values, so a scan of every column finds them wherever they hide.
ADA_ID, ADA_NAME, ADA_EMAIL, ADA_ZIP = "8675309", "Ada Lovelace", "ada.l@example.com", "04609"
GRACE_ID, GRACE_NAME, GRACE_EMAIL = "2002", "Grace Hopper", "grace@example.org"


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@contextmanager
def no_umask():
    """umask 0: a file created with the default mode would be world-readable (0644/0666)."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


# 6. Owner-only files ---------------------------------------------------------------------------


async def test_database_wal_and_shm_are_created_owner_only_whatever_the_umask(tmp_path):
    path = tmp_path / "campaign.db"
    with no_umask():
        store = await Storage.open(path)
        try:
            await store.save_platform_state("telegram", "k", "v")  # a write: the WAL has frames
            files = [path, beside(path, "-wal"), beside(path, "-shm")]
            assert all(f.exists() for f in files)
            assert [mode(f) for f in files] == ["0o600"] * 3
        finally:
            await store.close()


async def test_an_existing_world_readable_database_is_made_owner_only_at_open(tmp_path):
    path = tmp_path / "campaign.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x)")
    os.chmod(path, 0o644)
    with no_umask():
        async with await Storage.open(path) as store:
            await store.save_platform_state("telegram", "k", "v")
            assert [mode(path), mode(beside(path, "-wal")), mode(beside(path, "-shm"))] == [
                "0o600"] * 3


@pytest.fixture
def secure_delete_off_by_default(monkeypatch):
    """SQLite as most builds ship it: deleted content stays in free space unless
    secure_delete is turned on (this test machine's build happens to default to on)."""
    connect = aiosqlite.connect

    async def default_off(*args, **kwargs):
        db = await connect(*args, **kwargs)
        await db.execute("PRAGMA secure_delete=OFF")
        return db

    monkeypatch.setattr(aiosqlite, "connect", default_off)


async def test_erased_rows_are_overwritten(secure_delete_off_by_default, tmp_path):
    async with await Storage.open(tmp_path / "t.db") as store:
        assert await store._scalar("PRAGMA secure_delete") == 1


async def test_backup_and_exports_are_owner_only_whatever_the_umask(tmp_path, config):
    tmp_path = tmp_path / "files"  # apart from the test's own database
    tmp_path.mkdir()
    async with await Storage.open(tmp_path / "live.db") as store:
        await store.sign("telegram", ADA_ID, name=ADA_NAME, email=ADA_EMAIL, postcode=None,
                         wants_updates=True, consent_text="t", consent_version="2027-01",
                         now=config.campaign.deadline)
        with no_umask():
            await store.backup(tmp_path / "copy.db")
            await ops.export_signatures(store, tmp_path / "all.csv")
            await ops.export_mailing_list(store, tmp_path / "list.csv", config)
    for name in ("copy.db", "all.csv", "list.csv"):
        assert mode(tmp_path / name) == "0o600", name
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "all.csv", "copy.db", "list.csv", "live.db"]


# 7. A failed backup leaves nothing behind --------------------------------------------------------


async def failing_backup(store: Storage, target: Path) -> None:
    with pytest.raises(OSError, match="disk full"):
        await store.backup(target)


async def test_a_backup_that_fails_at_the_rename_leaves_nothing(tmp_path, monkeypatch):
    async with await Storage.open(tmp_path / "live.db") as store:
        await store.save_platform_state("telegram", "k", "v")

        def disk_full(*args):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", disk_full)
        await failing_backup(store, tmp_path / "copy.db")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db"]


async def test_a_backup_that_fails_mid_copy_leaves_nothing(tmp_path, monkeypatch):
    copied = []
    original = aiosqlite.Connection.backup

    async def copy_then_fail(self, target, **kwargs):
        await original(self, target, **kwargs)
        copied.append(target)
        raise OSError("disk full")

    monkeypatch.setattr(aiosqlite.Connection, "backup", copy_then_fail)
    async with await Storage.open(tmp_path / "live.db") as store:
        await failing_backup(store, tmp_path / "copy.db")
        # The store still works: the write lock was released.
        await store.save_platform_state("telegram", "k", "v")
    assert copied  # the copy had been written before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db"]


# 9. /mydata shows everything held ---------------------------------------------------------------


async def seed_everything(bot, chat: MemoryChat) -> None:
    """Ada in every table that can hold something about a person: a signature (every field),
    RSVPs, a subscription paused because she blocked the bot, settings, prompts delivered,
    skipped and waiting, a reminder, an announcement sent to her, an action marked done, her
    private chat marked unreachable, an announcement she wrote. (The unfinished form is left
    to the caller: any command would set it aside.)"""
    store, now = bot.store, bot.clock.now()
    # She signs through someone's invite: her code, and the credit keyed by her.
    await store.arrived_via("telegram", ADA_ID, await store.referral_code("discord", "4242"))
    await sign_up(chat, ADA_NAME, ADA_EMAIL, ADA_ZIP, updates=True)
    await chat.send("/rsvp")
    assert "You're going to" in await chat.press("Going: Kick-off")
    await chat.send("/subscribe")
    assert "Europe/London" in await chat.send("/settings timezone Europe/London")
    prompt = await store.message("prompt:test", "prompt", {"body": []}, now)
    due = DuePrompt("telegram", ADA_ID, ADA_ID, now, None, None)
    assert await store.schedule_prompt(due, prompt, f"prompt:telegram:{ADA_ID}:1", now, None)
    [row] = await store.pending_batch("telegram", now, 10)
    assert await store.claim(row.id, now)
    await store.finish(row.id, "delivered", now)
    assert await store.schedule_prompt(due, None, f"prompt:telegram:{ADA_ID}:2", now, None)
    author = await store.create_announcement("telegram", ADA_ID, ADA_NAME, ADA_ID,
                                             "Join the call on Friday", now)
    assert await store.update_announcement(author, expect=("draft",), audience="everyone",
                                           status="queued")
    ann = await store.announcement(author)
    message = await store.message(f"ann:{author}", "announcement", {"body": []}, now)
    assert await store.start_announcement(ann, message, ("telegram",), now + timedelta(days=1),
                                          now) >= 1
    assert await store.mark_action_done("telegram", ADA_ID, "2027-06-01", now)
    assert await store.subscribe_chat("telegram", "-5550", now, subscribed_by=ADA_ID)
    await store.deactivate_recipient("telegram", ADA_ID, "blocked", now)  # the two above: gone
    reminder = await store.message("reminder:morning:day1", "reminder", {"body": []}, now)
    assert await store.enqueue_rsvp_reminders("day1", "morning", reminder, ("telegram",), now,
                                              now + timedelta(days=6))
    assert await store.schedule_prompt(due, prompt, f"prompt:telegram:{ADA_ID}:3", now, None)


@pytest.fixture
def ada(make_chat) -> MemoryChat:
    return make_chat(user_id=ADA_ID, name=ADA_NAME)


async def test_mydata_shows_messages_actions_pauses_forms_and_announcements(bot, ada):
    await seed_everything(bot, ada)
    await ada.send("/sign")  # already signed: no form; open one that stays unfinished
    await ada.send("/settings timezone")

    reply = await ada.send("/mydata")

    assert "Petition signature #1" in reply and f"Email: {ADA_EMAIL}" in reply
    assert "Daily prompts: paused since Tue 1 Jun 2027, 09:00 EDT" in reply
    assert "Paused because you blocked the bot." in reply
    assert "Groups or channels you subscribed to the daily post: 1" in reply
    assert ("Your private chat is marked unreachable since Tue 1 Jun 2027, 09:00 EDT (you "
            "blocked the bot): nothing is sent to you there until you come back.") in reply
    assert "Messages to you that we keep a record of:" in reply
    assert "\n  Daily prompts: 1 sent, 1 waiting to be sent, 1 not sent" in reply
    assert "\n  Event reminders: 1 waiting to be sent" in reply
    assert "\n  Announcements: 1 not sent" in reply
    assert "Daily actions you marked done: 2027-06-01" in reply
    assert "An unfinished settings_timezone form" in reply
    assert "Announcements you wrote (your name is kept with them): #1" in reply
    assert "To erase all of this, send /forget." in reply


async def test_mydata_of_someone_else_shows_none_of_it(bot, ada, make_chat):
    await seed_everything(bot, ada)

    reply = await make_chat(user_id=GRACE_ID, name=GRACE_NAME).send("/mydata")

    assert "We hold nothing about you" in reply


# 10. Unfinished forms expire while the bot runs -------------------------------------------------


def count(path, sql: str) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchone()[0]


async def test_a_form_left_two_days_is_gone_when_the_person_comes_back(bot, chat, clock,
                                                                       config):
    await chat.send("/sign")
    await chat.send(ADA_NAME)
    clock.advance(days=2, minutes=1)

    reply = await chat.send(ADA_EMAIL)

    assert "didn't catch that" in reply  # no form: the email was not taken as an answer
    assert count(config.storage.path, "SELECT COUNT(*) FROM form_sessions") == 0
    assert await bot.store.signature_total() == 0


async def test_a_form_is_kept_until_two_days_have_passed(bot, chat, clock):
    await chat.send("/sign")
    await chat.send(ADA_NAME)
    clock.advance(days=2, minutes=-1)

    assert (await chat.send(ADA_EMAIL)).startswith("(3 of 4)")


async def test_an_expired_forms_buttons_and_mydata_find_nothing(bot, chat, clock):
    await chat.send("/sign")
    await chat.send(ADA_NAME)
    assert "Skip" in shown(chat)
    clock.advance(days=3)

    assert "no longer available" in await chat.press("Skip")
    assert "We hold nothing about you" in await chat.send("/mydata")


# 11 and 19. /forget reaches everything ----------------------------------------------------------


def mentions(path, *needles: str) -> list[tuple[str, str, object]]:
    """(table, column, value) for every value of every column of every table containing a
    needle, whatever its type (ids are text, but a number would be found too)."""
    hits = []
    with closing(sqlite3.connect(path)) as db:
        for table, columns in user_tables(path):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for column, value in zip(columns, row):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(
                        value)
                    if any(n.casefold() in text.casefold() for n in needles):
                        hits.append((table, column, value))
    return hits


async def test_every_table_has_a_forget_rule_or_is_declared_impersonal(tmp_path):
    path = tmp_path / "schema.db"
    async with await Storage.open(path):  # every migration run
        tables = {table for table, _ in user_tables(path)}
    personal, ruled, impersonal = set(PERSONAL_TABLES), set(FORGET_RULES), set(NOT_PERSONAL)
    assert not (personal & ruled or personal & impersonal or ruled & impersonal)
    undeclared = tables - (personal | ruled | impersonal)
    assert not undeclared, f"tables with no forget rule and no 'holds no personal data': "\
                           f"{sorted(undeclared)}"
    assert (personal | ruled | impersonal) == tables  # no stale declaration either


async def test_forget_leaves_no_trace_of_the_person_in_any_column_of_any_table(
        bot, ada, make_chat, config):
    grace = make_chat(user_id=GRACE_ID, name=GRACE_NAME)
    await sign_up(grace, GRACE_NAME, GRACE_EMAIL, updates=True)
    await seed_everything(bot, ada)
    await ada.send("/forget")
    [yes] = [b for b in ada.buttons if b.label == "Yes, erase everything"]
    assert "Which timezone" in await ada.send("/settings timezone")  # a form in progress
    path = config.storage.path
    needles = (ADA_ID, ADA_NAME, ADA_EMAIL, ADA_ZIP)
    # Every table with a forget rule holds something about Ada: a table added later without
    # seeding it here fails this line.
    seeded = {table for table, _, _ in mentions(path, *needles)}
    assert set(PERSONAL_TABLES) | set(FORGET_RULES) <= seeded, seeded
    grace_before = mentions(path, GRACE_ID, GRACE_NAME, GRACE_EMAIL)

    reply = await ada.press_data(yes.data)

    assert reply.startswith("Erased: ")
    for erased in ("your signature", "1 RSVP", "your daily-prompt subscription",
                   "your settings", "an unfinished form", "1 daily action marked done",
                   "the note that your private chat could not be reached",
                   "your name on 1 announcement", "the record that you subscribed 1 chat",
                   "your invite code", "1 invite record"):
        assert erased in reply
    assert mentions(path, *needles) == []
    assert mentions(path, GRACE_ID, GRACE_NAME, GRACE_EMAIL) == grace_before
    assert await bot.store.signature_total() == 1


async def test_an_erased_email_is_not_left_in_the_database_or_wal_files(
        secure_delete_off_by_default, bot, ada, make_chat, config):
    grace = make_chat(user_id=GRACE_ID, name=GRACE_NAME)
    await sign_up(grace, GRACE_NAME, GRACE_EMAIL, updates=True)
    await sign_up(ada, ADA_NAME, ADA_EMAIL, ADA_ZIP, updates=True)
    path = Path(config.storage.path)

    def raw() -> bytes:
        return b"".join(p.read_bytes() for p in (path, beside(path, "-wal")) if p.exists())

    assert ADA_EMAIL.encode() in raw()
    await ada.send("/forget")
    assert (await ada.press("Yes, erase everything")).startswith("Erased: ")

    assert ADA_EMAIL.encode() not in raw()
    assert ADA_NAME.encode() not in raw()
    assert GRACE_EMAIL.encode() in raw()  # the scan can see what is there


async def test_a_withdrawn_email_is_not_left_in_the_database_or_wal_files(
        secure_delete_off_by_default, bot, ada, make_chat, config):
    grace = make_chat(user_id=GRACE_ID, name=GRACE_NAME)
    await sign_up(grace, GRACE_NAME, GRACE_EMAIL, updates=True)
    await sign_up(ada, ADA_NAME, ADA_EMAIL, ADA_ZIP, updates=True)
    path = Path(config.storage.path)
    await ada.send("/unsign")

    assert "withdrawn" in (await ada.press("Yes")).lower()

    raw = b"".join(p.read_bytes() for p in (path, beside(path, "-wal")) if p.exists())
    assert ADA_EMAIL.encode() not in raw
    assert GRACE_EMAIL.encode() in raw


async def test_forget_runs_the_registered_hooks_once_after_erasing(bot, ada):
    calls = []

    def hook(platform: str, user_id: str) -> None:
        calls.append((platform, user_id, bot.store))

    bot.forget_hooks.append(hook)
    await sign_up(ada, ADA_NAME)
    await ada.send("/forget")
    assert calls == []
    await ada.press("No, keep it")
    assert calls == []

    await ada.press_data("forget:yes")

    assert [c[:2] for c in calls] == [("telegram", ADA_ID)]


@bounded(40)
async def test_forget_clears_what_was_typed_into_a_discord_modal(config, clock, fake):
    dconfig = with_fake(config, fake)
    async with running(dconfig, clock, fake):
        submitted = await fake.submit("$form:sign", {
            "name": "Ada Typed", "email": "typed@example.com", "postcode": "12"})
        await fake.until(lambda: fake.answered(submitted))
        problems = fake.messages_of(submitted)
        message, again = button_id(problems, "Try again")

        asked = await fake.command("forget")
        await fake.until(lambda: fake.answered(asked))
        confirm, yes = button_id(fake.messages_of(asked), "Yes, erase everything")
        pressed = await fake.press(confirm, yes)
        await fake.until(lambda: "nothing to erase" in fake.messages[confirm["id"]]["content"])
        assert pressed.ack_type is not None

        reopened = await fake.press(message, again)
        await fake.until(lambda: reopened.modal is not None)
        values = {row["components"][0]["custom_id"]: row["components"][0].get("value")
                  for row in reopened.modal["components"]}
        assert "typed@example.com" not in values.values()
        assert "Ada Typed" not in values.values()

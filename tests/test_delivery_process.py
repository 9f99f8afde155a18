"""Tier 3: delivery through the real stack. `python -m bot` runs as deployed (real PTB, real
SQLite file, the outbox worker and the announcement runner) against the fake Bot API in this
process, and the tests judge by what the fake recorded, i.e. by what people received.

Each test starts from a database seeded with bot.storage.Storage before the bot starts (once
per module, then copied: its 600 writes take 0.4 s): 300 Telegram subscribers (private chats
addressed by the user id), some of whom blocked the bot. That is two of the outbox worker's
batches (200 rows), and enough that an interrupted delivery has sends in flight and more to
go. The daily prompt of every seeded subscriber is moved half a day ahead, so only what the
test asks for is sent. `[telegram] broadcast_rate` is raised so a test takes seconds, not the
12 s that 300 messages take at Telegram's real pace (the fake has no overall limit; pacing
itself is tested in tests/test_outbox.py). Each process start costs about half a second of
CPU (a fresh interpreter importing PTB), so the tests restart the bot only where the restart
is what they test; the progress message's edits while delivery goes on (every 3 s) are tested
with the runner itself (tests/test_announce.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Telegram
from bot.core import Button, Reply
from bot.sender import Outcome
from bot.storage import Storage
from tests.fakes.telegram_api import Call, FakeBot, chat_json
from tests.fakes.telegram_harness import TOKEN, running

ROOT = Path(__file__).resolve().parent.parent
MODERATOR = 4242
FIRST = 100_000  # subscribers are FIRST, FIRST + 1, ...
SUBSCRIBERS = 300
BLOCKED = frozenset(FIRST + n for n in range(5, SUBSCRIBERS, 12))  # 25 people, spread out
# The fake answers 429 to these, once, and late enough that all three are answered while the
# worker has the others in flight: several 429s at once pause delivery once.
THROTTLED = (FIRST + 50, FIRST + 51, FIRST + 52)
THROTTLED_LATE = 0.1  # seconds the fake holds each 429 answer
TEXT = "The Week of Action starts Monday: join the kick-off call & bring a friend!"
CONCURRENCY = 16  # OutboxWorker's default: the most sends in flight at once
EXIT_WITHIN = 10.0
STARTUP = 30.0  # a cold interpreter importing PTB on a busy 2-core machine
PAUSE_TOLERANCE = 0.15  # seconds: sends already on their way when a 429 was answered
RATE = 1000  # messages per second: [telegram] broadcast_rate's highest
assert not BLOCKED & set(THROTTLED)


# Setting up ------------------------------------------------------------------------------------

def write_config(tmp_path: Path, base_url: str, rate: float, send_at: str | None = None) -> Path:
    """The shipped campaign with its database in tmp_path, MODERATOR as a Telegram moderator
    and the fake Bot API as Telegram."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert "telegram_user_ids = []" in text
    text = text.replace("telegram_user_ids = []", f"telegram_user_ids = [{MODERATOR}]")
    if send_at is not None:
        text = text.replace('send_at = "09:00"', f'send_at = "{send_at}"')
    assert "\n[telegram]\n" in text  # its description keys: these join that table
    text = text.replace("\n[telegram]\n",
                        f'\n[telegram]\nbase_url = "{base_url}"\nbroadcast_rate = {rate}\n', 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def people() -> list[int]:
    return [FIRST + n for n in range(SUBSCRIBERS)]


@pytest.fixture(scope="module")
def subscribed(tmp_path_factory, migrated_database) -> Path:
    """A database with the subscribers, as /subscribe leaves them, for each test to copy."""
    path = tmp_path_factory.mktemp("subscribed") / "campaign.db"
    shutil.copy2(migrated_database, path)

    async def subscribe() -> None:
        now = datetime.now(UTC)
        later = now + timedelta(hours=12)
        async with await Storage.open(path) as store:
            for user_id in people():
                await store.subscribe("telegram", str(user_id), str(user_id), now)
                await store.set_next_prompt("telegram", str(user_id), later)

    asyncio.run(subscribe())
    return path


async def seed(api: FakeBot, db: Path, subscribed: Path, *, announce: bool) -> None:
    """The subscribers (a copy of `subscribed`), known to the fake as private chats (BLOCKED
    ones answer 403); with `announce`, a confirmed announcement to everyone, queued as
    /announce's Confirm leaves it."""
    shutil.copy2(subscribed, db)
    if announce:
        async with await Storage.open(db) as store:
            announcement = await store.create_announcement(
                "telegram", str(MODERATOR), "Mo", str(MODERATOR), TEXT, datetime.now(UTC))
            assert await store.update_announcement(announcement, expect=("draft",),
                                                   audience="everyone", status="queued")
    for user_id in people():
        api.chats[user_id] = chat_json(user_id)
    api.chats[MODERATOR] = chat_json(MODERATOR, first_name="Mo")
    api.blocked.update(BLOCKED)


async def start_bot(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_BOT_TOKEN"}
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    # The log goes to a file: a pipe nobody reads during the run could fill and block the bot.
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out)


async def stop_bot(process: asyncio.subprocess.Process, signum: int = signal.SIGTERM) -> int:
    if process.returncode is None:
        process.send_signal(signum)
    return await asyncio.wait_for(process.wait(), EXIT_WITHIN)


async def ensure_dead(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


# Reading the fake's records ------------------------------------------------------------------

def announcement_sends(api: FakeBot) -> list[Call]:
    """Every sendMessage of the announcement to a subscriber (the moderator's preview aside)
    the fake received, answered or not."""
    return [c for c in api.calls_to("sendMessage")
            if c.params.get("text") == TEXT.replace("&", "&amp;")
            and int(c.params["chat_id"]) != MODERATOR]


def received(api: FakeBot) -> dict[int, int]:
    """Subscriber -> how many copies of the announcement reached them."""
    counts = {user_id: 0 for user_id in people()}
    for call in announcement_sends(api):
        if call.status == 200:
            counts[int(call.params["chat_id"])] += 1
    return counts


def progress(api: FakeBot) -> str:
    """The text of the moderator's progress message (the first one with "Announcement #")."""
    shown = [m for m in api.sent(MODERATOR) if m.text.startswith("Announcement #")]
    return shown[-1].text if shown else ""


async def until_finished(api: FakeBot, timeout: float) -> None:
    await api.wait_for(lambda: "finished" in progress(api), timeout)


def outbox_states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
    return dict(rows)


def only_the_blocked_were_refused(api: FakeBot) -> None:
    """The fake refused nothing but sends to the people who blocked the bot (declared: the
    harness fails a test that ends with a refusal it did not provoke)."""
    refused = api.take_refusals()
    assert {(r.method, r.status) for r in refused} <= {("sendMessage", 403)}, refused
    assert {int(r.chat_id) for r in refused} <= BLOCKED


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# a) ---------------------------------------------------------------------------------------------

async def test_an_announcement_reaches_everyone_once_and_429s_are_waited_out(api, tmp_path,
                                                                           subscribed):
    """The moderator drives /announce through the fake; 300 subscribers, 25 of whom blocked the
    bot, and three sends answered 429 (retry_after 1 s) at once."""
    await seed(api, tmp_path / "campaign.db", subscribed, announce=False)
    for chat_id in THROTTLED:
        api.fail_next("sendMessage", 1, 429, retry_after=1, chat_id=chat_id,
                      hang=THROTTLED_LATE)
    log = tmp_path / "bot.log"
    process = await start_bot(write_config(tmp_path, api.base_url, rate=RATE), log)
    try:
        await api.wait_for(lambda: bool(api.calls_to("getUpdates")), STARTUP)
        api.send_text(MODERATOR, f"/announce {TEXT}", first_name="Mo")
        for label in ("Everyone", "Send now", "Confirm"):
            await api.wait_for(lambda label=label: any(b["text"].startswith(label)
                                                       for b in api.buttons(MODERATOR)), 10)
            api.press_label(MODERATOR, label)
        await until_finished(api, 40)
        await api.wait_idle(timeout=10)
        assert await stop_bot(process) == 0, tail(log)
    finally:
        await ensure_dead(process)

    counts = received(api)
    reachable = [u for u in people() if u not in BLOCKED]
    assert sorted({counts[u] for u in reachable}) == [1], "each reachable subscriber once"
    assert all(counts[u] == 0 for u in BLOCKED)
    for user_id in BLOCKED:  # one refused attempt, never another
        tries = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == str(user_id)]
        assert [c.status for c in tries] == [403]
    only_the_blocked_were_refused(api)
    with sqlite3.connect(tmp_path / "campaign.db") as conn:
        gone = {int(r[0]) for r in conn.execute(
            "SELECT chat_id FROM outbox WHERE state = 'gone'")}
        unreachable = {int(r[0]) for r in conn.execute("SELECT chat_id FROM unreachable")}
        inactive = {int(r[0]) for r in conn.execute(
            "SELECT user_id FROM subscriptions WHERE active = 0")}
    assert gone == unreachable == inactive == set(BLOCKED)
    assert outbox_states(tmp_path / "campaign.db") == {"delivered": len(reachable),
                                                       "gone": len(BLOCKED)}

    # One progress message, shown with the count of recipients and edited into the report.
    reports = [m for m in api.sent(MODERATOR) if m.text.startswith("Announcement #")]
    assert len(reports) == 1, [m.text for m in reports]
    [shown] = [c for c in api.calls_to("sendMessage")
               if c.params["chat_id"] == str(MODERATOR)
               and c.params["text"].startswith("Announcement #")]
    assert re.fullmatch(rf"Announcement #1: \d+ / {SUBSCRIBERS} sent", shown.params["text"])
    assert reports[0].edits >= 1
    assert reports[0].text == (f"Announcement #1 finished.\nTelegram: {len(reachable)} "
                               f"delivered, {len(BLOCKED)} blocked or left, 0 failed, "
                               "0 uncertain")

    # The 429s were served and waited out: no send started while retry_after ran.
    throttled = [c for c in api.calls_to("sendMessage") if c.status == 429]
    assert len(throttled) == len(THROTTLED)
    sends = api.calls_to("sendMessage")
    for answer in throttled:
        window = (answer.finished + PAUSE_TOLERANCE, answer.finished + 1.0)
        during = [c for c in sends if window[0] < c.started < window[1]]
        assert not during, f"{len(during)} sends within retry_after of a 429"


# b) and c) -------------------------------------------------------------------------------------

async def interrupted(api: FakeBot, tmp_path: Path, subscribed: Path, signum: int
                      ) -> tuple[Path, Path, int, float]:
    """Start the bot on a queued announcement at 400 messages/s, with the fake answering each
    sendMessage 0.04 s after handling it (so up to CONCURRENCY sends are in flight at any
    moment), and send `signum` once 150 announcement sends have reached the fake. Returns the
    config, the log, the exit status and how long the process took to exit."""
    db = tmp_path / "campaign.db"
    await seed(api, db, subscribed, announce=True)
    api.answer_delay["sendMessage"] = 0.04
    config, log = write_config(tmp_path, api.base_url, rate=400), tmp_path / "bot.log"
    process = await start_bot(config, log)
    try:
        await api.wait_for(lambda: len(announcement_sends(api)) >= 150, STARTUP + 10)
        process.send_signal(signum)
        signalled = time.monotonic()
        status = await asyncio.wait_for(process.wait(), EXIT_WITHIN)
        exited = time.monotonic()
    finally:
        await ensure_dead(process)
    # Sends the worker had started before the signal may still reach the fake; no new one.
    after = [c for c in announcement_sends(api) if c.started > signalled]
    assert len(after) <= CONCURRENCY, f"{len(after)} sends began after the signal"
    return config, log, status, exited - signalled


async def restart_until_finished(api: FakeBot, config: Path, log: Path) -> None:
    # The rest goes out faster: what is tested here is that nobody is lost or sent twice.
    config = write_config(config.parent, api.base_url, rate=RATE)
    api.answer_delay.pop("sendMessage", None)
    process = await start_bot(config, log)
    try:
        await until_finished(api, STARTUP + 20)
        assert await stop_bot(process) == 0, tail(log)
    finally:
        await ensure_dead(process)


def check_everyone_reached(api: FakeBot, db: Path) -> list[int]:
    """Every reachable subscriber has the announcement, blocked ones do not, the outbox is
    settled and the moderator's one progress message became the report. Returns the people
    who got it twice."""
    counts = received(api)
    reachable = [u for u in people() if u not in BLOCKED]
    assert [u for u in reachable if counts[u] == 0] == [], "lost"
    assert all(counts[u] == 0 for u in BLOCKED)
    assert outbox_states(db) == {"delivered": len(reachable), "gone": len(BLOCKED)}
    reports = [m for m in api.sent(MODERATOR) if m.text.startswith("Announcement #")]
    report = (f"Announcement #1 finished.\nTelegram: {len(reachable)} delivered, "
              f"{len(BLOCKED)} blocked or left, 0 failed, 0 uncertain")
    assert [m.text for m in reports] == [report]
    only_the_blocked_were_refused(api)
    return [u for u in reachable if counts[u] > 1]


def resent_at_start(log: Path) -> int:
    """What the restarted worker logged about the rows left in flight (0 if none)."""
    found = re.findall(r"telegram: (\d+) messages were in flight at the last stop",
                       log.read_text())
    return sum(map(int, found))


async def test_kill_9_mid_delivery_then_a_restart_loses_nobody(api, tmp_path, subscribed):
    config, log, status, _ = await interrupted(api, tmp_path, subscribed, signal.SIGKILL)
    assert status == -signal.SIGKILL
    sent_before = len(announcement_sends(api))
    await restart_until_finished(api, config, log)

    twice = check_everyone_reached(api, tmp_path / "campaign.db")
    in_flight = resent_at_start(log)
    print(f"\nkill -9 after {sent_before} sends: {in_flight} rows were in flight and sent "
          f"again; {len(twice)} recipients got the announcement twice (bound {CONCURRENCY})")
    assert len(twice) <= in_flight <= CONCURRENCY


async def test_sigterm_mid_delivery_exits_0_and_a_restart_finishes_the_job(api, tmp_path,
                                                                          subscribed):
    db = tmp_path / "campaign.db"
    config, log, status, took = await interrupted(api, tmp_path, subscribed, signal.SIGTERM)
    assert status == 0, tail(log)

    # The position is saved: what is marked delivered arrived, what is pending did not, and
    # at most the sends in flight at the signal are left 'sending'.
    counts = received(api)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT CAST(chat_id AS INTEGER), state FROM outbox").fetchall()
    by_state: dict[str, set[int]] = {}
    for chat_id, state in rows:
        by_state.setdefault(state, set()).add(chat_id)
    assert all(counts[u] == 1 for u in by_state.get("delivered", ()))
    assert all(counts[u] == 0 for u in by_state.get("pending", ()))
    left_sending = by_state.get("sending", set())
    assert len(left_sending) <= CONCURRENCY
    assert by_state.get("pending"), "the signal came before the end: work must be left"

    await restart_until_finished(api, config, log)
    twice = check_everyone_reached(api, db)
    print(f"\nSIGTERM: exited 0 in {took:.1f} s; {len(left_sending)} rows left 'sending' and "
          f"sent again after the restart; {len(twice)} recipients got the announcement twice "
          f"(bound {CONCURRENCY})")
    assert set(twice) <= left_sending
    assert resent_at_start(log) == len(left_sending)


# d) ---------------------------------------------------------------------------------------------

async def test_a_prompt_due_while_down_goes_out_once_and_restarts_add_nothing(api, tmp_path):
    """Ada's prompt fell due 30 minutes before the start (within catch_up_hours, 3): it goes out
    at startup. Bo's fell due 5 hours before: skipped and logged. Two more restarts send
    neither again. Before each restart a newcomer subscribes with a prompt just due: theirs
    arriving shows that the restarted scheduler has ticked and its worker has sent what it was
    handed, so the test waits for that instead of a fixed time."""
    ada, bo = FIRST, FIRST + 1
    newcomers = (FIRST + 2, FIRST + 3)
    db = tmp_path / "campaign.db"
    now = datetime.now(UTC)
    # The next regular send time is 6 hours away, so no other prompt falls due in the test.
    send_at = (now + timedelta(hours=6)).astimezone(ZoneInfo("America/New_York"))

    async def subscribe(user_id: int, due: datetime) -> None:
        async with await Storage.open(db) as store:
            await store.subscribe("telegram", str(user_id), str(user_id), now)
            await store.set_next_prompt("telegram", str(user_id), due)
        api.chats[user_id] = chat_json(user_id)

    await subscribe(ada, now - timedelta(minutes=30))
    await subscribe(bo, now - timedelta(hours=5))
    config = write_config(tmp_path, api.base_url, rate=RATE, send_at=send_at.strftime("%H:%M"))
    log = tmp_path / "bot.log"

    for start in range(3):
        sentinel = ada if start == 0 else newcomers[start - 1]
        if start:
            await subscribe(sentinel, datetime.now(UTC) - timedelta(minutes=1))
        process = await start_bot(config, log)
        try:
            await api.wait_for(lambda: bool(api.sent(sentinel)), STARTUP)
            # Anything else the same tick queued goes out 1 ms apart (1,000/s): room for it.
            await api.wait_idle(settle=0.1)
            assert await stop_bot(process) == 0, tail(log)
        finally:
            await ensure_dead(process)

    assert len(api.sent(ada)) == 1
    assert [len(api.sent(n)) for n in newcomers] == [1, 1]
    labels = [b["text"] for row in api.sent(ada)[0].reply_markup["inline_keyboard"] for b in row]
    assert labels == ["Done ✓", "Stop daily prompts"]
    assert api.sent(bo) == []
    assert "skipped 1 daily prompts more than 3 hours late" in log.read_text()
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT chat_id, state FROM outbox ORDER BY chat_id").fetchall()
    assert states == [(str(ada), "delivered"), (str(bo), "skipped"),
                      *((str(n), "delivered") for n in newcomers)]


# The progress message, edited in place (in process: the real adapter against the fake) ---------

@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


async def test_the_adapter_edits_the_progress_message_in_place(bot, api):
    api.chats[MODERATOR] = chat_json(MODERATOR, first_name="Mo")
    cancel = [[Button("Cancel", "ann", ("1", "cancel"))]]
    chat = str(MODERATOR)
    async with running(bot) as adapter:
        sent = await adapter.deliver(chat, Reply.of("Announcement #1: 0 / 3 sent", buttons=cancel))
        assert sent.ok and sent.message_id
        progress = await adapter.edit(chat, sent.message_id,
                                      Reply.of("Announcement #1: 2 / 3 sent", buttons=cancel))
        # The runner may show the same text twice (after a restart): Telegram's "message is not
        # modified" means it is on screen already, not a failure.
        same = await adapter.edit(chat, sent.message_id,
                                  Reply.of("Announcement #1: 2 / 3 sent", buttons=cancel))
        final = await adapter.edit(chat, sent.message_id, Reply.of("Announcement #1 finished."))
        missing = await adapter.edit(chat, "999", Reply.of("Announcement #1 finished."))
    assert [r.outcome for r in (progress, same, final)] == [Outcome.DELIVERED] * 3
    assert missing.outcome is Outcome.PERMANENT  # the runner then sends a new message
    assert [r.description.split(":")[1].strip() for r in api.take_refusals()] == [
        "message is not modified", "message to edit not found"]
    [shown] = api.sent(MODERATOR)
    assert (shown.text, shown.reply_markup, shown.edits) == ("Announcement #1 finished.", None, 2)

"""/start, /help, /donate, unknown input, moderator-only /stats, failing handlers, token
redaction and the button codec: what every supporter meets first, and what dispatch guarantees.

The clock fixture stands at Tue 1 June 2027, 13:00 UTC (09:00 in New York)."""

from __future__ import annotations

import inspect
import logging
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot import forms
from bot.config import Moderators
from bot.core import (
    Button,
    ChatRef,
    Reply,
    UserRef,
    button_incoming,
    decode_button,
    encode_button,
)
from bot.logs import RedactTokens
from bot.routing import Command
from tests.support.memory import MemoryChat

APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
REFUSED = "Sorry, /stats is only for campaign moderators."
STALE = "This button is no longer available. Send /help to start again."
STATS_LINE = "/stats — Signatures, RSVPs and subscribers at a glance."




def supporter_commands(bot) -> list[tuple[str, str]]:
    return [(name, inspect.getdoc(c.handler).splitlines()[0])
            for name, c in bot.commands.items() if not c.moderator]


def moderator_commands(bot) -> list[str]:
    return [name for name, c in bot.commands.items() if c.moderator]


def bot_log(caplog) -> str:
    """What the bot's own loggers wrote (aiosqlite's DEBUG chatter is pinned off in production
    by bot.logs.setup, so it is no concern of these tests)."""
    return "\n".join(caplog.handler.format(r) for r in caplog.records
                     if r.name == "bot" or r.name.startswith("bot."))


async def sign(chat: MemoryChat, *, updates: bool = False) -> str:
    """Sign with the display name, no email, no postcode. (Not the shared sign_up, which types
    a name: this one presses "Use <display name>", so each chat signs under its own name and
    that button's path is walked too.)"""
    await chat.send("/sign")
    await chat.press("Use “")
    await chat.press("Skip")  # email
    await chat.press("Skip")  # postcode
    return await chat.press("Sign and keep me updated" if updates else "Sign")


# /start and /help ---------------------------------------------------------------------------

async def test_help_names_the_campaign_and_lists_every_supporter_command(chat, bot):
    # /start is the short welcome (tests/test_welcome.py); /help keeps the full list.
    text = await chat.send("/help")

    config = bot.config.campaign
    assert text.startswith(f"{config.name} — {config.organisation}\n")
    assert config.summary.strip() in text
    assert text.rstrip().endswith(f"More: {config.website}")
    lines = text.splitlines()
    expected = supporter_commands(bot)
    assert {"start", "help", "sign", "rsvp", "countdown", "today", "subscribe", "unsubscribe",
            "settings", "donate", "cancel"} <= {name for name, _ in expected}
    for name, description in expected:
        assert lines.count(f"/{name} — {description}") == 1, name
    command_lines = [line for line in lines if line.startswith("/")]
    assert command_lines == [f"/{name} — {description}" for name, description in expected]


async def test_supporters_see_no_moderator_commands(chat, bot):
    text = await chat.send("/help")

    assert moderator_commands(bot) == ["stats", "announce", "announcements", "panel"]
    for name in moderator_commands(bot):
        assert f"/{name}" not in text
    assert "moderators" not in text.lower()


async def test_a_moderator_also_sees_the_moderator_commands(moderator, bot):
    text = await moderator.send("/help")

    heading = text.index("For moderators:")
    assert text.index(STATS_LINE) > heading
    for name, description in supporter_commands(bot):
        assert text.index(f"/{name} — {description}") < heading


async def test_start_sign_opens_the_petition_and_its_first_question(chat, bot):
    text = await chat.send("/start sign")

    assert text.startswith(bot.config.petition.title)
    assert "To: Andy Jassy, CEO of Amazon" in text
    assert "(1 of 4) What name should we put on the petition?" in text
    assert chat.labels == ["Use “Ada Lovelace”"]
    assert (await bot.store.form_session("telegram", "1001")).form_id == "sign"


async def test_start_rsvp_shows_the_events(chat):
    text = await chat.send("/start rsvp")

    assert text.startswith("Week of Action")
    assert "Teach-in: facial recognition and policing" in text
    assert "All of them" in chat.labels


async def test_start_with_a_supporter_command_runs_it(chat):
    # Deep links such as t.me/<bot>?start=mydata arrive as "/start mydata".
    assert await chat.send("/start donate") == await chat.send("/donate")


@pytest.mark.parametrize("typed", ["/start whatever", "/start start", "/start stats"])
async def test_start_with_any_other_word_is_the_normal_welcome(chat, bot, typed):
    text = await chat.send(typed)

    assert text == await chat.send("/start")
    assert "Sign the petition" in chat.labels
    assert "Campaign stats" not in text
    assert await bot.store.form_session("telegram", "1001") is None


async def test_donate_shows_why_and_where(chat, bot):
    text = await chat.send("/donate")

    assert text == (f"{bot.config.campaign.donate_text}\n"
                    "Donate here (https://mediajustice.org/donate/)")


# Unknown input and command spelling ---------------------------------------------------------

async def test_an_unknown_command_points_to_help(chat):
    text = await chat.send("/frobnicate")

    assert text == "Sorry, I don't know /frobnicate. Send /help to see what I can do."


async def test_plain_text_without_a_form_points_to_help(chat):
    text = await chat.send("hello, what is this?")

    assert text == "I didn't catch that. Send /help to see what I can do."


@pytest.mark.parametrize("typed", ["/HELP", "/Help", "/help@SomeBot", "/HELP@SomeBot extra"])
async def test_commands_are_case_insensitive_and_may_name_the_bot(chat, typed):
    expected = await chat.send("/help")

    assert await chat.send(typed) == expected
    assert "/sign — Sign the petition." in expected


# /stats and who is a moderator --------------------------------------------------------------

async def test_a_supporter_is_refused_stats_and_the_log_names_no_one(chat, caplog):
    caplog.set_level(logging.DEBUG)

    text = await chat.send("/stats")

    assert text == REFUSED
    assert "Signatures" not in text
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "/stats" in message
    assert "telegram" in message
    logged = bot_log(caplog)
    assert message in logged
    assert "1001" not in logged
    assert "Ada" not in logged
    assert "Lovelace" not in logged


async def test_the_telegram_moderator_may_see_stats(moderator):
    text = await moderator.send("/stats")

    assert text.startswith("Campaign stats")


async def test_a_discord_user_with_a_moderator_role_may_see_stats(make_chat):
    mod = make_chat(platform="discord", user_id="999", role_ids=("777",))

    assert (await mod.send("/stats")).startswith("Campaign stats")
    assert STATS_LINE in await mod.send("/help")


async def test_a_discord_moderator_by_user_id_may_see_stats(make_chat):
    mod = make_chat(platform="discord", user_id="4242")

    assert (await mod.send("/stats")).startswith("Campaign stats")


@pytest.mark.parametrize("platform, user_id, roles", [
    ("telegram", "mo", ()),  # ids are numbers, never names
    ("telegram", "@moderator", ()),
    ("telegram", "42abc", ()),
    ("telegram", "-42", ()),
    ("telegram", "4242", ()),  # the Discord moderator's id grants nothing on Telegram
    ("telegram", "1001", ("777",)),  # role ids are a Discord thing
    ("discord", "42", ()),  # the Telegram moderator's id grants nothing on Discord
    ("discord", "999", ("778",)),
    ("discord", "999", ("moderators",)),
    ("discord", "mo", ("777x",)),
])
async def test_everyone_else_is_refused_stats(make_chat, platform, user_id, roles):
    someone = make_chat(platform=platform, user_id=user_id, role_ids=roles)

    assert await someone.send("/stats") == REFUSED
    assert "/stats" not in await someone.send("/help")


async def test_the_moderator_list_is_checked_again_on_every_call(moderator, bot):
    assert (await moderator.send("/stats")).startswith("Campaign stats")

    bot.config = bot.config.model_copy(update={"moderators": Moderators()})

    assert await moderator.send("/stats") == REFUSED
    assert "For moderators" not in await moderator.send("/help")


async def test_stats_counts_signatures_rsvps_and_subscribers(
        chat, make_chat, moderator, bot, clock):
    grace = make_chat(user_id="2002", name="Grace Hopper")
    linus = make_chat(platform="discord", user_id="555", name="Linus")
    # Ada signed eight days ago.
    clock.advance(days=-8)
    assert (await sign(chat)).startswith("Thank you, Ada Lovelace! You are signature #1.")
    clock.advance(days=8)
    assert "signature #2" in await sign(grace, updates=True)
    assert "signature #3" in await sign(linus)
    await chat.send("/rsvp")
    await chat.press("Going: Kick-off")
    await chat.press("Going: Teach-in")
    await grace.send("/rsvp")
    await grace.press("Going: Teach-in")
    await linus.send("/rsvp")
    await linus.press("Going: Closing call")
    await grace.send("/subscribe")
    await chat.send("/subscribe")
    await chat.send("/unsubscribe")

    text = await moderator.send("/stats")

    assert text == (
        "Campaign stats\n"
        "\n"
        "Signatures: 3 (today 2, last 7 days 2)\n"
        "  on discord: 1\n"
        "  on telegram: 2\n"
        "By source:\n"
        "  direct: 3\n"
        "Asked for updates: 1\n"
        "\n"
        "RSVPs:\n"
        "  Kick-off call: why we have our eyes on Amazon: 1\n"
        "  Teach-in: facial recognition and policing: 2\n"
        "  Call-in day: tell Amazon's leadership: 0\n"
        "  Anniversary day of visibility: 0\n"
        "  Closing call: what comes next: 1\n"
        "\n"
        "Active daily-prompt subscribers: 1\n"
        "Groups and channels with the daily post: 0\n"
        "\n"
        "Messages that expired before they could be sent: 0\n"
        "\n"
        "Signed through an invite: 0"
    )


async def test_stats_today_is_the_campaigns_local_day(make_chat, moderator, clock):
    # 03:30 UTC on 1 June is still 31 May in New York; 04:30 UTC is 1 June there.
    late = make_chat(user_id="3003", name="Late Night")
    early = make_chat(user_id="3004", name="Early Bird")
    clock.current = datetime(2027, 6, 1, 3, 30, tzinfo=UTC)
    await sign(late)
    clock.current = datetime(2027, 6, 1, 4, 30, tzinfo=UTC)
    await sign(early)
    clock.current = datetime(2027, 6, 1, 13, 0, tzinfo=UTC)

    text = await moderator.send("/stats")

    assert "Signatures: 2 (today 1, last 7 days 2)" in text


async def test_stats_last_7_days_ends_exactly_a_week_ago(make_chat, moderator, clock):
    start = clock.now()
    inside = make_chat(user_id="3003", name="Inside")
    outside = make_chat(user_id="3004", name="Outside")
    clock.current = start - timedelta(days=7, seconds=1)
    await sign(outside)
    clock.current = start - timedelta(days=7)
    await sign(inside)
    clock.current = start

    text = await moderator.send("/stats")

    assert "Signatures: 2 (today 0, last 7 days 1)" in text


# A handler that fails -----------------------------------------------------------------------

FAKE_EMAIL = "ada@example.org"
TYPED = "my secret plan"


async def failing_handler(ctx):
    """Fail, quoting personal data in the exception."""
    email = FAKE_EMAIL  # kept off the raising line: tracebacks show source lines
    raise ValueError(f"could not mail {email} about {ctx.incoming.args}")


async def test_a_failing_handler_gets_an_apology_and_a_log_without_personal_data(
        chat, bot, caplog):
    bot.commands["boom"] = Command("boom", failing_handler, False)
    caplog.set_level(logging.DEBUG)

    text = await chat.send(f"/boom {TYPED}")

    assert text == APOLOGY
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = bot_log(caplog)
    assert "failing_handler" in logged
    assert "ValueError" in logged
    assert FAKE_EMAIL not in logged
    assert TYPED not in logged
    assert "Ada" not in logged
    assert "1001" not in logged
    # The bot keeps answering.
    assert (await chat.send("/countdown")).startswith("9 days and 3 hours left")
    assert "/donate" in await chat.send("/help")


async def test_a_failing_button_handler_gets_an_apology_too(chat, bot, caplog):
    bot.actions["boom"] = Command("boom", failing_handler, False)
    caplog.set_level(logging.DEBUG)

    text = await chat.press_data("boom:ada@example.org")

    assert text == APOLOGY
    logged = bot_log(caplog)
    assert "failing_handler" in logged
    assert "ValueError" in logged
    assert FAKE_EMAIL not in logged
    assert (await chat.send("/donate")).startswith(bot.config.campaign.donate_text)


# Token redaction ----------------------------------------------------------------------------

TOKEN = "123456789:AAF-fake_token_for_tests"


def test_redact_tokens_in_the_message_and_its_args():
    redact = RedactTokens([TOKEN, ""])
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: POST https://api.telegram.org/bot%s/%s",
        (TOKEN, "getUpdates"), None)

    assert redact.filter(record) is True

    out = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert TOKEN not in out
    assert out == "INFO HTTP Request: POST https://api.telegram.org/bot[token]/getUpdates"


def test_redact_tokens_in_message_text_itself():
    redact = RedactTokens([TOKEN])
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, f"token={TOKEN}", None, None)

    redact.filter(record)

    assert record.getMessage() == "token=[token]"


def test_redact_tokens_in_a_traceback():
    redact = RedactTokens([TOKEN])
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    try:
        raise ConnectionError(url)  # the source line shows `url`, the message the token
    except ConnectionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "request to %s failed", (url,),
                               exc_info)

    redact.filter(record)

    out = logging.Formatter("%(message)s").format(record)
    assert TOKEN not in out
    assert "request to https://api.telegram.org/bot[token]/getMe failed" in out
    assert "ConnectionError: https://api.telegram.org/bot[token]/getMe" in out


def test_redact_tokens_through_a_real_logger():
    stream_records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            stream_records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactTokens([TOKEN]))
    logger = logging.getLogger("test_redaction")
    logger.addHandler(handler)
    try:
        logger.warning("GET /bot%s/getMe", TOKEN)
    finally:
        logger.removeHandler(handler)

    assert stream_records == ["GET /bot[token]/getMe"]


# The button codec ---------------------------------------------------------------------------

def test_button_data_fits_64_bytes():
    assert Button("ok", "a" * 64).data == "a" * 64
    with pytest.raises(ValueError, match="is over 64 bytes"):
        Button("ok", "a" * 65)
    with pytest.raises(ValueError, match="is over 64 bytes"):
        Button("ok", "rsvp", ("a" * 60,))  # 'rsvp:' + 60 = 65 bytes


def test_button_data_counts_bytes_not_characters():
    fits = Button("ok", "rsvp", ("é" * 29,))  # 5 + 58 bytes
    assert len(fits.data.encode("utf-8")) == 63
    with pytest.raises(ValueError, match="is over 64 bytes"):
        Button("ok", "rsvp", ("é" * 30,))  # 35 characters, 65 bytes
    with pytest.raises(ValueError, match="is over 64 bytes"):
        Button("ok", "rsvp", ("😀" * 15,))  # 20 characters, 65 bytes


@pytest.mark.parametrize("button, problem", [
    (Button("Go", "no_such_action", ("1",)), "no handler for button"),
    (Button("Go", "form", ("no_such_form", "0", "0")), "no such form"),
    (Button("Go"), "malformed button data"),  # no action and no url: nothing to press
    (Button("  ", "rsvp"), "a button without a label"),
    (Button("Open", url="javascript:alert(1)"), "javascript"),
])
async def test_every_shown_button_is_checked_for_leading_somewhere(bot, chat, button, problem):
    """The autouse check in conftest.py must fail a test whose handler shows a button nothing
    answers: otherwise it proves nothing."""
    async def shows(ctx):
        """Shows one button."""
        return Reply.of("Press it", buttons=[button])

    bot.commands["shows"] = Command("shows", shows, False)
    with pytest.raises((AssertionError, ValueError), match=problem):
        await chat.send("/shows")


def test_button_label_length_is_not_limited_by_the_data_limit():
    button = Button("A very long label " * 10, "rsvp", ("day1",))
    assert button.data == "rsvp:day1"


@pytest.mark.parametrize("action, payload", [
    ("rsvp", ("a:b",)),
    ("rs:vp", ()),
    ("rsvp", ("day1", ":")),
    ("rsvp", ("day\n1",)),
    ("rsvp", ("\u200bday1",)),  # invisible format character
])
def test_button_refuses_separators_and_unprintable_parts(action, payload):
    with pytest.raises(ValueError, match="may not contain"):
        Button("ok", action, payload)
    with pytest.raises(ValueError, match="may not contain"):
        encode_button(action, payload)


def test_decode_button_round_trips():
    assert decode_button("rsvp:day1") == ("rsvp", ("day1",))
    assert decode_button("form:sign:0:d") == ("form", ("sign", "0", "d"))
    assert decode_button("rsvp") == ("rsvp", ())
    assert decode_button(Button("x", "settings", ("time",)).data) == ("settings", ("time",))


@pytest.mark.parametrize("data", [
    "",
    "a" * 65,
    "é" * 33,  # 33 characters, 66 bytes
    "rsvp:\x00",
    "rsvp:day1\n",
    "rsvp:\u202eday1",  # a bidi override
    ":day1",
])
def test_decode_button_rejects_malformed_data(data):
    with pytest.raises(ValueError, match="malformed button data"):
        decode_button(data)
    incoming = button_incoming(UserRef("telegram", "1"), ChatRef("telegram", "1"), data)
    assert incoming.name == ""
    assert incoming.payload == ()


@pytest.mark.parametrize("data", ["", "a" * 65, "rsvp:\x00", ":day1", "nosuchaction:x"])
async def test_malformed_button_data_gets_no_longer_available(chat, bot, data):
    text = await chat.press_data(data)

    assert text == STALE
    assert await bot.store.rsvps_of("telegram", "1001") == set()


async def test_every_button_a_supporter_meets_is_one_the_bot_answers(chat, moderator):
    """Size is Button's own check where it is built; here: each button names an action the bot
    handles (or a form step), and its data decodes back to what it was built from."""
    seen = []
    for step in ["/rsvp", "/settings", "/sign", "/cancel", "/unsign", "/help"]:
        await chat.send(step)
        seen += chat.buttons
    await sign(chat, updates=True)
    await chat.send("/unsign")
    seen += chat.buttons
    await chat.press("No, keep it")
    await moderator.send("/stats")
    seen += moderator.buttons

    assert {b.action for b in seen} >= {"rsvp", "settings", "form", "unsign"}
    handled = set(chat.bot.actions) | {forms.ACTION}
    for button in seen:
        assert button.action in handled, button
        assert decode_button(button.data) == (button.action, button.payload)

"""Issue 8, Input: names that show nothing or hide something are refused (and ones that scripts and
emoji need are not), only IANA timezone names are accepted, and the number a signer is told is
their place among the signatures that stand, never a row id inflated by withdrawals."""

from __future__ import annotations

import copy
import tomllib
import unicodedata
from pathlib import Path

import pytest

from bot.config import ConfigError, parse
from bot.storage import Settings
from tests.support.conversations import sign_up
from tests.support.memory import MemoryChat

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DATA = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
NAME_Q = "(1 of 4) What name should we put on the petition?"
EMAIL_Q = "(2 of 4) What's your email address? (optional)"

BLANK = "That name shows nothing: please type a name with at least one letter or number."
HIDDEN = "A name can't contain control or invisible characters."
UNASSIGNED = "A name can't contain unassigned or reserved characters."
MARKS = "An accent or mark must follow a letter, and one letter can carry at most 4."


# Names -----------------------------------------------------------------------------------------

REFUSED_NAMES = [
    # Names that show nothing at all.
    pytest.param("\u2800", BLANK, id="braille-blank"),
    pytest.param("\u3164", BLANK, id="hangul-filler"),
    pytest.param("\u115f", BLANK, id="hangul-choseong-filler"),
    pytest.param("\u1160\u1160", BLANK, id="hangul-jungseong-filler"),
    pytest.param("\uffa0", BLANK, id="halfwidth-hangul-filler"),
    pytest.param("\u0301\u0308", BLANK, id="only-combining-marks"),
    pytest.param("\u200b\u200e", BLANK, id="only-format-characters"),
    pytest.param("\u200d\u200c", BLANK, id="only-joiners"),
    pytest.param("\u2800 \u3164", BLANK, id="fillers-and-a-space"),
    # Visible names with something invisible or line-breaking inside.
    pytest.param("Ada\u2800Lovelace", HIDDEN, id="braille-blank-inside"),
    pytest.param("Ada \u3164", HIDDEN, id="hangul-filler-after"),
    pytest.param("Ada\u2028Lovelace", HIDDEN, id="line-separator"),
    pytest.param("Ada\u2029Lovelace", HIDDEN, id="paragraph-separator"),
    pytest.param("Ada\u202eecalevoL", HIDDEN, id="bidi-override"),
    pytest.param("Ada\u200bLovelace", HIDDEN, id="zero-width-space"),
    pytest.param("Ada\u00adLovelace", HIDDEN, id="soft-hyphen"),
    pytest.param("Ada\U000e0041\U000e0042", HIDDEN, id="tag-characters"),
    pytest.param("Ada\x07", HIDDEN, id="control-character"),
    pytest.param("Ada\u200d", HIDDEN, id="joiner-joining-nothing"),
    pytest.param("Ada\u200c\u200c\u200cLovelace", HIDDEN, id="run-of-joiners"),
    pytest.param("Ada \u200dLovelace", HIDDEN, id="joiner-after-a-space"),
    # Code points that are no characters.
    pytest.param("Ada\u0378", UNASSIGNED, id="unassigned"),
    pytest.param("Ada\ufdd0", UNASSIGNED, id="noncharacter-FDD0"),
    pytest.param("Ada\ufdef", UNASSIGNED, id="noncharacter-FDEF"),
    pytest.param("Ada\ufffe", UNASSIGNED, id="noncharacter-FFFE"),
    pytest.param("Ada\uffff", UNASSIGNED, id="noncharacter-FFFF"),
    pytest.param("Ada\U0001fffe", UNASSIGNED, id="noncharacter-1FFFE"),
    pytest.param("Ada\U0010ffff", UNASSIGNED, id="noncharacter-10FFFF"),
    pytest.param("Ada\ue000", UNASSIGNED, id="private-use"),
    # Zalgo: stacks of marks, and marks on nothing.
    pytest.param("x\u0301\u0316\u0334\u0361\u0489", MARKS, id="five-marks-on-a-letter"),
    pytest.param("Ada" + "\u0336\u0337\u0338\u0339\u033a\u033b" * 3, MARKS, id="zalgo"),
    pytest.param("\u0301Ada", MARKS, id="mark-on-nothing"),
    pytest.param("Ada \u0301Lovelace", MARKS, id="mark-on-a-space"),
]


@pytest.mark.parametrize(("typed", "reason"), REFUSED_NAMES)
async def test_a_name_that_shows_nothing_or_hides_something_is_refused(bot, chat, typed, reason):
    await chat.send("/sign")

    reply = await chat.send(typed)

    assert reply.startswith(reason), reply
    assert NAME_Q in reply  # the same question again
    session = await bot.store.form_session("telegram", "1001")
    assert (session.step, session.values) == (0, {})
    assert await bot.store.signature_total() == 0


ACCEPTED_NAMES = [
    pytest.param("Mehr\u200cdad", id="persian-zwnj"),
    pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467", id="zwj-family-emoji"),
    pytest.param("Ada \U0001f468\u200d\U0001f469\u200d\U0001f467 Lovelace", id="emoji-in-a-name"),
    pytest.param("\U0001f3f3\ufe0f\u200d\U0001f308 Ada", id="rainbow-flag-after-a-selector"),
    pytest.param("\u0915\u094d\u200d\u0937", id="devanagari-half-form-zwj"),
    pytest.param("Zoe\u0308 Nguye\u0302\u0303n", id="decomposed-accents"),
    pytest.param("\u0f56\u0f66\u0f92\u0fb2\u0f74\u0f56\u0f66", id="tibetan-stack"),
    pytest.param("x\u0301\u0316\u0334\u0361", id="four-marks-on-a-letter"),
    pytest.param("1\ufe0f\u20e3 Ada", id="keycap-emoji"),
    pytest.param("\uae40\ubbfc\uc900", id="korean-syllables"),
    pytest.param("J.", id="an-initial"),
]


@pytest.mark.parametrize("typed", ACCEPTED_NAMES)
async def test_names_that_scripts_and_emoji_need_are_accepted(bot, chat, typed):
    await chat.send("/sign")

    assert EMAIL_Q in await chat.send(typed)
    await chat.press("Skip")
    await chat.press("Skip")
    reply = await chat.press("Sign")

    stored = unicodedata.normalize("NFC", typed)
    assert reply.startswith(f"Thank you, {stored}! You are signature #1."), reply
    assert (await bot.store.signature_of("telegram", "1001")).name == stored


async def test_a_display_name_that_shows_nothing_is_not_offered_as_the_default(make_chat):
    chat = make_chat(name="\u3164")
    reply = await chat.send("/sign")
    assert NAME_Q in reply
    assert not any(label.startswith("Use") for label in chat.labels)


# Timezones -------------------------------------------------------------------------------------

ZONE_REASON = "I don't know the timezone"
NOT_IANA = ["localtime", "Factory", "posixrules", "posix/Europe/London", "right/UTC",
            "/usr/share/zoneinfo/Europe/London", "zone.tab", "tzdata.zi"]


@pytest.mark.parametrize("zone", NOT_IANA)
async def test_settings_refuse_a_timezone_that_is_not_an_iana_name(bot, chat, zone):
    reply = await chat.send(f"/settings timezone {zone}")

    assert ZONE_REASON in reply
    assert await bot.store.settings_of("telegram", "1001") == Settings(None, None)


async def test_the_timezone_question_refuses_localtime_and_keeps_asking(bot, chat):
    await chat.send("/settings")
    await chat.press("Change timezone")

    reply = await chat.send("localtime")

    assert ZONE_REASON in reply
    assert "Which timezone are you in?" in reply
    assert await bot.store.settings_of("telegram", "1001") == Settings(None, None)
    assert await chat.send("Etc/UTC") == "Your timezone is now Etc/UTC."


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/Argentina/Buenos_Aires"])
async def test_settings_accept_iana_names(bot, chat, zone):
    assert await chat.send(f"/settings timezone {zone}") == f"Your timezone is now {zone}."
    assert (await bot.store.settings_of("telegram", "1001")).timezone == zone


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
def test_config_refuses_a_campaign_timezone_that_is_not_an_iana_name(zone):
    data = copy.deepcopy(SHIPPED_DATA)
    data["campaign"]["timezone"] = zone

    with pytest.raises(ConfigError) as caught:
        parse(data, ROOT)

    assert caught.value.problems == [
        f"campaign.timezone: unknown timezone {zone!r} (use an IANA name such as Europe/London)"
    ]


# Signature numbers -----------------------------------------------------------------------------


async def unsign(chat: MemoryChat) -> str:
    await chat.send("/unsign")
    return await chat.press("Yes, withdraw it")


async def test_signing_after_many_withdrawals_is_still_signature_one(bot, chat, clock):
    for _ in range(30):
        await sign_up(chat)
        assert "withdrawn" in await unsign(chat)
        clock.advance(minutes=1)  # a person going this fast would be slowed down

    reply = await sign_up(chat)

    assert "Thank you, Ada Lovelace! You are signature #1. The petition now has 1 signature." in (
        reply)
    assert "(signature #1)" in await chat.send("/sign")
    assert "Withdraw your signature (#1) from the petition?" in await chat.send("/unsign")
    assert "Petition signature #1," in await chat.send("/mydata")
    assert (await bot.store.signature_of("telegram", "1001")).number == 1


async def test_the_third_signer_is_told_three_whatever_was_withdrawn(bot, chat, make_chat, clock):
    grace = make_chat(user_id="2002", name="Grace Hopper")
    linus = make_chat(user_id="3003", name="Linus")
    for _ in range(5):
        await sign_up(linus, "Linus")
        await unsign(linus)
        clock.advance(minutes=1)  # past the per-person limit's minute
    await sign_up(chat)
    await sign_up(grace, "Grace Hopper")

    reply = await sign_up(linus, "Linus")

    assert "Thank you, Linus! You are signature #3. The petition now has 3 signatures." in reply
    numbers = [(await bot.store.signature_of("telegram", who)).number
               for who in ("1001", "2002", "3003")]
    assert numbers == [1, 2, 3]
    exported = [s.number async for s in bot.store.iter_signatures(batch=2)]
    assert exported == [1, 2, 3]


async def test_a_number_is_the_place_among_the_signatures_that_stand(bot, chat, make_chat):
    grace = make_chat(user_id="2002", name="Grace Hopper")
    await sign_up(chat)
    assert "You are signature #2." in await sign_up(grace, "Grace Hopper")

    await unsign(chat)

    # Grace moves up: no number is shared, and none hides a withdrawal.
    assert "Petition signature #1," in await grace.send("/mydata")
    reply = await sign_up(chat)
    assert "You are signature #2. The petition now has 2 signatures." in reply
    assert [s.number async for s in bot.store.iter_signatures()] == [1, 2]

"""Issue 12, share and referral: each supporter's code, /invite, the referrer's credit (once,
never for oneself, an unknown code, or a re-signer), their notice through the outbox, and what
/mydata, /forget, /stats and the export say about it."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from urllib.parse import parse_qs, urlparse

import pytest

from bot import ops
from bot.outbox import OutboxWorker, render_message
from bot.storage import Storage
from bot.store.referrals import ALPHABET, CODE_LENGTH
from tests.support.conversations import sign_up
from tests.support.outbox import FAST, running, unfinished
from tests.support.senders import FakeSender
from tests.support.waiting import wait_until

BOT_LINK = "https://t.me/campaign_test_bot?start="
CODE_LINE = re.compile(r"Your invite code: ([a-z0-9]+)")


@pytest.fixture
def linked(bot):
    """The deep links a running Telegram adapter registers."""
    bot.deep_links["telegram"] = lambda name: BOT_LINK + name
    return bot


def code_in(text: str) -> str:
    match = CODE_LINE.search(text)
    assert match, text
    return match.group(1)


async def code_of(chat) -> str:
    return code_in(await chat.send("/invite"))


def rows(config, sql: str, params=()) -> list[tuple]:
    db = sqlite3.connect(config.storage.path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def notices(config) -> list[tuple]:
    return rows(config, "SELECT o.platform, o.chat_id, m.body FROM outbox o JOIN messages m"
                        " ON m.id = o.message_id WHERE m.kind = 'referral' ORDER BY o.id")


async def sign_via(chat, code: str, name: str = "Grace Hopper") -> str:
    """/start r_<code> (what the Telegram deep link sends), then the sign form."""
    await chat.send(f"/start r_{code}")
    await chat.send(name)
    await chat.press("Skip")
    await chat.press("Skip")
    return await chat.press("Sign")


# Codes and /invite -------------------------------------------------------------------------


async def test_each_supporter_gets_one_short_random_code_not_derived_from_their_id(
        linked, make_chat):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002")
    first = await code_of(ada)
    assert await code_of(ada) == first  # stored: the same every time
    other = await code_of(grace)
    assert first != other
    for code in (first, other):
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
        assert "1001" not in code and "1002" not in code


async def test_invite_shows_the_deep_link_a_share_button_the_website_and_the_count(
        linked, chat, config):
    text = await chat.send("/invite")
    code = code_in(text)
    assert f"Your personal link: {BOT_LINK}r_{code}" in text
    assert f"Anywhere else, share the campaign website: {config.campaign.website}" in text
    assert "Your link has brought 0 signatures so far." in text
    [share] = [b for b in chat.buttons if b.label == "Share"]
    query = parse_qs(urlparse(share.url).query)
    assert share.url.startswith("https://t.me/share/url?")
    assert query["url"] == [f"{BOT_LINK}r_{code}"]
    assert "Sign the petition with me" in query["text"][0]
    assert "On our server" not in text  # no [discord] invite_url in the shipped config


async def test_invite_names_the_server_and_the_code_when_an_invite_url_is_set(bot, chat):
    discord = bot.config.discord.model_copy(update={"invite_url": "https://discord.gg/abc"})
    bot.config = bot.config.model_copy(update={"discord": discord})
    text = await chat.send("/invite")
    code = code_in(text)
    assert f"On our server (https://discord.gg/abc), sign with /sign code:{code}" in text


async def test_the_thank_you_carries_the_invite_block(linked, chat):
    reply = await sign_up(chat)
    assert "Invite others to sign" in reply
    assert f"{BOT_LINK}r_{code_in(reply)}" in reply


# Credit ------------------------------------------------------------------------------------


async def test_a_first_signature_through_a_link_credits_the_referrer_once(
        linked, make_chat, config):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    code = await code_of(ada)
    assert "You are signature #1" in await sign_via(grace, code)
    assert "Your link has brought 1 signature so far." in await ada.send("/invite")
    assert rows(config, "SELECT referred FROM signatures WHERE user_id = '1002'") == [(1,)]
    [(platform, chat_id, _)] = notices(config)
    assert (platform, chat_id) == ("telegram", "1001")


async def test_the_code_survives_the_form_typed_as_sign_args_too(linked, make_chat):
    ada, bo = make_chat(user_id="1001"), make_chat(user_id="1003", name="Bo")
    code = await code_of(ada)
    await bo.send(f"/sign {code}")  # Discord's /sign code:<code> reaches the core so
    await bo.send("Bo")
    await bo.press("Skip")
    await bo.press("Skip")
    assert "You are signature #1" in await bo.press("Sign")
    assert "Your link has brought 1 signature so far." in await ada.send("/invite")


async def test_no_credit_for_signing_through_ones_own_link(linked, chat, config):
    code = await code_of(chat)
    assert "You are signature #1" in await sign_via(chat, code)
    assert "Your link has brought 0 signatures so far." in await chat.send("/invite")
    assert rows(config, "SELECT referred FROM signatures") == [(0,)]
    assert notices(config) == []


async def test_an_unknown_code_still_signs_with_no_credit_and_no_error(linked, chat, config):
    reply = await sign_via(chat, "zzzzzzzz")
    assert "You are signature #1" in reply
    assert rows(config, "SELECT COUNT(*) FROM referral_credits") == [(0,)]
    assert rows(config, "SELECT referred FROM signatures") == [(0,)]


async def test_signing_again_after_unsign_credits_no_one_again(linked, make_chat, config):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    code = await code_of(ada)
    await sign_via(grace, code)
    await grace.send("/unsign")
    assert "withdrawn" in await grace.press("Yes, withdraw it")
    assert "You are signature #1" in await sign_via(grace, code)
    assert "Your link has brought 1 signature so far." in await ada.send("/invite")
    assert len(notices(config)) == 1


async def test_signing_through_a_link_after_withdrawing_a_direct_signature_credits_no_one(
        linked, make_chat, config):
    # Issue 12: "a person who had signed before (also after /unsign and signing again)" brings
    # no credit, also when their first signature came through no link at all.
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    await sign_up(grace, "Grace Hopper")
    await grace.send("/unsign")
    assert "withdrawn" in await grace.press("Yes, withdraw it")
    code = await code_of(ada)
    assert "You are signature #1" in await sign_via(grace, code)
    assert "Your link has brought 0 signatures so far." in await ada.send("/invite")
    assert rows(config, "SELECT referred FROM signatures") == [(0,)]
    assert notices(config) == []


async def test_mydata_says_what_is_kept_after_a_withdrawal(linked, make_chat):
    grace = make_chat(user_id="1002", name="Grace Hopper")
    await sign_up(grace, "Grace Hopper")
    await grace.send("/unsign")
    await grace.press("Yes, withdraw it")
    assert "You signed before and withdrew: we keep only that" in await grace.send("/mydata")


async def test_someone_who_already_signed_is_not_credited(linked, make_chat, config):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    await sign_up(grace, "Grace Hopper")
    code = await code_of(ada)
    assert "You signed on" in await grace.send(f"/start r_{code}")
    assert "Your link has brought 0 signatures so far." in await ada.send("/invite")


# The referrer's notice ---------------------------------------------------------------------


async def test_the_notice_is_rendered_in_the_referrers_language_naming_no_one(
        linked, make_chat, bot, config):
    ada = make_chat(user_id="1001")
    await ada.send("/settings language es")
    code = await bot.store.referral_code("telegram", "1001")
    await sign_via(make_chat(user_id="1002", name="Grace Hopper"), code)
    [(_, _, body)] = notices(config)
    assert "Grace" not in body and "1002" not in body
    reply = await render_message(bot, json.loads(body), "telegram", "1001")
    assert reply.plain_text().startswith(
        "Alguien a quien invitaste acaba de firmar. Tu enlace ha traído 1 firma.")


async def test_the_notice_goes_out_through_the_paced_outbox(linked, make_chat, bot, config):
    ada = make_chat(user_id="1001")
    code = await code_of(ada)
    await sign_via(make_chat(user_id="1002", name="Grace Hopper"), code)
    sender = FakeSender("telegram")
    async with running(OutboxWorker(bot, sender, FAST)):
        await wait_until(lambda: unfinished(config.storage.path) == 0, what="the notice")
    assert sender.sent == [("1001", (
        "Someone you invited just signed. Your link has brought 1 signature.\n"
        "(To stop these messages: /settings invites off.)"))]


async def test_no_notice_when_turned_off_or_unreachable(linked, make_chat, bot, config):
    ada, bo = make_chat(user_id="1001"), make_chat(user_id="1003")
    assert "won't get a message" in await ada.send("/settings invites off")
    await sign_via(make_chat(user_id="1002", name="Grace Hopper"), await code_of(ada))
    assert notices(config) == []
    assert "Your link has brought 1 signature so far." in await ada.send("/invite")
    code = await code_of(bo)
    await bot.store.deactivate_recipient("telegram", "1003", "blocked", bot.clock.now())
    await sign_via(make_chat(user_id="1004", name="Lin"), code)
    assert notices(config) == []
    assert "You'll get a message" in await ada.send("/settings invites on")
    await sign_via(make_chat(user_id="1005", name="Kim"), await code_of(ada))
    assert [(p, c) for p, c, _ in notices(config)] == [("telegram", "1001")]


# Privacy, /stats and the export -------------------------------------------------------------


async def test_mydata_shows_the_code_the_count_and_whether_referred_not_by_whom(
        linked, make_chat):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    code = await code_of(ada)
    await sign_via(grace, code)
    mine = await ada.send("/mydata")
    assert f"Your invite code: {code}. Your link has brought 1 signature." in mine
    theirs = await grace.send("/mydata")
    assert "You signed through someone's invite (we don't show whose)." in theirs
    assert code not in theirs and "1001" not in theirs and "Ada" not in theirs


async def test_forget_deletes_the_code_and_credits_and_keeps_the_signatures_brought(
        linked, make_chat, config):
    ada, grace = make_chat(user_id="1001"), make_chat(user_id="1002", name="Grace Hopper")
    await sign_up(ada)
    code = await code_of(ada)
    await sign_via(grace, code)
    await ada.send("/forget")
    reply = await ada.press("Yes, erase everything")
    assert "your invite code" in reply and "1 invite record" in reply
    assert rows(config, "SELECT * FROM referral_codes WHERE user_id = '1001'") == []
    assert rows(config, "SELECT COUNT(*) FROM referral_credits") == [(0,)]
    assert rows(config, "SELECT user_id FROM signatures") == [("1002",)]  # Grace's stays
    # Her code is gone: it credits no one any more.
    await sign_via(make_chat(user_id="1003", name="Bo"), code)
    assert rows(config, "SELECT COUNT(*) FROM referral_credits") == [(0,)]


async def test_stats_count_referrals_and_name_referrers_by_signature_number(
        linked, make_chat, moderator):
    ada = make_chat(user_id="1001")
    await sign_up(ada)
    code = await code_of(ada)
    await sign_via(make_chat(user_id="1002", name="Grace Hopper"), code)
    await sign_via(make_chat(user_id="1003", name="Bo"), code)
    stats = await moderator.send("/stats")
    assert "Signed through an invite: 2" in stats
    assert "signature #1 brought 2" in stats
    assert "Ada" not in stats


async def test_the_export_has_a_referred_column(linked, make_chat, bot, tmp_path):
    ada = make_chat(user_id="1001")
    await sign_up(ada)
    await sign_via(make_chat(user_id="1002", name="Grace Hopper"), await code_of(ada))
    out = tmp_path / "signatures.csv"
    assert await ops.export_signatures(bot.store, out) == 2
    exported = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["referred"] for r in exported] == ["no", "yes"]


async def test_codes_stay_unique_when_the_random_draw_collides(tmp_path, monkeypatch):
    from bot.store import referrals
    draws = iter(["aaaaaaaa", "aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(referrals, "new_code", lambda: next(draws))
    async with await Storage.open(tmp_path / "codes.db") as store:
        assert await store.referral_code("telegram", "1") == "aaaaaaaa"
        assert await store.referral_code("telegram", "2") == "bbbbbbbb"


async def test_settings_invites_needs_on_or_off_and_changes_nothing_otherwise(chat, bot):
    assert await chat.send("/settings invites maybe") == (
        "Use /settings invites on or /settings invites off.")
    assert await bot.store.referral_notices("telegram", "1001")
    assert "won't get a message" in await chat.send("/settings invites off")
    assert not await bot.store.referral_notices("telegram", "1001")

"""The fake Bot API refuses what Telegram refuses, as PTB sees it: otherwise the tier-3 tests
would pass against a server more forgiving than the real one."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from tests.fakes.telegram_api import chat_json, parse_html
from tests.fakes.telegram_harness import BOUND, TOKEN

ADA = 1001
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def api(api):
    """Ada has started the bot, so it may write to her first."""
    api.chats[ADA] = chat_json(ADA)
    return api


async def refused(api, call, message: str, error=BadRequest) -> None:
    """`call` is refused with `message`, and the fake recorded that one refusal (taken, so the
    harness's end-of-test check sees it declared)."""
    with pytest.raises(error) as raised:
        await asyncio.wait_for(call, BOUND)
    assert message.lower() in raised.value.message.lower()  # PTB drops "Bad Request: "
    [refusal] = api.take_refusals()
    assert message.lower() in refusal.description.lower()


@pytest.mark.parametrize("text, message", [
    ("", "message text is empty"),
    ("  \n ", "message text is empty"),
    ("<b> </b>", "message text is empty"),
    ("x" * 4097, "message is too long"),
    ("😀" * 2049, "message is too long"),  # 4098 UTF-16 units
    ("<foo>x</foo>", 'Unsupported start tag "foo"'),
    ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", "Unmatched end tag"),
    ("x</b>", "Unexpected end tag"),
    ("1 < 2", "Unclosed start tag"),
    ("1 < 2 > 0", "Unsupported start tag"),
    ("a <", "Unclosed start tag"),
    ("Tom & Jerry", "Can't find end of the entity"),
    ("&nbsp;", "Can't find end of the entity"),
    ('<a href="x"><a href="y">z</a></a>', "Nested links"),
])
async def test_the_fake_refuses_what_telegram_refuses(client, api, text, message):
    await refused(api, client.send_message(ADA, text, parse_mode="HTML"), message)


async def test_the_fake_accepts_what_telegram_accepts(client, api):
    html = ('<b>bold</b> <i>it</i> <a href="https://e.org/?a=1&amp;b=2">link</a> '
            "&lt;b&gt; &amp; &quot; &#39; &#x27; 1 > 0")
    sent = await client.send_message(ADA, html, parse_mode="HTML")
    assert sent.text == "bold it link <b> & \" ' ' 1 > 0"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4), ("italic", 5, 2), ("text_link", 8, 4)]
    assert sent.entities[2].url == "https://e.org/?a=1&b=2"
    assert (await client.send_message(ADA, "x" * 4096)).text == "x" * 4096
    assert len((await client.send_message(ADA, f"<b>{'😀' * 2048}</b>",
                                          parse_mode="HTML")).text) == 2048


async def test_callback_data_over_64_bytes_is_refused(client, api):
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])
    await client.send_message(ADA, "fits", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="é" * 32 + "x")]])
    await refused(api, client.send_message(ADA, "too long", reply_markup=too_long),
                  "BUTTON_DATA_INVALID")


async def test_a_callback_query_is_answered_once(client, api):
    query = api.press(ADA, "rsvp:day1")
    assert await client.answer_callback_query(query)
    await refused(api, client.answer_callback_query(query), "query is too old")
    await refused(api, client.answer_callback_query("never-sent"), "query is too old")


async def test_unknown_and_blocked_chats(client, api):
    await refused(api, client.send_message(5555, "hi"), "chat not found")
    api.blocked.add(ADA)
    await refused(api, client.send_message(ADA, "hi"), "bot was blocked by the user", Forbidden)


async def test_injected_failures(client, api):
    api.fail_next("sendMessage", 1, 429, retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await client.send_message(ADA, "hi")
    assert raised.value.message == "Flood control exceeded. Retry in 7 seconds"
    assert (await client.send_message(ADA, "hi")).text == "hi"


async def test_get_updates_long_polls_and_offsets_confirm(client, api):
    first = api.send_text(ADA, "/help")["update_id"]
    second = api.send_text(ADA, "/rsvp")["update_id"]
    assert [u.update_id for u in await client.get_updates(timeout=0)] == [first, second]
    assert [u.update_id for u in await client.get_updates(offset=second, timeout=0)] == [second]
    assert await client.get_updates(offset=second + 1, timeout=0) == ()
    waiting = asyncio.create_task(client.get_updates(offset=second + 1, timeout=5))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # a long poll: held until an update arrives
    third = api.send_text(ADA, "/today")["update_id"]
    assert [u.update_id for u in await asyncio.wait_for(waiting, BOUND)] == [third]


async def test_a_second_poller_ends_the_first_with_409(client, api):
    first = asyncio.create_task(client.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=api.base_url) as second:  # another instance of the bot
        await second.get_updates(timeout=0)
    with pytest.raises(Conflict):
        await asyncio.wait_for(first, BOUND)
    assert [(r.method, r.status) for r in api.take_refusals()] == [("getUpdates", 409)]


def test_the_html_parser_counts_utf16_offsets():
    text, entities = parse_html("😀 <b>x</b>")
    assert text == "😀 x" and entities == [{"type": "bold", "offset": 3, "length": 1}]


async def test_edits_refuse_what_telegram_refuses(client, api):
    sent = await client.send_message(ADA, "<b>hi</b>", parse_mode="HTML")
    await refused(api, client.edit_message_text("<b>hi</b>", ADA, sent.message_id,
                                                parse_mode="HTML"), "message is not modified")
    await refused(api, client.edit_message_text("x", ADA, 999), "message to edit not found")
    await refused(api, client.edit_message_text("<i>x", ADA, sent.message_id, parse_mode="HTML"),
                  "can't find end tag")
    edited = await client.edit_message_text("<i>there</i>", ADA, sent.message_id,
                                            parse_mode="HTML")
    assert edited.text == "there" and api.last(ADA).edits == 1
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="a:b")]])
    await client.edit_message_reply_markup(ADA, sent.message_id, reply_markup=markup)
    await refused(api, client.edit_message_reply_markup(ADA, sent.message_id, reply_markup=markup),
                  "message is not modified")


async def test_documents_and_chat_members(client, api):
    sent = await client.send_document(ADA, b"number,name\n1,Ada\n", filename="export.csv")
    assert sent.document.file_name == "export.csv"
    api.set_admin(ADA, 7, "creator")
    assert (await client.get_chat_member(ADA, 7)).status == "creator"
    assert (await client.get_chat_member(ADA, 8)).status == "member"
    await refused(api, client.get_chat_member(5555, 7), "chat not found")

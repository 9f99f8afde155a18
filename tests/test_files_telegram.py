"""Tier 3: files and in-place edits through the real python-telegram-bot against the fake Bot
API: photos and documents as multipart uploads, captions and keyboards where Telegram allows
them, files over Telegram's limits, and an RSVP press that edits the list it sits on."""

from __future__ import annotations

import pytest

from bot.config import Telegram
from bot.core import Attachment
from tests.fakes.telegram_api import MAX_DOCUMENT, MAX_PHOTO
from tests.fakes.telegram_harness import BOUND
from tests.support import attachments
from tests.support.attachments import ICS, PNG, with_files

ADA = 1001


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


@pytest.fixture
async def bot(bot):
    return with_files(bot)


async def sent_after(api, push, count: int) -> list:
    before = len(api.sent(ADA))
    push()
    await api.wait_for(lambda: len(api.sent(ADA)) >= before + count, BOUND)
    await api.wait_idle()
    return api.sent(ADA)[before:]


async def test_an_image_is_a_photo_with_the_text_as_caption_and_the_buttons(adapter, api):
    (photo,) = await sent_after(api, lambda: api.send_text(ADA, "/chartfile"), 1)
    assert photo.file == {"kind": "photo", "filename": "growth.png",
                          "content_type": "image/png", "data": PNG}
    assert photo.text == "Signatures by day"
    assert [b["text"] for row in photo.reply_markup["inline_keyboard"] for b in row] == ["Again"]
    assert [c.method for c in api.calls if c.method.startswith("send")] == ["sendPhoto"]


async def test_a_document_carries_its_caption_escaped(adapter, api):
    (document,) = await sent_after(api, lambda: api.send_text(ADA, "/icsfile"), 1)
    assert document.file["kind"] == "document" and document.file["data"] == ICS
    assert document.file["filename"] == "week-of-action.ics"
    assert document.text == "Your <events> & more"  # HTML escaped, shown as typed
    assert document.reply_markup is None


async def test_a_text_too_long_for_a_caption_goes_first_and_each_file_is_a_message(
        adapter, api):
    text, photo, document = await sent_after(api, lambda: api.send_text(ADA, "/longfile"), 3)
    assert text.file is None and text.text.startswith("word word")
    assert (photo.file["kind"], photo.text) == ("photo", "")
    assert document.file["kind"] == "document" and document.reply_markup is not None
    assert text.reply_markup is None and photo.reply_markup is None  # buttons on the last


async def test_a_file_over_the_limit_is_left_out_and_named(adapter, api):
    attachments.big[:] = [Attachment("huge.png", "image/png", b"x" * (MAX_PHOTO + 1))]
    try:
        (message,) = await sent_after(api, lambda: api.send_text(ADA, "/bigfile"), 1)
    finally:
        attachments.big.clear()
    assert message.file is None
    assert message.text == "Here it is\n\nToo large to send here: huge.png."
    assert not api.calls_to("sendPhoto")


async def test_the_fake_refuses_what_telegram_refuses(client, api):
    from telegram.error import BadRequest, TelegramError

    with pytest.raises(BadRequest):
        await client.send_photo(ADA, b"x" * (MAX_PHOTO + 1), filename="big.png")
    with pytest.raises(TelegramError):
        await client.send_document(ADA, b"x" * (MAX_DOCUMENT + 1), filename="big.csv")
    with pytest.raises(BadRequest):
        await client.send_document(ADA, ICS, filename="x.ics", caption="c" * 1025)
    assert [r.status for r in api.take_refusals()] == [400, 413, 400]


async def test_an_rsvp_press_edits_the_list_in_place(adapter, api, bot):
    (listing,) = await sent_after(api, lambda: api.send_text(ADA, "/rsvp"), 1)
    api.press_label(ADA, "Going: Kick-off call")
    await api.wait_for(lambda: api.last(ADA).edits == 1, BOUND)
    await api.wait_idle()
    assert api.sent(ADA) == [listing]  # no new message
    assert listing.text.startswith("You're going to Kick-off call")
    assert await bot.store.rsvps_of("telegram", str(ADA)) == {"day1"}
    api.press(ADA, "rsvp:day1")  # the same again (a double tap): nothing to change
    await api.wait_for(lambda: len(api.calls_to("answerCallbackQuery")) == 2, BOUND)
    await api.wait_idle()
    assert listing.edits == 1 and len(api.sent(ADA)) == 1
    assert not api.calls_to("sendMessage")[1:]


async def test_when_only_the_buttons_change_only_the_keyboard_is_edited(adapter, api):
    (listing,) = await sent_after(api, lambda: api.send_text(ADA, "/togglelist"), 1)
    api.press_label(ADA, "Off")
    await api.wait_for(lambda: listing.edits == 1, BOUND)
    await api.wait_idle()
    assert [b["text"] for b in api.buttons(ADA)] == ["On"] and listing.text == "Pick one"
    assert len(api.calls_to("editMessageReplyMarkup")) == 1
    assert not api.calls_to("editMessageText") and len(api.sent(ADA)) == 1


async def test_a_message_telegram_will_not_edit_gets_a_new_one(adapter, api):
    from tests.fakes.telegram_api import callback_update

    await sent_after(api, lambda: api.send_text(ADA, "/togglelist"), 1)
    gone = api.message_json(api.last(ADA)) | {"message_id": 999}  # deleted since
    (again,) = await sent_after(api, lambda: api.push(callback_update(
        ADA, "toggle:on", message=gone)), 1)
    assert again.text == "Pick one" and [b["text"] for b in api.buttons(ADA)] == ["On"]
    assert [r.description for r in api.take_refusals()] == [
        "Bad Request: message to edit not found"]


async def test_a_file_never_replaces_the_pressed_message(adapter, api):
    (photo,) = await sent_after(api, lambda: api.send_text(ADA, "/chartfile"), 1)
    (answer,) = await sent_after(api, lambda: api.press_label(ADA, "Again"), 1)
    assert answer.text == "Again" and answer.file["kind"] == "photo" and photo.edits == 0
    assert not api.calls_to("editMessageText") and not api.calls_to("editMessageReplyMarkup")


async def test_a_refused_photo_still_delivers_its_caption_and_buttons(adapter, api):
    api.fail_next("sendPhoto", 1, 400, description="Bad Request: IMAGE_PROCESS_FAILED")
    (shown,) = await sent_after(api, lambda: api.send_text(ADA, "/chartfile"), 1)
    assert shown.file is None and shown.text == "Signatures by day"
    assert [b["text"] for row in shown.reply_markup["inline_keyboard"] for b in row] == ["Again"]
    sent = [(c.method, c.status) for c in api.calls if c.method.startswith("send")]
    assert sent == [("sendPhoto", 400), ("sendMessage", 200)]

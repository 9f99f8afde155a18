"""Tier 1: what each platform takes, declared in its Capabilities, and what a reply becomes
when a file is over it: the text, and a sentence naming the file, in the person's language."""

from __future__ import annotations

from bot.adapters.console import CAPABILITIES as CONSOLE
from bot.adapters.discord.capabilities import CAPABILITIES as DISCORD
from bot.adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from bot.core import Attachment, Reply
from bot.i18n import translator

MB, MiB = 1_000_000, 1024 * 1024


def sized(name: str, media_type: str, size: int) -> Attachment:
    return Attachment(name, media_type, b"x" * size)


def test_each_platform_declares_its_limits():
    photo, document = sized("a.png", "image/png", 10 * MB + 1), sized("a.csv", "text/csv", 11 * MB)
    assert TELEGRAM.too_large((photo, document)) == (photo,)  # a document may be 50 MB
    assert TELEGRAM.too_large((sized("b.csv", "text/csv", 50 * MB + 1),))
    assert DISCORD.too_large((document,)) == (document,)
    halves = (sized("a.png", "image/png", 5 * MiB), sized("b.png", "image/png", 5 * MiB + 1))
    assert DISCORD.too_large(halves) == halves  # 10 MiB for the whole message
    assert DISCORD.too_large(halves[:1]) == ()
    assert CONSOLE.too_large((photo, document)) == ()


def test_a_file_over_the_limit_becomes_a_sentence_in_the_persons_language():
    big, small = sized("huge.png", "image/png", 10 * MB + 1), sized("a.ics", "text/calendar", 9)
    reply = Reply.of("Your chart", attachments=(big, small), private=True)
    fitted = TELEGRAM.fitted(reply, translator("es"))
    assert fitted.attachments == (small,) and fitted.private
    assert fitted.plain_text() == "Your chart\n\nDemasiado grande para enviarlo aquí: huge.png."
    assert TELEGRAM.fitted(Reply.of("ok", attachments=(small,)), translator()) == Reply.of(
        "ok", attachments=(small,))

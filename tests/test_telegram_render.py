"""Tier 2: Reply -> Telegram HTML and keyboards, pure. Each message is checked with the fake's
parser of Telegram's HTML, so "valid" means what Telegram would accept."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.adapters.telegram.render import MAX_TEXT, render, utf16_len
from bot.core import Bold, Button, Italic, Link, Moment, Plain, Reply
from tests.fakes.telegram_api import check_text, parse_html

NAME = '<b>x</b> & <a href="x">y</a>'


def shown(reply: Reply) -> list[str]:
    """What a person sees, message by message (raises if Telegram would refuse one)."""
    return [check_text(html, "HTML")[0] for html, _ in render(reply)]


def test_every_string_is_escaped():
    [(html, markup)] = render(Reply.of(f"Thank you, {NAME}!"))
    assert html == ("Thank you, &lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=\"x\"&gt;y&lt;/a&gt;!")
    assert parse_html(html) == (f"Thank you, {NAME}!", [])
    assert markup is None


def test_spans_become_tags_with_their_text_escaped():
    at = datetime(2027, 6, 7, 23, 0, tzinfo=UTC)
    reply = Reply.of(Bold(NAME), " ", Italic("a<b"), " ", Link("R&D", 'https://e.org/?a=1&b="2"'),
                     " ", Moment(at, "Mon 7 Jun 2027, 19:00 EDT"))
    [(html, _)] = render(reply)
    assert html == (
        '<b>&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href="x"&gt;y&lt;/a&gt;</b> <i>a&lt;b</i> '
        '<a href="https://e.org/?a=1&amp;b=&quot;2&quot;">R&amp;D</a> Mon 7 Jun 2027, 19:00 EDT')
    text, entities = parse_html(html)
    assert text == f'{NAME} a<b R&D Mon 7 Jun 2027, 19:00 EDT'
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link"]
    assert entities[2]["url"] == 'https://e.org/?a=1&b="2"'


def test_text_of_exactly_the_limit_is_one_message():
    assert shown(Reply.of("x" * MAX_TEXT)) == ["x" * MAX_TEXT]
    assert shown(Reply.of("😀" * (MAX_TEXT // 2))) == ["😀" * (MAX_TEXT // 2)]


def test_one_character_over_splits():
    assert [len(t) for t in shown(Reply.of("x" * (MAX_TEXT + 1)))] == [MAX_TEXT, 1]
    # Telegram counts UTF-16 units: 2049 emoji are 4098 units
    assert [utf16_len(t) for t in shown(Reply.of("😀" * 2049))] == [4096, 2]


def test_the_split_falls_between_paragraphs():
    paragraphs = [chr(ord("a") + i) * 1500 for i in range(5)]
    messages = shown(Reply.of("\n\n".join(paragraphs)))
    assert messages == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:4]), paragraphs[4]]


def test_then_between_lines():
    lines = [chr(ord("a") + i) * 1000 for i in range(6)]
    messages = shown(Reply.of("\n".join(lines)))
    assert messages == ["\n".join(lines[:4]), "\n".join(lines[4:])]


def test_then_between_words_and_a_hard_cut_only_as_a_last_resort():
    words = ["w" * 100] * 50
    assert shown(Reply.of(" ".join(words))) == [" ".join(words[:40]), " ".join(words[40:])]
    assert [len(m) for m in shown(Reply.of("y" * 10_000))] == [4096, 4096, 1808]


def test_a_span_across_the_cut_is_closed_and_reopened():
    reply = Reply.of("a" * 4000, Bold("b" * 50 + "\n" + "c" * 100), Link("link", "https://e.org"))
    (first, _), (second, _) = render(reply)
    assert first == "a" * 4000 + "<b>" + "b" * 50 + "</b>"
    assert second == "<b>" + "c" * 100 + '</b><a href="https://e.org">link</a>'


def test_no_message_is_ever_invalid_or_too_long():
    alphabet = ["a", " ", "\n", "\n\n", "<", ">", "&", '"', "é", "😀", "&amp;", "<b>"]
    spans = [Plain, Bold, Italic, lambda t: Link(t, "https://e.org/?q=<&>"),
             lambda t: Moment(datetime(2027, 6, 1, tzinfo=UTC), t)]
    rng = random.Random(3)
    for _ in range(100):
        body = []
        for _ in range(rng.randint(1, 12)):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 1200)))
            body.append(rng.choice(spans)(text))
        reply = Reply(tuple(body))
        for html, _ in render(reply):
            text, _ = check_text(html, "HTML")  # refuses malformed, empty or oversize text
            assert utf16_len(text) <= MAX_TEXT


def test_buttons_become_an_inline_keyboard_on_the_last_message():
    reply = Reply.of("\n\n".join(["p" * 3000] * 2), buttons=[
        [Button("Going: Kick-off", "rsvp", ("day1",)), Button("All", "rsvp", ("all",))],
        [Button("Open a private chat", url="https://t.me/CampaignBot?start=sign")], []])
    (_, first), (_, last) = render(reply)
    assert first is None
    assert last.to_dict() == {"inline_keyboard": [
        [{"text": "Going: Kick-off", "callback_data": "rsvp:day1"},
         {"text": "All", "callback_data": "rsvp:all"}],
        [{"text": "Open a private chat", "url": "https://t.me/CampaignBot?start=sign"}]]}


@pytest.mark.parametrize("reply", [Reply.of(), Reply.of(""), Reply.of(Bold(" \n "))])
def test_an_empty_reply_is_no_message(reply):
    assert render(reply) == []

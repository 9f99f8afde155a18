"""Tier 2: Reply -> Discord content and components, Form -> modal, with no network."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.adapters.discord import render
from bot.adapters.discord.commands import build_commands
from bot.core import Bold, Button, Field, Form, Italic, Link, Moment, Reply
from bot.handlers.prompts import KEYS

AT = datetime(2027, 6, 10, 16, 0, tzinfo=UTC)
UNIX = int(AT.timestamp())


def content(*parts, buttons=()) -> str:
    messages = render.render_reply(Reply.of(*parts, buttons=buttons))
    assert len(messages) == 1
    return messages[0].content


def test_a_name_cannot_ping_or_format():
    text = content("Thank you, ", "@everyone <@&123> @here **bold** _it_ `code` ~~s~~ ||x||", "!")
    assert "@everyone" not in text and "@here" not in text
    assert "@\u200beveryone" in text and "@\u200bhere" in text
    assert "\\<@&123>" in text  # shows as typed instead of a role pill
    for mark in ("\\*\\*bold\\*\\*", "\\_it\\_", "\\`code\\`", "\\~\\~s\\~\\~", "\\|\\|x\\|\\|"):
        assert mark in text


@pytest.mark.parametrize("raw, shown", [
    ("<@123456789012345678>", "\\<@\u200b123456789012345678>"),
    ("<#123>", "\\<#123>"),
    ("<t:0:R>", "\\<t:0:R>"),
    ("</sign:1>", "\\</sign:1>"),
    ("# Heading", "\\# Heading"),
    ("> quote", "\\> quote"),
    ("-# small", "\\-# small"),
    ("1. listed", "1\\. listed"),
    ("[click](https://evil.example)", "\\[click](https://evil.example)"),
])
def test_discord_syntax_in_user_text_shows_as_typed(raw, shown):
    assert render.escape(raw) == shown


def test_urls_are_left_alone():
    assert render.escape("see https://example.org/a_b_c") == "see https://example.org/a_b_c"


def test_bold_and_italic_keep_whitespace_outside_the_markers():
    assert content(Bold("9 days left until "), Bold("the deadline"), " (soon)") == (
        "**9 days left until the deadline** (soon)")
    assert content("To: ", Italic(" Andy_J "), ".") == "To:  *Andy\\_J* ."


def test_bold_over_two_lines_is_closed_on_each_line():
    assert content(Bold("one\ntwo")) == "**one**\n**two**"


def test_links_are_masked_and_cannot_break_out():
    assert content(Link("Join [now]", "https://x.org/a (b)")) == (
        "[Join \\[now\\]](https://x.org/a%20%28b%29)")
    assert content(Link("https://x.org", "https://x.org")) == "https://x.org"


@pytest.mark.parametrize("style, shown", [
    ("full", f"<t:{UNIX}:F> · <t:{UNIX}:R>"),
    ("relative", f"<t:{UNIX}:R>"),
    ("date", f"<t:{UNIX}:D>"),
])
def test_moments_are_discord_timestamps(style, shown):
    assert content(Moment(AT, "Thu 10 Jun 2027, 12:00 EDT", style)) == shown


def test_long_text_splits_on_paragraphs_and_keeps_markup_whole():
    paragraph = "word " * 150  # 750 characters
    reply = Reply.of(Bold("Heading"), "\n\n", *[paragraph + "\n\n"] * 6, "end",
                     buttons=[[Button("Go", "rsvp", ("day1",))]])
    messages = render.render_reply(reply)
    assert len(messages) > 1
    assert all(len(m.content) <= render.CONTENT_LIMIT for m in messages)
    assert all(m.content.count("**") % 2 == 0 for m in messages)
    assert all(m.content.endswith("word") or m.content.endswith("end") for m in messages)
    assert [m.rows != () for m in messages] == [False] * (len(messages) - 1) + [True]
    joined = "".join(m.content for m in messages).replace(" ", "").replace("\n", "")
    joined = joined.replace("**", "")
    assert joined == reply.plain_text().replace(" ", "").replace("\n", "")


def test_one_huge_line_is_chopped_under_the_limit():
    line = "x" * 4500 + " tail \\*"
    chunks = render.split(render.escape(line))
    assert len(chunks) == 3 and all(len(c) <= 2000 for c in chunks)
    assert not any(c.endswith("\\") for c in chunks)


def test_a_line_that_fits_is_never_cut():
    lines = [f"line {n} " + "y" * 90 for n in range(60)]  # ~6000 characters, no blank lines
    chunks = render.split("\n".join(lines))
    assert all(len(c) <= 2000 for c in chunks)
    assert [line for c in chunks for line in c.split("\n")] == lines


def test_buttons_fit_five_rows_of_five():
    rows = [[Button(f"Event {n}", "rsvp", (f"day{n}",))] for n in range(5)]
    rows.append([Button("All of them", "rsvp", ("all",))])  # /rsvp: six rows
    groups = render.button_rows(rows)
    assert len(groups) == 1 and len(groups[0]) == 5
    assert [b.custom_id for row in groups[0] for b in row] == [
        "rsvp:day0", "rsvp:day1", "rsvp:day2", "rsvp:day3", "rsvp:day4", "rsvp:all"]


def test_more_than_25_buttons_go_to_another_message():
    rows = [[Button(f"B{n}", "rsvp", (f"e{n}",)) for n in range(30)]]
    messages = render.render_reply(Reply.of("Pick", buttons=rows))
    assert len(messages) == 2
    assert all(len(m.rows) <= 5 and all(len(r) <= 5 for r in m.rows) for m in messages)
    assert sum(len(r) for m in messages for r in m.rows) == 30


def test_labels_are_clipped_and_duplicates_dropped():
    rows = [[Button("x" * 120, "rsvp", ("a",)), Button("again", "rsvp", ("a",)),
             Button("Site", url="https://x.org")]]
    (row,) = render.button_rows(rows)[0]
    assert len(row) == 2 and len(row[0].label) == 80 and row[1].url == "https://x.org"


def test_empty_body_still_sends_something():
    assert content("") == render.EMPTY


def test_modal_takes_the_text_fields_within_discord_limits():
    long = "A very long field label that goes on and on and on"
    fields = [Field(f"f{n}", long, "p" * 150, max_length=9000, default="d" * 20)
              for n in range(5)]
    fields.append(Field("consent", "Consent", "Choose", kind="choice"))
    form = Form("sign", "a form title that is far longer than forty-five characters", tuple(
        fields))
    spec = render.modal_spec(form, "$form:sign", {"f1": "typed"})
    assert len(spec.title) <= 45 and spec.title[0] == "A"
    assert [i.custom_id for i in spec.inputs] == ["f0", "f1", "f2", "f3", "f4"]
    assert all(len(i.label) <= 45 and len(i.placeholder) <= 100 for i in spec.inputs)
    assert all(i.max_length == 4000 for i in spec.inputs)
    assert spec.inputs[1].default == "typed" and spec.inputs[0].default == "d" * 20


async def test_settings_choices_are_words_the_core_understands(bot):
    """The key choices the /settings slash command really offers (read from the command built
    for Discord, not from a copy of the list) are words /settings understands."""
    [settings] = [c for c in build_commands(bot) if c.name == "settings"]
    [key] = [p for p in settings.parameters if p.name == "key"]
    choices = [c.value for c in key.choices]
    assert choices and set(choices) <= set(KEYS)


def test_custom_ids_are_the_core_codec():
    (row,) = render.button_rows([[Button("Sign", "form", ("sign", "3", "0"))]])[0]
    assert row[0].custom_id == "form:sign:3:0"
    assert re.fullmatch(r"(?s).{1,100}", row[0].custom_id)

"""Tier 1: the console saves the files a reply carries under ./console-files/ and says so in
one line; an edit (a pressed list re-rendered) prints as a new message."""

from __future__ import annotations

import io
import stat

import pytest

from bot.adapters.console import ConsoleChat
from tests.support.attachments import ICS, PNG, with_files


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the folder is relative to the working directory
    return tmp_path


async def test_files_are_saved_owner_only_and_never_over_an_earlier_one(bot, here):
    out = io.StringIO()
    chat = ConsoleChat(with_files(bot), out, "Ada")
    await chat.say("/chartfile")
    await chat.say("/chartfile")
    lines = out.getvalue().splitlines()
    assert "saved growth.png (1 kB) to ./console-files/" in lines
    assert "saved growth-1.png (1 kB) to ./console-files/" in lines
    assert "[1] Again" in lines  # the text and buttons as ever
    for name in ("growth.png", "growth-1.png"):
        path = here / "console-files" / name
        assert path.read_bytes() == PNG
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_the_line_is_in_the_persons_language(bot, here):
    out = io.StringIO()
    chat = ConsoleChat(with_files(bot), out, "Ada", lang="es")
    await chat.say("/icsfile")
    assert "se guardó week-of-action.ics (1 kB) en ./console-files/" in out.getvalue()
    assert (here / "console-files" / "week-of-action.ics").read_bytes() == ICS


async def test_an_edit_prints_as_a_new_message(bot, here):
    out = io.StringIO()
    chat = ConsoleChat(bot, out, "Ada")
    await chat.say("/rsvp")
    before = out.getvalue()
    await chat.say("Going: Kick-off call: why we have …")
    assert out.getvalue().startswith(before)
    assert "You're going to Kick-off call" in out.getvalue()[len(before):]
    assert not (here / "console-files").exists()  # made only when a file comes

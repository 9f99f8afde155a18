"""A test-only router whose commands answer with files, for the platforms' file plumbing
(tests/test_files_*.py): the product has no demo command, so tests register this one."""

from __future__ import annotations

from bot.core import Attachment, Button, Reply
from bot.dispatch import Dispatcher
from bot.routing import Context, Router

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # a PNG's signature, then anything
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
CHART = Attachment("growth.png", "image/png", PNG)
INVITE = Attachment("week-of-action.ics", "text/calendar", ICS)

router = Router()
# What /bigfile sends: set by a test to a file over a platform's limit.
big: list[Attachment] = []


@router.command("chartfile")
async def chartfile(ctx: Context) -> Reply:
    """Send a chart (test only)."""
    return Reply.of("Signatures by day", buttons=[[Button("Again", "again")]],
                    attachments=(CHART,))


@router.command("icsfile")
async def icsfile(ctx: Context) -> Reply:
    """Send an invite (test only)."""
    return Reply.of("Your <events> & more", attachments=(INVITE,), private=True)


@router.command("longfile")
async def longfile(ctx: Context) -> Reply:
    """Send a long text with two files (test only)."""
    return Reply.of("word " * 300, buttons=[[Button("Again", "again")]],
                    attachments=(CHART, INVITE))


@router.command("bigfile")
async def bigfile(ctx: Context) -> Reply:
    """Send a file too large for the platform (test only)."""
    return Reply.of("Here it is", attachments=tuple(big))


@router.action("again")
async def again(ctx: Context) -> Reply:
    """Meant to replace the pressed message, but with a file: no platform edits that."""
    return Reply.of("Again", attachments=(CHART,), edit=True)


@router.command("togglelist")
async def togglelist(ctx: Context) -> Reply:
    """Show a list whose button changes (test only)."""
    return Reply.of("Pick one", buttons=[[Button("Off", "toggle", ("on",))]])


@router.action("toggle")
async def toggle(ctx: Context) -> Reply:
    """The same text, other buttons: only the keyboard changes."""
    now = ctx.incoming.payload[0] if ctx.incoming.payload else "off"
    after = "off" if now == "on" else "on"
    return Reply.of("Pick one", buttons=[[Button(now.title(), "toggle", (after,))]], edit=True)


def with_files(bot: Dispatcher) -> Dispatcher:
    """`bot` with the commands above, as if a router of the product had them."""
    bot.commands.update(router.commands)
    bot.actions.update(router.actions)
    return bot

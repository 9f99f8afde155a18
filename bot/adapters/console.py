"""A local console chat on the same handlers and database as the real platforms.

One line is one message. Buttons show as numbered choices: typing the number or the label
presses it. A file a reply carries is saved under ./console-files/ (owner-only, never over an
earlier one) and named in one line. An answer that would replace a pressed message (Reply.edit)
prints as a new one: a terminal cannot rewrite what it printed. Works interactively and from a
pipe (it exits at end of input)."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import threading
from pathlib import Path
from typing import TextIO

from babel.units import format_unit

from ..capabilities import Capabilities
from ..core import (
    Attachment,
    Button,
    ChatRef,
    Incoming,
    Reply,
    UserRef,
    button_incoming,
    parse_command,
)
from ..dispatch import Dispatcher
from ..i18n import N_, Translator, language_for, translator
from ..storage import OWNER_ONLY

PLATFORM = "console"
# One person at the machine that runs the bot: no message limit, forms as conversations, and
# moderator rights from how the console was started (`console --moderator`), not the config.
CAPABILITIES = Capabilities(PLATFORM, local=True)
BANNER = N_("Console chat as {name}. Type /help to begin; Ctrl-D (end of input) quits.")
SAVED = N_("saved {name} ({size}) to {folder}")
FILES_DIR = Path("console-files")  # relative to the working directory, made when first needed


def size_text(size: int, tr: Translator) -> str:
    """"24 kB", "1.5 MB" ("1,5 MB" in Spanish): decimal units, as file managers show them."""
    if size >= 1_000_000:
        return format_unit(size / 1_000_000, "digital-megabyte", length="short",
                           format="#,##0.#", locale=tr.locale)
    return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short",
                       locale=tr.locale)


def save(attachment: Attachment, folder: Path) -> Path:
    """Write the file under `folder`, readable by its owner alone (it may hold personal data,
    like an export), never over an existing file: "growth.png", then "growth-1.png"..."""
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(attachment.filename).name.lstrip(".") or "file"  # no path, no hidden file
    stem, suffix = Path(name).stem, Path(name).suffix
    for number in range(10_000):
        path = folder / (name if number == 0 else f"{stem}-{number}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
        except FileExistsError:
            continue
        try:
            os.fchmod(fd, OWNER_ONLY)  # os.open's mode passes through the umask
            os.write(fd, attachment.data)
        finally:
            os.close(fd)
        return path
    raise FileExistsError(f"no free name for {name} in {folder}")


def render(reply: Reply, start: int = 1) -> str:
    lines = [reply.plain_text()]
    number = start
    for row in reply.buttons:
        cells = []
        for button in row:
            # A link has nowhere to open in a terminal: its address is shown (and pressing it
            # shows it again).
            link = f": {button.url}" if button.url else ""
            cells.append(f"[{number}] {button.label}{link}")
            number += 1
        lines.append("   ".join(cells))
    return "\n".join(lines)


class ConsoleChat:
    def __init__(self, bot: Dispatcher, out: TextIO, name: str | None = None, lang: str = "",
                 files_dir: Path = FILES_DIR):
        self.bot = bot
        self.files_dir = files_dir
        self.locale = lang  # --lang: stands for the language a chat app would report
        self.out = out
        display = name or getpass.getuser().title()
        self.user = UserRef(PLATFORM, "local", display)
        self.chat = ChatRef(PLATFORM, "local", is_direct=True)
        self.buttons: list[Button] = []

    def to_incoming(self, line: str) -> Incoming:
        parsed = parse_command(line)
        if parsed:
            return Incoming("command", self.user, self.chat, name=parsed[0], args=parsed[1],
                            locale=self.locale)
        typed = line.strip()
        for number, button in enumerate(self.buttons, start=1):
            if typed == str(number) or typed.casefold() == button.label.casefold():
                return button_incoming(self.user, self.chat, button.data, locale=self.locale)
        return Incoming("text", self.user, self.chat, args=line, locale=self.locale)

    def pressed_link(self, line: str) -> str | None:
        typed = line.strip()
        for number, button in enumerate(self.buttons, start=1):
            if button.url and (typed == str(number) or typed.casefold() ==
                               button.label.casefold()):
                return button.url
        return None

    async def welcome(self) -> None:
        """What the console opens with: the welcome and its numbered choices (as /start shows
        them, without setting aside a form left open last time)."""
        incoming = self.to_incoming("/start")
        lang = await language_for(self.bot.store, self.bot.config.languages, incoming)
        if self.bot.welcome is not None:
            await self.show([await self.bot.welcome(self.bot.context(incoming, lang))], incoming)

    async def say(self, line: str) -> None:
        url = self.pressed_link(line)
        if url is not None:
            self.out.write(url + "\n\n")
            self.out.flush()
            return
        incoming = self.to_incoming(line)
        await self.show(await self.bot.handle(incoming), incoming)

    async def show(self, answers: list, incoming: Incoming) -> None:
        replies = [r for r in answers if isinstance(r, Reply)]
        shown = [b for r in replies for row in r.buttons for b in row]
        self.buttons = shown  # only the latest choices can be pressed by number
        number = 1
        for reply in replies:
            self.out.write(render(reply, number) + "\n\n")
            number += sum(len(row) for row in reply.buttons)
            if reply.attachments:
                tr = translator(await language_for(self.bot.store, self.bot.config.languages,
                                                   incoming))
                for attachment in reply.attachments:
                    self.out.write(self.saved(attachment, tr) + "\n\n")
        self.out.flush()

    def saved(self, attachment: Attachment, tr: Translator) -> str:
        path = save(attachment, self.files_dir)
        shown = self.files_dir if self.files_dir.is_absolute() else f"./{self.files_dir}/"
        return tr.t(SAVED, name=path.name, size=size_text(len(attachment.data), tr),
                    folder=shown)


async def read_lines(stream: TextIO) -> asyncio.Queue:
    """Feed lines from a blocking stream into a queue from a daemon thread, so a pending read
    never keeps the process alive at exit (a plain executor thread would)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    return queue


async def run_console(bot: Dispatcher, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                      name: str | None = None, lang: str = "") -> None:
    chat = ConsoleChat(bot, stdout, name, lang)
    interactive = stdin.isatty()
    if interactive:
        # In the language the bot will answer in: the saved /settings choice, else --lang.
        lang = await language_for(bot.store, bot.config.languages, chat.to_incoming("/help"))
        stdout.write(translator(lang).t(BANNER, name=chat.user.display_name) + "\n\n")
    await chat.welcome()
    lines = await read_lines(stdin)
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await lines.get()
        if line is None:
            return
        if line.strip():
            await chat.say(line)

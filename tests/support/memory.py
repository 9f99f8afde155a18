"""An in-memory chat for tests: what a supporter types in, what they would see out.

It renders replies as plain text, like the console, and remembers the buttons shown, so a test
reads like a conversation: `await chat.send("/sign")`, `await chat.press("Sign")`."""

from __future__ import annotations

from bot.core import (
    Attachment,
    Button,
    ChatRef,
    Incoming,
    Reply,
    UserRef,
    button_incoming,
    parse_command,
)
from bot.dispatch import Dispatcher


class MemoryChat:
    def __init__(self, bot: Dispatcher, platform: str = "telegram", user_id: str = "1001",
                 name: str = "Ada Lovelace", chat_id: str | None = None,
                 role_ids: tuple[str, ...] = (), can_manage_chat: bool = False,
                 locale: str = ""):
        self.bot = bot
        self.locale = locale  # the language the person's app reports ("es", "es-419", "")
        self.user = UserRef(platform, user_id, name)
        self.chat = ChatRef(platform, chat_id or user_id, is_direct=chat_id is None)
        self.role_ids = role_ids
        self.can_manage_chat = can_manage_chat
        self.replies: list[Reply] = []
        self.buttons: list[Button] = []

    async def send(self, text: str) -> str:
        parsed = parse_command(text)
        if parsed:
            incoming = Incoming("command", self.user, self.chat, name=parsed[0], args=parsed[1],
                                role_ids=self.role_ids, can_manage_chat=self.can_manage_chat,
                                locale=self.locale)
        else:
            incoming = Incoming("text", self.user, self.chat, args=text, role_ids=self.role_ids,
                                can_manage_chat=self.can_manage_chat, locale=self.locale)
        return await self._deliver(incoming)

    async def press(self, label: str) -> str:
        """Press a button shown in the last replies, by its label (or a unique prefix)."""
        matches = [b for b in self.buttons if b.label == label] or [
            b for b in self.buttons if b.label.startswith(label)]
        if len(matches) != 1:
            shown = [b.label for b in self.buttons]
            raise AssertionError(f"no single button {label!r} among {shown}")
        return await self.press_data(matches[0].data)

    async def press_data(self, data: str) -> str:
        """Send raw button data, as a client could, tampered or stale."""
        return await self._deliver(button_incoming(self.user, self.chat, data, self.role_ids,
                                                   self.can_manage_chat, self.locale))

    async def _deliver(self, incoming: Incoming) -> str:
        self.replies = [r for r in await self.bot.handle(incoming) if isinstance(r, Reply)]
        shown = [b for r in self.replies for row in r.buttons for b in row]
        if shown:
            self.buttons = shown
        return "\n\n".join(r.plain_text() for r in self.replies)

    @property
    def attachments(self) -> list[Attachment]:
        """The files the last answer carried, in order."""
        return [a for r in self.replies for a in r.attachments]

    @property
    def edited(self) -> bool:
        """Whether the last answer replaced the message the pressed button sat on."""
        return bool(self.replies) and all(r.edit for r in self.replies)

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buttons]

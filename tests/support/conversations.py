"""A supporter's conversations with the bot through the in-memory chat, written once."""

from __future__ import annotations

from tests.support.memory import MemoryChat

SIGNED = "You are signature #"


def shown(chat: MemoryChat) -> list[str]:
    """The button labels of the latest reply only (MemoryChat.labels keeps older ones)."""
    return [b.label for r in chat.replies for row in r.buttons for b in row]


async def sign_up(chat: MemoryChat, name: str = "Ada Lovelace", email: str | None = None,
                  postcode: str | None = None, updates: bool = False) -> str:
    """The whole /sign conversation: type what is given, skip what isn't. Returns the last reply,
    which must say the signature counted."""
    await chat.send("/sign")
    await chat.send(name)
    await (chat.send(email) if email else chat.press("Skip"))
    await (chat.send(postcode) if postcode else chat.press("Skip"))
    reply = await chat.press("Sign and keep me updated" if updates else "Sign")
    assert SIGNED in reply, reply
    return reply

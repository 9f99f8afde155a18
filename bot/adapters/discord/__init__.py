"""The Discord front end (discord.py): adapter.py runs the client and delivers, interactions.py
takes commands, buttons and modal submits to the core, replies.py answers them, commands.py builds
and syncs slash commands, render.py and views.py turn a Reply into messages and components,
roles.py remembers server roles for moderators acting in DMs, capabilities.py tells the core what
Discord can do.

DiscordAdapter is imported on first use, not with the package: app.py reads capabilities.py of
every platform at start, and that must not load discord.py where Discord is not configured."""

from __future__ import annotations

from typing import Any

__all__ = ["DiscordAdapter"]


def __getattr__(name: str) -> Any:
    if name == "DiscordAdapter":
        from .adapter import DiscordAdapter

        return DiscordAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The Discord front end (discord.py): adapter.py runs the client and delivers, interactions.py
takes commands, buttons and modal submits to the core, replies.py answers them, commands.py builds
and syncs slash commands, render.py and views.py turn a Reply into messages and components,
roles.py remembers server roles for moderators acting in DMs."""

from .adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]

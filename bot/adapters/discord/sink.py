"""What discord.py's callbacks may ask of the adapter, declared once, below every module that
calls it.

discord.py calls a slash command's callback (commands.py) and a button's (views.py) with only
the interaction; they reach the adapter through the client it came to (adapter.CampaignClient,
whose `adapter` attribute is the DiscordAdapter). Typing that against this Protocol, not against
DiscordAdapter, keeps commands.py and views.py from importing adapter.py, which imports them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import discord

from ...core import ChatRef


class InteractionSink(Protocol):
    """The entry points of interactions.InteractionHandler that the callbacks use."""

    async def on_command(self, interaction: discord.Interaction, name: str, args: str = "",
                         chat: ChatRef | None = None, personal: bool | None = None) -> None: ...

    async def on_button(self, interaction: discord.Interaction, custom_id: str) -> None: ...

    async def on_modal_submit(self, interaction: discord.Interaction) -> None: ...

    def manages_server(self, interaction: discord.Interaction) -> bool: ...


@runtime_checkable
class SinkClient(Protocol):
    adapter: InteractionSink


def sink_of(interaction: discord.Interaction) -> InteractionSink:
    """The adapter behind the client an interaction came to."""
    client = interaction.client
    if not isinstance(client, SinkClient):  # only a CampaignClient registers our callbacks
        raise TypeError(f"{type(client).__name__} carries no adapter")
    return client.adapter

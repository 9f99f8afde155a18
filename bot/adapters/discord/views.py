"""discord.ui objects for rendered messages and forms: persistent buttons and modals.

Every button the bot sends carries a core Button's data as its custom_id, and one DynamicItem
whose template matches any custom_id answers them all. Nothing is kept in memory per message,
so a button keeps working after a restart (discord.py rebuilds the item from the custom_id),
and whatever a client sends back is decoded and re-checked by the core, never trusted.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from .render import ButtonSpec, ModalSpec, Rows
from .sink import sink_of

# Buttons the adapter adds itself, beside the core's own: open the modal of form <id>. "$" is
# no core action name (those are Python-style words), so the two never meet.
OPEN_FORM = "$modal"
# A modal's custom_id: the submit arrives as a new interaction that names only this id.
MODAL_PREFIX = "$form:"


class CoreButton(discord.ui.DynamicItem[discord.ui.Button], template=re.compile(r"(?s).{1,100}")):
    """Any button of ours. discord.py builds one per press from the pressed custom_id."""

    def __init__(self, custom_id: str, label: str = "…", row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id,
                                           style=discord.ButtonStyle.secondary), row=row)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> CoreButton:
        return cls(match.string, getattr(item, "label", None) or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        await sink_of(interaction).on_button(interaction, self.custom_id)


def build_view(rows: Rows) -> discord.ui.View | None:
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for spec in row:
            view.add_item(_item(spec, index))
    # A stopped view is not stored by discord.py: the DynamicItem answers presses, so keeping
    # one View (and, for ephemeral messages, a 15-minute timer) per message would only leak.
    view.stop()
    return view


def _item(spec: ButtonSpec, row: int) -> discord.ui.Item[Any]:
    if spec.url is not None:
        return discord.ui.Button(label=spec.label, url=spec.url, row=row)
    assert spec.custom_id is not None
    return CoreButton(spec.custom_id, spec.label, row=row)


def build_modal(spec: ModalSpec) -> discord.ui.Modal:
    modal = discord.ui.Modal(title=spec.title, custom_id=spec.custom_id, timeout=None)
    for field in spec.inputs:
        modal.add_item(discord.ui.TextInput(
            label=field.label, custom_id=field.custom_id, placeholder=field.placeholder or None,
            required=field.required, max_length=field.max_length, default=field.default,
            style=discord.TextStyle.paragraph if field.paragraph else discord.TextStyle.short,
        ))
    # Not stored either: the adapter answers every submit from its custom_id (on_interaction),
    # so a modal opened before a restart still submits, and two people who open the same form
    # at once do not overwrite each other (discord.py keys stored modals by custom_id only).
    modal.stop()
    return modal


def modal_values(data: dict[str, Any] | None) -> dict[str, str]:
    """{custom_id: value} of a modal submit's text inputs (rows, or the newer labels)."""
    values: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 1:
                walk(component.get("components", []))
            elif component.get("type") == 18 and "component" in component:
                walk([component["component"]])
            elif component.get("type") == 4 and isinstance(component.get("custom_id"), str):
                value = component.get("value")
                values[component["custom_id"]] = value if isinstance(value, str) else ""

    walk((data or {}).get("components", []))
    return values

"""The core's answer -> interaction responses: which response, what visibility, follow-ups.

Discord's rules that shape this module:
- An interaction gets exactly one first response (a second is refused with 40060): a message,
  an update of the message the button is on, a modal, or a defer; everything after it is a
  follow-up or an edit of the original.
- A modal can only be that first response, and a modal's submit cannot answer with another.
- After a "thinking…" defer, the first follow-up fills the deferred message and keeps the
  visibility chosen at defer time, whatever flags it asks for. So the deferred message is filled
  explicitly (edit_original_response) with an answer of the same visibility, and a public
  deferred message never receives a private answer.
In a server, `ephemeral` messages are seen only by the person; in DMs nothing is ephemeral.
Files go with a message as uploads (discord.File), ephemeral like the text; one that Discord
would refuse (over 10 MiB a message) is left out and named instead (Capabilities.fitted).
An answer meant to replace the pressed list (Reply.edit) does so where the message is the
person's own: in DMs, or ephemeral in a server (a public one in a server is the channel's).
"""

from __future__ import annotations

import io
import logging
from typing import Any, Awaitable, Callable

import discord

from ...core import Attachment, Button, Form, FormRequest, Outgoing, Reply
from ...i18n import N_, Translator
from ...text import capitalized
from .capabilities import CAPABILITIES
from .render import Message, modal_spec, render_reply
from .views import MODAL_PREFIX, OPEN_FORM, build_modal, build_view

log = logging.getLogger(__name__)

FILL_IN = N_("Fill in the {title}")
ANSWERED_PRIVATELY = N_("(Answered privately.)")
DONE = N_("Done.")

FormBuilder = Callable[[str], Form | None]  # form id -> the form, built for the person


async def send_answer(interaction: discord.Interaction, out: list[Outgoing],
                      build_form: FormBuilder, tr: Translator, *, personal: bool,
                      in_place: bool, deferred: bool) -> None:
    """Send what the core answered; `tr`: the words the adapter adds itself. `personal`: for
    this person only (ephemeral in a server); `in_place`: replace the (ephemeral) message the
    button is on; `deferred`: the first response is already a defer."""
    in_guild = interaction.guild_id is not None
    pressed = interaction.message
    if (not deferred and out and isinstance(out[0], Reply) and out[0].edit
            and pressed is not None and not in_guild):
        in_place = True  # the bot's own message in a DM: update it (UPDATE_MESSAGE)
    if not deferred and len(out) == 1 and isinstance(out[0], FormRequest):
        form = build_form(out[0].form_id)
        if form is not None:
            await open_modal(interaction, form)
            return
    messages: list[tuple[Message, bool]] = []
    for item in out:
        if isinstance(item, Reply):
            ephemeral = in_guild and (personal or item.private)
            messages += [(m, ephemeral) for m in render_reply(CAPABILITIES.fitted(item, tr))]
        elif (form := build_form(item.form_id)) is not None:
            # No modal possible here: a button that opens one, under the previous message.
            button = Button(tr.t(FILL_IN, title=form.title), OPEN_FORM, (form.id,))
            last = messages[-1] if messages else None
            if last is not None and len(last[0].rows) < 5:
                rows = render_reply(Reply.of("", buttons=[[button]]))[0].rows
                messages[-1] = (Message(last[0].content, last[0].rows + rows), last[1])
            else:
                title = capitalized(form.title)
                messages += [(m, in_guild) for m in
                             render_reply(Reply.of(title, buttons=[[button]]))]
    if not messages:  # Discord needs an answer to every interaction
        messages = [(Message(tr.t(DONE)), in_guild)]
    await send_messages(interaction, messages, personal=personal, in_place=in_place,
                        deferred=deferred, placeholder=tr.t(ANSWERED_PRIVATELY))


async def open_modal(interaction: discord.Interaction, form: Form,
                     typed: dict[str, str] | None = None) -> None:
    modal = build_modal(modal_spec(form, MODAL_PREFIX + form.id, typed))
    try:
        await interaction.response.send_modal(modal)
    except discord.HTTPException as exc:
        log.warning("opening a modal failed: %s %s", exc.status, exc.code)


async def send_messages(interaction: discord.Interaction, messages: list[tuple[Message, bool]],
                        *, personal: bool, in_place: bool, deferred: bool,
                        placeholder: str = ANSWERED_PRIVATELY) -> None:
    """(message, ephemeral) pairs, in order: the first as the first response (or into the
    deferred message), the rest as follow-ups. `placeholder`: a public deferred message's
    text when every answer is private."""
    messages = list(messages)
    if in_place or not deferred:
        first = messages.pop(0)
    else:
        match = next((m for m in messages if m[1] == personal), None)
        if match is None and personal:
            match = messages[0]  # shown to fewer people than meant: never to more
        if match is not None:
            messages.remove(match)
        # A public "thinking…" with only private answers: a placeholder there, and the
        # answers follow as ephemeral messages.
        first = match or (Message(placeholder), False)
    if deferred:
        await _call(interaction.edit_original_response, first[0], edit=True)
    elif in_place:
        await _call(interaction.response.edit_message, first[0], edit=True)
    else:
        await _call(interaction.response.send_message, first[0], ephemeral=first[1])
    for message, ephemeral in messages:
        await _call(interaction.followup.send, message, ephemeral=ephemeral)


async def _call(send: Callable[..., Awaitable[Any]], message: Message, *, edit: bool = False,
                ephemeral: bool | None = None) -> None:
    kwargs: dict[str, Any] = {"content": message.content}
    view = build_view(message.rows)
    if view is not None or edit:
        kwargs["view"] = view  # None on an edit removes the old buttons
    if message.files:  # an edit names its files `attachments` (they replace the old ones)
        kwargs["attachments" if edit else "files"] = uploads(message.files)
    if ephemeral is not None:
        kwargs["ephemeral"] = ephemeral
    try:
        await send(**kwargs)
    except discord.HTTPException as exc:
        # Logged without content: the write already happened; the person can ask again.
        log.warning("an interaction reply failed: %s %s", exc.status, exc.code)


def uploads(files: tuple[Attachment, ...]) -> list[discord.File]:
    """Fresh discord.File objects: discord.py closes each one once it is sent."""
    return [discord.File(io.BytesIO(f.data), filename=f.filename) for f in files]

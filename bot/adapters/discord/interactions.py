"""Slash commands, button presses and modal submits -> the core (replies.py sends its
answer).

Discord's rules that shape this module:
- The first response to an interaction must reach Discord within 3 seconds, or the interaction
  is gone (10062 "Unknown interaction"). The core runs as a task; if it is not done within
  `ack_budget` we defer and follow up when it is. The task is shielded: however the reply
  fares, the write it does is never cancelled.
- After a defer, the first follow-up takes the deferred message's visibility (ephemeral or
  not is fixed at defer time), so the defer says "ephemeral" whenever the answer may be
  personal, and a public defer is never filled with something private.
- A modal can only be the first response, so a form opens at once from a button, with no
  database work before it (a moderator form checks rights first: from memory, or a lookup
  bounded by ack_budget when a DM carries no roles; see roles.py).
Everything personal is ephemeral in a server; in the bot's DMs nothing is (ephemeral DM
messages vanish when the app reloads, and nobody else is there).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable

import discord

from ... import forms, i18n
from ...core import (
    Button,
    ChatRef,
    Form,
    Incoming,
    Outgoing,
    Reply,
    UserRef,
    button_incoming,
    decode_button,
)
from ...dispatch import Dispatcher, log_failure
from ...i18n import N_
from ...routing import APOLOGY, REFUSED
from ...sender import DMS_CLOSED
from .capabilities import CAPABILITIES, PLATFORM
from .modals import TypedMemory, has_problems
from .render import Message
from .replies import FormBuilder, open_modal, send_answer, send_messages
from .roles import RoleMemory
from .views import MODAL_PREFIX, OPEN_FORM, modal_values

log = logging.getLogger(__name__)

# Seconds of work before deferring. Discord's 3 s run from when it sent the event, so the
# gateway, our event loop and the response's own round trip come out of them too; and under a
# burst (200 people pressing at once) the database queue is what is slow. Deferring costs one
# small request (interaction responses are outside the global rate limit), so defer early:
# every press is acknowledged within about a second, and most get their answer directly.
ACK_BUDGET = 0.8

TRY_AGAIN = N_("Try again")
DMS_CLOSED_NOTICE = N_(
    "Your daily prompts are paused: Discord would not let me send you direct messages. "
    "To get them again, allow direct messages from members of this server (click the server "
    "name > Privacy Settings > Direct Messages), then send /subscribe. Or ask someone who "
    "manages the server to post them in a channel with /subscribe channel:#channel."
)
PAUSED = N_("Your daily prompts are paused. Send /subscribe to start them again.")

Work = Callable[[Incoming], Awaitable[list[Outgoing]]]


class InteractionHandler:
    """The interaction half of DiscordAdapter (which sets `bot` and `ack_budget`)."""

    bot: Dispatcher
    ack_budget: float = ACK_BUDGET

    def __init__(self) -> None:
        # What someone typed into a modal that had problems, to refill it when they reopen it.
        self.typed = TypedMemory()
        # Server roles, for moderators who act in the bot's DMs (which carry none).
        self.roles = RoleMemory()

    def forget_typed(self, platform: str, user_id: str) -> None:
        """Dispatcher.forget_hooks: after /forget, nothing typed into a modal is kept to refill it,
        nor the roles remembered for the person."""
        if platform == PLATFORM:
            self.roles.forget(user_id)
            self.typed.forget(user_id)

    # Who and where --------------------------------------------------------------------------

    @staticmethod
    def user_ref(interaction: discord.Interaction) -> UserRef:
        return UserRef(PLATFORM, str(interaction.user.id), interaction.user.display_name)

    def role_ids(self, interaction: discord.Interaction) -> tuple[str, ...]:
        """As the interaction carries them; in a DM, those its person had lately in a server."""
        return self.roles.role_ids(interaction)

    @staticmethod
    def person_chat(interaction: discord.Interaction) -> ChatRef:
        """Where the core should think the conversation is: the person's own direct chat (its
        id is the user id, see DiscordAdapter.deliver), even for a command typed in a server
        channel. Answers there are ephemeral, so nothing is said to the channel, and what the
        core stores as "the chat" (a subscription's, an announcement author's) is their DMs,
        never a channel they happened to type in. Only an explicit channel option (/subscribe
        channel:#x) names a channel."""
        return ChatRef(PLATFORM, str(interaction.user.id), is_direct=True)

    @staticmethod
    def manages_server(interaction: discord.Interaction) -> bool:
        # interaction.permissions is computed by Discord for this member in this channel; Manage
        # Server is a server-wide permission, so it cannot be granted by a channel overwrite.
        if interaction.guild_id is None:
            return False
        permissions = interaction.permissions
        return permissions.manage_guild or permissions.administrator

    def said(self, interaction: discord.Interaction) -> i18n.Translator:
        """The words for what is said before (or without) the core: in the language of the
        person's Discord, as no database is read before a modal (see the module's notes)."""
        return i18n.translator(i18n.negotiate(str(interaction.locale), self.bot.config.languages))

    # Entry points ---------------------------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction, name: str, args: str = "",
                         chat: ChatRef | None = None, personal: bool | None = None) -> None:
        """`personal`: the answer is for this person only (ephemeral in a server). By default
        that is what the dispatcher says: private and moderator commands."""
        incoming = Incoming("command", self.user_ref(interaction),
                            chat or self.person_chat(interaction), name=name, args=args,
                            role_ids=self.role_ids(interaction),
                            can_manage_chat=self.manages_server(interaction),
                            locale=str(interaction.locale),
                            in_group=interaction.guild_id is not None)
        if personal is None:
            command = self.bot.commands.get(name)
            personal = command is None or command.private or command.moderator
        await self.answer(interaction, incoming,
                          personal=personal and interaction.guild_id is not None)

    async def on_button(self, interaction: discord.Interaction, custom_id: str) -> None:
        try:
            action, payload = decode_button(custom_id)
        except ValueError:
            action, payload = "", ()
        if action == OPEN_FORM and len(payload) == 1 and payload[0] in self.bot.forms:
            await self.open_form(interaction, payload[0])
            return
        in_guild = interaction.guild_id is not None
        message = interaction.message
        ephemeral = message is not None and message.flags.ephemeral
        # A button under a public message in a channel (the channel's daily post, a shared
        # /rsvp list) belongs to that channel: "Stop daily prompts" there stops the channel's
        # post, for those who manage the server. Anywhere else it is the presser's own.
        chat = (ChatRef(PLATFORM, str(interaction.channel_id), is_direct=False)
                if in_guild and message is not None and not ephemeral
                else self.person_chat(interaction))
        incoming = replace(
            button_incoming(self.user_ref(interaction), chat, custom_id,
                            self.role_ids(interaction), locale=str(interaction.locale)),
            can_manage_chat=self.manages_server(interaction))
        # An ephemeral message is this person's alone: answer by updating it in place. A public
        # message is shared, so the presser gets their own (ephemeral) answer instead.
        in_place = in_guild and ephemeral
        await self.answer(interaction, incoming, personal=in_guild, in_place=in_place)

    async def on_modal_submit(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = data.get("custom_id", "")
        if not isinstance(custom_id, str) or not custom_id.startswith(MODAL_PREFIX):
            return
        form_id = custom_id[len(MODAL_PREFIX):]
        raw = modal_values(data)
        user = self.user_ref(interaction)
        incoming = Incoming("action", user, self.person_chat(interaction), name=OPEN_FORM,
                            payload=(form_id,), role_ids=self.role_ids(interaction),
                            locale=str(interaction.locale))

        async def work(incoming: Incoming) -> list[Outgoing]:
            # A modal submit reaches the core without Dispatcher.handle, so the per-person limit is
            # asked here; Discord must answer every event, so the notice comes every time.
            slowed = self.bot.flood.answer(incoming, self.bot.clock.now(),
                                           moderator=self.bot.is_moderator(incoming),
                                           answer_every=True)
            if slowed is not None:
                return list(slowed)
            ctx = self.bot.context(incoming, await i18n.language_for(
                self.bot.store, self.bot.config.languages, incoming))
            spec = self.bot.forms.get(form_id)
            # Nothing typed into a form this person may not submit is kept to refill it.
            problems = (spec is not None and forms.allowed(ctx, spec)
                        and has_problems(spec.build(ctx), raw))
            out = await forms.submit_all(ctx, form_id, raw)
            self.typed.keep(user.id, form_id, raw if problems else None)
            if not problems:
                return out
            again = Button(ctx.t(TRY_AGAIN), OPEN_FORM, (form_id,))
            return [Reply(r.body, (*r.buttons, (again,)), True) if isinstance(r, Reply) else r
                    for r in out]

        await self.answer(interaction, incoming, personal=interaction.guild_id is not None,
                          work=work)

    async def open_form(self, interaction: discord.Interaction, form_id: str) -> None:
        """Discord: a modal must be the first response, so nothing slow happens before it."""
        spec = self.bot.forms.get(form_id)
        if spec is not None and spec.moderator:  # refused before it opens, not at its submit
            incoming = Incoming("action", self.user_ref(interaction),
                                self.person_chat(interaction), name=OPEN_FORM,
                                payload=(form_id,), role_ids=self.role_ids(interaction),
                                locale=str(interaction.locale))
            incoming = await self.roles.with_rights(self.bot, interaction, incoming,
                                                    timeout=self.ack_budget)
            if not self.bot.is_moderator(incoming):
                log.warning("refused moderator form %s on %s", form_id, PLATFORM)
                visible = interaction.guild_id is not None
                refused = Message(self.said(interaction).t(REFUSED, name=spec.command))
                await send_messages(interaction, [(refused, visible)], personal=visible,
                                    in_place=False, deferred=False)
                return
        form = self.form_builder(interaction)(form_id)
        if form is None:  # apologise: never leave a press unanswered
            visible = interaction.guild_id is not None
            await send_messages(interaction, [(Message(self.said(interaction).t(APOLOGY)),
                                               visible)], personal=visible,
                                in_place=False, deferred=False)
            return
        typed = self.typed.get(str(interaction.user.id), form_id)
        await open_modal(interaction, form, typed)

    # Answering ------------------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction, incoming: Incoming, *,
                     personal: bool, in_place: bool = False, work: Work | None = None) -> None:
        async def run() -> list[Outgoing]:
            # A DM carries no roles: looked up here, where a slow answer is deferred.
            checked = await self.roles.with_rights(self.bot, interaction, incoming)
            notice = await self.pause_notice(incoming)
            if work is not None:
                out = await work(checked)
            else:
                out = await self.bot.handle(checked, modal=CAPABILITIES.modals,
                                            ephemeral=CAPABILITIES.ephemeral)
            # After the answer: it must not take the place of an updated message or of the
            # deferred "thinking…" one.
            return list(out) + ([notice] if notice else [])

        task = asyncio.create_task(run())
        await asyncio.wait({task}, timeout=self.ack_budget)
        deferred = not task.done()
        if deferred:
            try:
                if in_place:
                    await interaction.response.defer()  # 6: update the message later
                else:  # 5: "thinking…", visible to whoever will see the answer
                    await interaction.response.defer(ephemeral=personal, thinking=True)
            except discord.HTTPException as exc:
                log.warning("deferring an interaction failed: %s %s", exc.status, exc.code)
        try:
            out = await asyncio.shield(task)  # a reply that fails or is cancelled loses no write
        except Exception as exc:
            log_failure(incoming, exc)
            out = [Reply.of(self.said(interaction).t(APOLOGY), private=True)]
        await send_answer(interaction, out, self.form_builder(interaction), self.said(interaction),
                          personal=personal, in_place=in_place, deferred=deferred)

    async def pause_notice(self, incoming: Incoming) -> Reply | None:
        """Tell someone once, privately, in their language, why their prompts stopped (DMs
        closed since)."""
        store, user_id = self.bot.store, incoming.user.id
        subscription = await store.subscription_of(PLATFORM, user_id)
        if subscription is None or subscription.active:  # a read, so most people cost no write
            return None
        reason = await store.take_pause_notice(PLATFORM, user_id)
        if reason is None:
            return None
        tr = i18n.translator(await i18n.language_for(store, self.bot.config.languages, incoming))
        return Reply.of(tr.t(DMS_CLOSED_NOTICE if reason == DMS_CLOSED else PAUSED),
                        private=True)

    def form_builder(self, interaction: discord.Interaction) -> FormBuilder:
        """form id -> that form, built for this person (None if there is no such form)."""
        def build(form_id: str) -> Form | None:
            spec = self.bot.forms.get(form_id)
            if spec is None:
                return None
            incoming = Incoming("action", self.user_ref(interaction),
                                self.person_chat(interaction), name=OPEN_FORM, payload=(form_id,),
                                role_ids=self.role_ids(interaction),
                                locale=str(interaction.locale))
            try:
                return spec.build(self.bot.context(incoming))
            except Exception as exc:  # a handler bug: no form, never an unanswered press
                log_failure(incoming, exc)
                return None

        return build

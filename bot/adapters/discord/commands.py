"""Slash commands built from the dispatcher's commands, and syncing them only when they changed.

Names and one-line descriptions come from the handlers. Commands that take an argument get
options here, since the dispatcher only knows "the text after the command"; each option's value
is handed to the core as that text. Moderator commands carry default_member_permissions
(Manage Server) as a hint only: server admins can change who sees a command in Server Settings >
Integrations, so the core re-checks [moderators] on every call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable, Optional

import discord
from discord import app_commands
from discord.app_commands import locale_str

from ... import i18n
from ...core import ChatRef
from ...dispatch import Dispatcher
from ...handlers import SETTINGS_CHOICES
from ...i18n import N_
from ...routing import APOLOGY
from ...text import shorten
from .capabilities import PLATFORM
from .sink import sink_of

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 100
NAME_LIMIT = 100  # a choice's name (command and option names are never localized)
HASH_KEY, TARGETS_KEY = "commands_hash", "commands_targets"
GLOBAL = "global"

Callback = Callable[..., Any]

# Option descriptions and /settings choice names, localized at sync (CatalogTranslator); the
# option names and choice values stay English: they are what reaches the core.
TOPIC = N_("Open one thing directly, e.g. sign or rsvp")
KEY = N_("What to change")
VALUE = N_("The new value, e.g. Europe/London, 08:30 or es (leave it out to be asked)")
CHANNEL = N_("A channel of this server for the daily post (needs Manage Server); leave it out "
             "for your own DMs")
CODE = N_("The invite code of the person who invited you (optional)")
PANEL_ACTION = N_("Leave it out to post the campaign panel in this channel; remove takes it down")
CHOICE_NAMES = {"timezone": N_("timezone"), "time": N_("time"), "language": N_("language"),
                "invites": N_("invites")}


def _plain(name: str) -> Callback:
    async def callback(interaction: discord.Interaction) -> None:
        await sink_of(interaction).on_command(interaction, name)

    return callback


def _topic(name: str) -> Callback:
    @app_commands.describe(topic=locale_str(TOPIC))
    async def callback(interaction: discord.Interaction, topic: Optional[str] = None) -> None:
        await sink_of(interaction).on_command(interaction, name, args=topic or "")

    return callback


def _settings(name: str) -> Callback:
    # The choices are the handlers' one list of settings words (SETTINGS_CHOICES), each shown
    # as itself: the option Discord had when they were written here as a Literal. `key` stays
    # a plain str, so its value reaches the core as typed, as a Literal's did (a Choice[str]
    # would refuse a value outside the list before the core could answer it).
    @app_commands.describe(key=locale_str(KEY), value=locale_str(VALUE))
    @app_commands.choices(key=[app_commands.Choice(name=locale_str(CHOICE_NAMES.get(word, word)),
                                                   value=word) for word in SETTINGS_CHOICES])
    async def callback(interaction: discord.Interaction, key: Optional[str] = None,
                       value: Optional[str] = None) -> None:
        args = " ".join(part for part in (key, value) if part)
        await sink_of(interaction).on_command(interaction, name, args=args)

    return callback


def _channel(name: str) -> Callback:
    # Discord: /subscribe without a channel is the person's own daily prompt, sent by DM (the
    # core sees a direct chat, whichever channel the command was typed in); with a channel,
    # that channel's daily post, which only members with Manage Server may change. That one
    # command serves both, and nobody has to find the bot's DMs to subscribe themselves.
    @app_commands.describe(channel=locale_str(CHANNEL))
    async def callback(interaction: discord.Interaction,
                       channel: Optional[discord.TextChannel] = None) -> None:
        adapter = sink_of(interaction)
        if channel is None:  # the person's own subscription: their business only
            await adapter.on_command(interaction, name, personal=True)
            return
        # The channel's subscription: said in the channel when a manager does it; a refusal
        # goes only to the person who tried.
        chat = ChatRef(PLATFORM, str(channel.id), is_direct=False)
        await adapter.on_command(interaction, name, chat=chat,
                                 personal=not adapter.manages_server(interaction))

    return callback


class CommandTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction,
                       error: app_commands.AppCommandError, /) -> None:
        """Never leave a command unanswered (Discord shows "The application did not respond")."""
        if isinstance(error, app_commands.CommandNotFound):
            # Still listed in someone's client (a command removed since, a sync that failed):
            # the core answers that it does not know it.
            await sink_of(interaction).on_command(interaction, error.name)
            return
        log.error("slash command /%s failed: %s", getattr(interaction.command, "name", "?"),
                  type(error).__name__)
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(APOLOGY, ephemeral=True)
            except discord.HTTPException:
                pass


def _code(name: str) -> Callback:
    # /sign code:<code>: someone's invite code, which reaches the core as the command's args.
    @app_commands.describe(code=locale_str(CODE))
    async def callback(interaction: discord.Interaction, code: Optional[str] = None) -> None:
        await sink_of(interaction).on_command(interaction, name, args=code or "")

    return callback


def _here(name: str) -> Callback:
    # /panel acts on the channel it is typed in (the core sees that channel, not the person's
    # DMs); what it answers is for the moderator alone.
    @app_commands.describe(action=locale_str(PANEL_ACTION))
    @app_commands.choices(action=[app_commands.Choice(name="remove", value="remove")])
    async def callback(interaction: discord.Interaction, action: Optional[str] = None) -> None:
        chat = ChatRef(PLATFORM, str(interaction.channel_id), is_direct=False)
        await sink_of(interaction).on_command(interaction, name, args=action or "", chat=chat,
                                              personal=True)

    return callback


OPTIONS: dict[str, Callable[[str], Callback]] = {
    "start": _topic,
    "sign": _code,
    "settings": _settings,
    "subscribe": _channel,
    "unsubscribe": _channel,
    "panel": _here,
}


def build_commands(bot: Dispatcher) -> list[app_commands.Command]:
    everywhere = app_commands.AppCommandContext(guild=True, dm_channel=True)
    servers_only = app_commands.AppCommandContext(guild=True)
    installs = app_commands.AppInstallationType(guild=True)
    commands = []
    for command in bot.commands.values():
        factory = OPTIONS.get(command.name, _plain)
        slash = app_commands.Command(
            name=command.name,
            # The docstring's line is the msgid; Discord gets at most 100 characters of it.
            description=locale_str(shorten(" ".join((command.description or command.name)
                                                    .split()), DESCRIPTION_LIMIT),
                                   msgid=command.description),
            callback=factory(command.name),
            allowed_contexts=servers_only if command.moderator else everywhere,
            allowed_installs=installs,
        )
        if command.moderator:
            # A hint: only people with Manage Server see it by default. Not a check.
            slash.default_permissions = discord.Permissions(manage_guild=True)
            slash.guild_only = True
        commands.append(slash)
    return commands


class CatalogTranslator(app_commands.Translator):
    """Descriptions and choice names for the Discord locales of the configured languages
    (es-ES and es-419 for "es"), from the gettext catalogs. None (Discord shows the English)
    for a locale of no configured language, or a string the catalog does not translate."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages

    async def translate(self, string: locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContext) -> str | None:
        lang = i18n.negotiate(locale.value, self.languages)
        if lang.split("_")[0].lower() != locale.value.split("-")[0].lower():
            return None  # negotiate fell back to the default: not this locale's language
        msgid = string.extras.get("msgid", string.message)
        text = i18n.translator(lang).t(msgid)
        if text == msgid:
            return None
        limit = DESCRIPTION_LIMIT if "description" in context.location.name else NAME_LIMIT
        return shorten(" ".join(text.split()), limit)


def payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """The commands as Discord takes them, without localizations."""
    return sorted((c.to_dict(tree) for c in tree.get_commands()), key=lambda c: c["name"])


async def localized(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """The commands with their localizations (the tree's translator), as synced and hashed:
    a catalog change re-syncs once, an unchanged one does not."""
    translator = tree.translator
    if translator is None:
        return payload(tree)
    return sorted([await c.get_translated_payload(tree, translator)
                   for c in tree.get_commands()], key=lambda c: c["name"])


def digest(application_id: int | None, commands: list[dict[str, Any]],
           targets: list[str]) -> str:
    text = json.dumps({"application": application_id, "commands": commands, "targets": targets},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def sync(client: discord.Client, tree: app_commands.CommandTree, bot: Dispatcher) -> bool:
    """Overwrite the commands at Discord if they (or where they go) changed since the last
    sync; True if it synced. Discord rate-limits command updates, and a bulk overwrite on every
    restart would also reset the command list in every client for nothing."""
    store, guild_ids = bot.store, bot.config.discord.guild_ids
    if tree.translator is None:
        await tree.set_translator(CatalogTranslator(bot.config.languages))
    commands = await localized(tree)
    targets = [str(g) for g in guild_ids] or [GLOBAL]
    wanted = digest(client.application_id, commands, targets)
    if await store.platform_state(PLATFORM, HASH_KEY) == wanted:
        log.info("slash commands unchanged: not syncing")
        return False
    previous = json.loads(await store.platform_state(PLATFORM, TARGETS_KEY) or "[]")
    app_id = client.application_id
    assert app_id is not None  # set by login, before setup_hook
    for target in targets:
        await _overwrite(client, app_id, target, commands)
    for target in previous:
        if target not in targets:  # e.g. from test servers to global: no duplicates left behind
            await _overwrite(client, app_id, target, [])
    await store.save_platform_state(PLATFORM, TARGETS_KEY, json.dumps(targets))
    await store.save_platform_state(PLATFORM, HASH_KEY, wanted)
    log.info("slash commands synced (%d commands, %s)", len(commands),
             "global" if targets == [GLOBAL] else f"{len(targets)} servers")
    return True


async def _overwrite(client: discord.Client, app_id: int, target: str,
                     commands: list[dict[str, Any]]) -> None:
    if target == GLOBAL:
        await client.http.bulk_upsert_global_commands(app_id, payload=commands)
    else:
        await client.http.bulk_upsert_guild_commands(app_id, int(target), payload=commands)

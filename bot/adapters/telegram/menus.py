"""What Telegram shows of the bot before anyone writes, in each configured language: the
command menu (supporter commands for everyone, all commands in each moderator's private chat)
and the bot's description and short description from `[telegram]` in the config.

Telegram picks a list by scope, then by the person's app language within it (the list without
a language_code last): so every scope gets one list per configured language and the default
language's list without a code. Its language_code is two letters (ISO 639-1): es_MX is sent
as "es", and a second configured variant of the same language is left out.
"""

from __future__ import annotations

import json
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from ... import i18n
from ...dispatch import Dispatcher
from ...text import shorten
from .updates import PLATFORM

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 256  # Telegram: BotCommand description
MENUS_KEY = "moderator_menus"


def language_codes(languages: tuple[str, ...]) -> list[tuple[str | None, str]]:
    """(Telegram's language_code, our language): the default without a code, then each
    configured language under its two-letter code, once per code."""
    codes: list[tuple[str | None, str]] = [(None, languages[0])]
    for lang in languages:
        code = lang.split("_")[0].lower()
        if all(code != known for known, _ in codes):
            codes.append((code, lang))
    return codes


class Menus:
    """Sets the menus and descriptions at start; a moderator whose private chat was not open
    yet gets theirs at their first message (`pending`)."""

    def __init__(self, bot: Dispatcher, api: Bot) -> None:
        self.bot, self.api = bot, api
        self.codes = language_codes(bot.config.languages)
        self.pending: set[int] = set()  # moderators whose private chat wasn't open yet

    def commands(self, moderator: bool, lang: str) -> list[BotCommand]:
        tr = i18n.translator(lang)
        return [BotCommand(name, shorten(tr.t(description) or name, MAX_DESCRIPTION))
                for name, description, _ in self.bot.help_lines(moderator)]

    async def set_all(self) -> None:
        """The menus of everyone and of each moderator (scopes of people no longer moderators
        are cleared), and the descriptions."""
        store = self.bot.store
        try:
            for code, lang in self.codes:
                await self.api.set_my_commands(self.commands(False, lang), language_code=code)
        except TelegramError as exc:
            log.warning("telegram: could not set the command menu: %s", type(exc).__name__)
        moderators = set(self.bot.config.moderators.telegram_user_ids)
        before = set(json.loads(await store.platform_state(PLATFORM, MENUS_KEY) or "[]"))
        for user_id in sorted(before - moderators):
            try:
                for code, _ in self.codes:
                    await self.api.delete_my_commands(scope=BotCommandScopeChat(user_id),
                                                      language_code=code)
            except TelegramError:
                pass  # the chat is gone: nothing to clear
        for user_id in sorted(moderators):
            await self.set_moderator(user_id)
        await store.save_platform_state(PLATFORM, MENUS_KEY, json.dumps(sorted(moderators)))
        await self.set_descriptions()

    async def set_moderator(self, user_id: int) -> None:
        try:
            for code, lang in self.codes:
                await self.api.set_my_commands(self.commands(True, lang), language_code=code,
                                               scope=BotCommandScopeChat(user_id))
            self.pending.discard(user_id)
        except TelegramError as exc:  # usually: they have not opened the bot yet
            log.info("telegram: moderator menu deferred until they message the bot (%s)",
                     type(exc).__name__)
            self.pending.add(user_id)

    async def set_descriptions(self) -> None:
        """The config's description and short description, per language; one left empty in
        the config is not touched (BotFather's stays)."""
        settings = self.bot.config.telegram
        try:
            for code, lang in self.codes:
                if settings.description:
                    await self.api.set_my_description(
                        i18n.translator(lang).text(settings.description), language_code=code)
                if settings.short_description:
                    await self.api.set_my_short_description(
                        i18n.translator(lang).text(settings.short_description),
                        language_code=code)
        except TelegramError as exc:
            log.warning("telegram: could not set the bot's description: %s",
                        type(exc).__name__)

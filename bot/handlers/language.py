"""The language a person is answered in: `/settings language es`, and the "Change language"
button of /settings, which asks with one button per configured language.

The choice is a question with buttons rather than a form: a form whose only field is a choice
would open an empty modal on Discord (modals hold text inputs only). Without a stored choice,
the person's app language decides (bot/i18n.py language_for).
"""

from __future__ import annotations

from ..core import Button, Reply
from ..i18n import N_, Problem, language_name, pick_language, translator
from ..routing import STALE, Context, Router

router = Router()

ACTION = "language"
LANGUAGE_LINE = N_("Language: {language}")
CHANGE_LANGUAGE = N_("Change language")
ASK_LANGUAGE = N_("Which language should I write to you in?")
UNKNOWN_LANGUAGE = N_("I don't speak “{value}”. Choose one of these: {languages}.")
# Said in the newly chosen language: {language} is its own name for itself ("español").
SAVED_LANGUAGE = N_("Done: from now on I'll write to you in {language}.")


def choose(ctx: Context, raw: str) -> str:
    """The configured language `raw` names (a code such as "es" or "es-MX", or a name such as
    "Español"); else a Problem listing the choices."""
    languages = ctx.config.languages
    code = pick_language(raw, languages)
    if code is None:
        raise Problem(UNKNOWN_LANGUAGE, value=raw.strip()[:40],
                      languages=", ".join(language_name(c) for c in languages))
    return code


def ask_language(ctx: Context) -> Reply:
    buttons = [Button(language_name(code), ACTION, (code,)) for code in ctx.config.languages]
    return Reply.of(ctx.t(ASK_LANGUAGE), buttons=[buttons], private=True)


async def set_language(ctx: Context, raw: str) -> Reply:
    """`/settings language [CODE]`: without a code, the question."""
    if not raw.strip():
        return ask_language(ctx)
    return await save_language(ctx, choose(ctx, raw))


async def save_language(ctx: Context, code: str) -> Reply:
    user = ctx.user
    await ctx.store.save_setting(user.platform, user.id, "language", code, ctx.now)
    said = translator(code)  # the answer is the first thing said in the new language
    return Reply.of(said.t(SAVED_LANGUAGE, language=language_name(code, in_sentence=True)),
                    private=True)


def language_line(ctx: Context) -> str:
    """The /settings line, when there is a choice to make (more than one language)."""
    if len(ctx.config.languages) < 2:
        return ""
    return "\n" + ctx.t(LANGUAGE_LINE, language=language_name(ctx.lang))


def language_buttons(ctx: Context) -> list[Button]:
    if len(ctx.config.languages) < 2:
        return []
    return [Button(ctx.t(CHANGE_LANGUAGE), "settings", (ACTION,))]


@router.action(ACTION)
async def chosen(ctx: Context):
    payload = ctx.incoming.payload
    if len(payload) != 1 or payload[0] not in ctx.config.languages:
        return Reply.of(ctx.t(STALE), private=True)
    return await save_language(ctx, payload[0])

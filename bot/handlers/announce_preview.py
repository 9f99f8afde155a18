"""/announce, the first steps: the preview as it will arrive, each platform's length checked,
the offer of a version per configured language other than the default, and the audience
question. (bot/handlers/announce.py routes the buttons; announce_confirm.py the rest.)

Versions are optional: the text typed first is the default language's, which everyone gets who
has no version in their /settings language. The audience buttons come with the first preview,
so choosing who gets it skips the offer: a moderator who ignores it announces as before.
"""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale

from ..core import Button, Field, Form, Plain, Reply
from ..i18n import N_, Problem
from ..routing import Context

PREVIEW = N_("Preview: this is exactly how it will arrive here.")
FITS = N_("{platform}: {count} of {limit} characters ✓")
TOO_LONG = N_("{platform}: {count} characters, over the limit of {limit}. Shorten it by "
              "{over} and send /announce again.")
VERSION_TOO_LONG = N_("{platform}: {count} characters, over the limit of {limit}. Shorten it by "
                      "{over} and send it again.")
WHO = N_("Who should get it?")
AUDIENCES = {
    "everyone": N_("Everyone who subscribed or asked for updates"),
    "event": N_("People coming to one event"),
    "chats": N_("Subscribed channels and groups"),
}
EVERYONE_COUNT = N_("Everyone who subscribed or asked for updates ({count})")
CHATS_COUNT = N_("Subscribed channels and groups ({count})")
CANCEL = N_("Cancel")
TEXT_TITLE, TEXT_LABEL = N_("announcement"), N_("Announcement")
TEXT_PROMPT = N_("What should the announcement say? Send the whole text in one message.")
# {language} is named in the moderator's language, as a sentence writes it ("Spanish").
ADD_VERSION = N_("Add the {language} version? Whoever reads {language} gets it instead of "
                 "this text; everyone else gets this text.")
ADD_VERSION_BUTTON = N_("Add the {language} version")
SKIP = N_("Skip")
VERSION_TITLE = N_("{language} version")
VERSION_PROMPT = N_("What should the {language} version say? Send the whole text in one "
                    "message.")
VERSION_PREVIEW = N_("Preview of the {language} version:")
VERSION_HEADING = N_("{language} version:")
NO_DRAFT_TO_ADD = N_("There is no announcement waiting for a version. Start with /announce.")


def announcement_reply(text: str) -> Reply:
    """What recipients get: the moderator's text as typed. Adapters escape it like any other
    text (plain URLs stay links, mentions never ping)."""
    return Reply((Plain(text),))


def platforms(ctx: Context) -> tuple[str, ...]:
    return tuple(ctx.bot.senders)


def limits(ctx: Context) -> list[tuple[str, int, Callable[[Reply], int]]]:
    """(platform, its limit, how it counts) for each platform a draft must fit: those that can
    send now, or, with none connected (the console), every platform the bot knows."""
    known = ctx.bot.capabilities
    return [(p, c.max_text, c.measure) for p in platforms(ctx) or tuple(known)
            if (c := known.get(p)) is not None and c.max_text is not None]


def language_called(ctx: Context, code: str) -> str:
    """A configured language as the moderator's language names it ("Spanish", "español")."""
    return Locale.parse(code).get_display_name(ctx.tr.locale) or code


def check(ctx: Context, text: str) -> tuple[list[str], bool]:
    """One line per platform: fits, or by how much it is over; and whether it fits them all."""
    body, tr = announcement_reply(text), ctx.tr
    lines, fits = [], True
    for platform, limit, measure in limits(ctx):
        count = measure(body)
        values = {"platform": platform.title(), "count": tr.number(count),
                  "limit": tr.number(limit)}
        if count > limit:
            fits = False
            lines.append(tr.t(TOO_LONG, over=tr.number(count - limit), **values))
        else:
            lines.append(tr.t(FITS, **values))
    return lines, fits


def extra_languages(ctx: Context) -> tuple[str, ...]:
    """The configured languages an announcement may add a version in: all but the default."""
    return ctx.config.languages[1:]


async def draft(ctx: Context, text: str) -> list[Reply]:
    user, chat = ctx.user, ctx.incoming.chat
    lines, fits = check(ctx, text)
    if not fits:  # refused here, not sent to 10,000 people to fail
        return [Reply.of("\n".join(lines), private=True)]
    announcement_id = await ctx.store.create_announcement(
        user.platform, user.id, user.display_name, chat.id, text, ctx.now)
    out = [Reply.of(ctx.t(PREVIEW), private=True), announcement_reply(text),
           await audience_question(ctx, announcement_id, lines)]
    if extra_languages(ctx):
        out.append(version_offer(ctx, announcement_id, extra_languages(ctx)[0]))
    return out


async def audience_question(ctx: Context, announcement_id: int, lines: list[str]) -> Reply:
    sizes = {key: await ctx.store.audience_size(key, None, platforms(ctx))
             for key in ("everyone", "chats")}
    key = str(announcement_id)
    number = ctx.tr.number
    buttons = [
        [Button(ctx.t(EVERYONE_COUNT, count=number(sum(sizes["everyone"].values()))), "ann",
                (key, "aud", "everyone"))],
        [Button(ctx.t(AUDIENCES["event"]), "ann", (key, "aud", "event"))],
        [Button(ctx.t(CHATS_COUNT, count=number(sum(sizes["chats"].values()))), "ann",
                (key, "aud", "chats"))],
        [Button(ctx.t(CANCEL), "ann", (key, "cancel"))],
    ]
    return Reply.of("\n".join(lines), "\n\n", ctx.t(WHO), buttons=buttons, private=True)


def version_offer(ctx: Context, announcement_id: int, code: str) -> Reply:
    """The step "Add the Spanish version?", with Skip."""
    language, key = language_called(ctx, code), str(announcement_id)
    buttons = [[Button(ctx.t(ADD_VERSION_BUTTON, language=language), "ann", (key, "ver", code)),
                Button(ctx.t(SKIP), "ann", (key, "skip", code))]]
    return Reply.of(ctx.t(ADD_VERSION, language=language), buttons=buttons, private=True)


async def after_version(ctx: Context, announcement_id: int, code: str) -> Reply:
    """The step after the `code` version was added or skipped: the next language's offer, or,
    after the last, the audience question with every version's length checked."""
    extra = extra_languages(ctx)
    later = extra[extra.index(code) + 1:] if code in extra else ()
    if later:
        return version_offer(ctx, announcement_id, later[0])
    a = await ctx.store.announcement(announcement_id)
    versions = await ctx.store.announcement_versions(announcement_id)
    if not versions:  # all skipped: as without versions
        return await audience_question(ctx, announcement_id, check(ctx, a.text)[0])
    lines: list[str] = []
    for lang, text in {ctx.config.languages[0]: a.text, **versions}.items():
        lines.append(ctx.t(VERSION_HEADING, language=language_called(ctx, lang)))
        lines += check(ctx, text)[0]
    return await audience_question(ctx, announcement_id, lines)


def version_form(code: str) -> Callable[[Context], Form]:
    def build(ctx: Context) -> Form:
        def fits(text: str) -> str:
            number = ctx.tr.number
            for platform, limit, measure in limits(ctx):  # the first it is too long for
                count = measure(announcement_reply(text))
                if count > limit:
                    raise Problem(VERSION_TOO_LONG, platform=platform.title(),
                                  count=number(count), limit=number(limit),
                                  over=number(count - limit))
            return text

        language = language_called(ctx, code)
        return Form(f"announce_{code}", ctx.t(VERSION_TITLE, language=language), (Field(
            "text", ctx.t(VERSION_TITLE, language=language),
            ctx.t(VERSION_PROMPT, language=language), max_length=4096, validate=fits),))

    return build


async def version_given(ctx: Context, code: str, text: str) -> list[Reply]:
    drafts = [a for a in await ctx.store.announcements_in(("draft",), limit=1000)
              if (a.author_platform, a.author_id) == (ctx.user.platform, ctx.user.id)]
    if not drafts or not await ctx.store.save_announcement_version(drafts[-1].id, code, text):
        return [Reply.of(ctx.t(NO_DRAFT_TO_ADD), private=True)]
    language = language_called(ctx, code)
    return [Reply.of(ctx.t(VERSION_PREVIEW, language=language), private=True),
            announcement_reply(text), await after_version(ctx, drafts[-1].id, code)]

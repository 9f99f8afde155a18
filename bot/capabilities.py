"""What a platform can do and how it counts: declared by its adapter, read by the core.

Each adapter package declares one `Capabilities` in a module that imports no platform library
(bot/adapters/telegram/capabilities.py, bot/adapters/discord/capabilities.py; the console's in
bot/adapters/console.py), so app.py gives the dispatcher every platform it knows at start, before
any front end connects: /announce checks a draft against each platform's limit even in the
console. The core (dispatch, flood, handlers, services) asks these for a platform's facts and
never names a platform itself, so a third platform is a new adapter package and a line in app.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .config import Config, Moderators
from .core import Attachment, Incoming, Plain, Reply
from .i18n import N_, Translator
from .pacing import Pacing

TOO_LARGE = N_("Too large to send here: {files}.")


def utf16_units(reply: Reply) -> int:
    """The reply's text in UTF-16 code units, as Telegram counts a message (after parsing its
    markup); the count a platform gets until its adapter registers an exact one."""
    return len(reply.plain_text().encode("utf-16-le")) // 2


def steady(config: Config) -> Pacing:
    """Pacing for a platform that declares none: a modest rate, no per-chat rules."""
    return Pacing(rate=5)


def nobody(incoming: Incoming, moderators: Moderators) -> bool:
    return False


@dataclass(frozen=True)
class Capabilities:
    platform: str
    # One message's text as `measure` counts it; None: no limit (the console). An announcement
    # over it is refused at its preview, not sent to thousands to fail.
    max_text: int | None = None
    measure: Callable[[Reply], int] = utf16_units
    pacing: Callable[[Config], Pacing] = steady  # how fast the outbox may send there
    ephemeral: bool = False  # can answer one person privately inside a group
    modals: bool = False  # can show a form as a modal (else a form is a conversation)
    attachments: bool = False  # people can send files and photos
    # Shows a Moment itself (Discord's <t:…>, in each viewer's zone and ticking by itself):
    # its fallback text is never seen, so a change in it alone is no reason to edit a message.
    moments: bool = False
    # Whether the person behind an Incoming is a campaign moderator, by [moderators] in the
    # config; asked on every call (Dispatcher.is_moderator), never remembered.
    moderator: Callable[[Incoming, Moderators], bool] = nobody
    # Whoever types runs the process and owns the database (the console): a moderator when
    # the process was started so (Dispatcher.local_moderator), and never slowed down.
    local: bool = False
    # People can close their direct messages to the bot without blocking it: the announcement
    # report always counts them apart ("DMs closed"), also when there are none.
    closable_dms: bool = False
    # People never send a start command there (Discord: a DM begins with any slash command),
    # so the welcome (/start's) comes before a person's first command in a direct chat, once:
    # remembered as user_settings.welcomed_at (Dispatcher.handle).
    no_start_message: bool = False
    # Where people join to use the bot there, if the config names a place (a server invite):
    # /invite shows it with the code to sign with. None: the platform's deep link, or nothing.
    invite: Callable[[Config], str | None] = lambda config: None
    # The files the platform takes from a bot, in bytes (None: no limit): one image, one other
    # file, and all the files of one message together. A file over them is never sent.
    max_image: int | None = None
    max_document: int | None = None
    max_files_total: int | None = None

    def too_large(self, files: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        """The files the platform would refuse: each over its own limit, or every one when
        together they are over the total a message takes."""
        total = self.max_files_total
        if total is not None and sum(len(a.data) for a in files) > total:
            return files
        return tuple(a for a in files if len(a.data) > (
            (self.max_image if a.is_image else self.max_document) or len(a.data)))

    def fitted(self, reply: Reply, tr: Translator) -> Reply:
        """`reply` without the files the platform would refuse, and a sentence naming them:
        the person still gets the text, and a refused upload never fails the whole answer."""
        refused = self.too_large(reply.attachments)
        if not refused:
            return reply
        kept = tuple(a for a in reply.attachments if a not in refused)
        note = tr.t(TOO_LARGE, files=tr.join(a.filename for a in refused))
        gap = "\n\n" if reply.body else ""
        return replace(reply, body=(*reply.body, Plain(gap + note)), attachments=kept)


def with_closable_dms(known: Mapping[str, Capabilities]) -> tuple[str, ...]:
    """The platforms whose announcement report always counts "DMs closed"."""
    return tuple(platform for platform, c in known.items() if c.closable_dms)

"""`Dispatcher.handle` dispatches one Incoming to the routes the routers recorded (bot/routing.py).

Dispatch is the one place that checks moderator rights (on every call, server-side), turns a
raised exception into a short apology, and drives forms as conversations for adapters that have
no modals: forms' own router (a form's buttons, the answer typed to its question) is collected
with the handlers' routers, and a FormRequest becomes a conversation here (bot/forms.py).
Handlers are plain async functions: (Context) -> Reply | FormRequest | list | None.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable

from . import forms, i18n
from .capabilities import Capabilities
from .config import Config
from .core import Button, Clock, FormRequest, Incoming, Outgoing, Reply
from .flood import FloodGuard
from .i18n import N_, Translator
from .routing import (
    APOLOGY,
    REFUSED,
    STALE,
    Announcer,
    Command,
    Context,
    FormSpec,
    Handler,
    Router,
    Waker,
    as_list,
)
from .sender import Sender
from .storage import Storage

log = logging.getLogger(__name__)

UNKNOWN = N_("Sorry, I don't know /{name}. Send /help to see what I can do.")
NOT_UNDERSTOOD = N_("I didn't catch that. Send /help to see what I can do.")
ABANDONED = N_("(I set aside your unfinished {title}. Send {command} to start it again.)")
GO_PRIVATE = N_("Let's do /{name} in a private chat, so nothing personal is shared here.")
OPEN_PRIVATE = N_("Open a private chat")


class Dispatcher:
    """Platform-neutral core: one per process, shared by every adapter. (aiogram's name for
    the same part; `Bot` was taken by python-telegram-bot's client.)"""

    # platform -> the adapter that can send there; app.py fills it as front ends start.
    # Scheduled and broadcast messages go only to these platforms.
    senders: dict[str, Sender]
    # What /announce's Confirm wakes: the announcement runner, once the services started it
    # (bot/services.py); None before that, and in the console, which runs no services.
    announcer: Announcer | None
    # What a changed signature count wakes: the panel service, once the services started it.
    panels: Waker | None

    def __init__(
        self,
        config: Config,
        store: Storage,
        clock: Clock,
        routers: Iterable[Router],
        *,
        capabilities: Iterable[Capabilities] = (),
        local_moderator: bool = False,
    ) -> None:
        self.config, self.store, self.clock = config, store, clock
        # platform -> what it can do and how it counts, as its adapter declares it (app.py
        # registers every platform it knows; an adapter may refine its own when it starts).
        self.capabilities = {c.platform: c for c in capabilities}
        # Whether the person at a local front end (the console: the operator, who owns the
        # database) is a moderator; set by `console --moderator`.
        self.local_moderator = local_moderator
        # platform -> function(command name) -> URL that opens a private chat running it
        # (Telegram: https://t.me/<bot>?start=<command>). Adapters register theirs at start.
        self.deep_links: dict[str, Callable[[str], str]] = {}
        self.senders = {}
        self.announcer = None
        self.panels = None
        # Called as hook(platform, user_id) after /forget erased a person's rows: whatever an
        # adapter keeps about people outside the database (say, what they typed into a form
        # it refills) registers here and forgets it too.
        self.forget_hooks: list[Callable[[str, str], None]] = []
        # Per-person limits (bot/flood.py); a test may set its own.
        self.flood = FloodGuard(languages=config.languages)
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Command] = {}
        self.forms: dict[str, FormSpec] = {}
        # What answers typed text that is no command, in router order (forms: the open
        # question); forms' router comes first, like any other router but always there.
        self.text_handlers: list[Handler] = []
        # What greets a person before their first command where there is no start message.
        self.welcome: Handler | None = None
        for router in (forms.router, *routers):
            if router.text is not None:
                self.text_handlers.append(router.text)
            self.welcome = self.welcome or router.welcome
            for table, mine in (
                (self.commands, router.commands),
                (self.actions, router.actions),
                (self.forms, router.forms),
            ):
                clash = table.keys() & mine.keys()
                if clash:
                    raise ValueError(f"registered twice: {sorted(clash)}")
                table.update(mine)

    def context(self, incoming: Incoming, language: str | None = None) -> Context:
        """`language`: the person's (i18n.language_for); None: their app's, negotiated."""
        language = language or i18n.negotiate(incoming.locale, self.config.languages)
        return Context(incoming, self.store, self.config, self.clock.now(), self,
                       i18n.translator(language))

    def is_moderator(self, incoming: Incoming) -> bool:
        """Asked on every call: the platform's adapter says how its people are recognised
        (Capabilities.moderator); a platform nobody declared has no moderators."""
        known = self.capabilities.get(incoming.user.platform)
        if known is None:
            return False
        if known.local:
            return self.local_moderator
        return known.moderator(incoming, self.config.moderators)

    def _is_local(self, incoming: Incoming) -> bool:
        known = self.capabilities.get(incoming.user.platform)
        return known is not None and known.local

    async def forget(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase everything held about one person: their rows, then what adapters keep."""
        erased = await self.store.forget(platform, user_id)
        for hook in self.forget_hooks:
            hook(platform, user_id)
        return erased

    def help_lines(self, moderator: bool) -> list[tuple[str, str, bool]]:
        return [
            (c.name, c.description, c.moderator)
            for c in self.commands.values()
            if moderator or not c.moderator
        ]

    async def handle(
        self, incoming: Incoming, *, modal: bool = False, ephemeral: bool = False,
        language: str | None = None,
    ) -> list[Outgoing]:
        """Answer one event. With modal=False, FormRequests become conversations here.
        ephemeral=True: the adapter can answer privately inside a group (Discord), so private
        commands may run there; otherwise they are sent to a private chat."""
        # Someone flooding the bot is slowed before anything is read or written for them.
        slowed = self.flood.answer(incoming, self.clock.now(), answer_every=ephemeral,
                                   moderator=self.is_moderator(incoming),
                                   exempt=self._is_local(incoming), language=language)
        if slowed is not None:
            return list(slowed)
        ctx = self.context(incoming, language)
        try:
            greet = self._may_welcome(incoming)
            if language is None or greet:  # else an adapter looked the language up already
                # ONE read per update: the person's language and, where a welcome may be owed,
                # whether they had it.
                languages = self.config.languages
                saved = (await self.store.settings_of(incoming.user.platform, incoming.user.id)
                         if greet or len(languages) > 1 else None)
                if language is None:
                    ctx.tr = i18n.translator(i18n.language_of(
                        saved.language if saved else None, languages, incoming))
                greet = greet and saved is not None and saved.welcomed_at is None
            if incoming.kind == "command":
                out = await self._command(ctx, ephemeral)
                if greet:
                    out = await self._welcome_first(ctx, out, modal)
            elif incoming.kind == "action":
                out = await self._action(ctx)
            else:
                out = await self._text(ctx)
            if not modal:
                out = [await forms.start(ctx, o) if isinstance(o, FormRequest) else o for o in out]
                out = [o for item in out for o in as_list(item)]
            return out
        except Exception as exc:  # a handler bug must never take the bot down
            log_failure(incoming, exc)
            return [Reply.of(ctx.t(APOLOGY))]

    def _may_welcome(self, incoming: Incoming) -> bool:
        """A command in a direct chat on a platform where nobody sends /start first."""
        known = self.capabilities.get(incoming.user.platform)
        return (self.welcome is not None and known is not None and known.no_start_message
                and incoming.kind == "command" and incoming.chat.is_direct
                and not incoming.in_group)

    async def _welcome_first(self, ctx: Context, out: list[Outgoing],
                             modal: bool) -> list[Outgoing]:
        """The person's first command there: the welcome before its answer, then never again
        (remembered in the database, so a restart does not repeat it)."""
        command = self.commands.get(ctx.incoming.name)
        if command is not None and command.moderator:
            return out  # the organisers' tools (or a refusal): the welcome is for supporters
        if modal and len(out) == 1 and isinstance(out[0], FormRequest):
            return out  # a modal must be the first response: welcome them next time
        user = ctx.incoming.user
        await self.store.mark_welcomed(user.platform, user.id, ctx.now)
        if ctx.incoming.name == "start":  # its answer is the welcome (or where a link leads)
            return out
        return as_list(await self.welcome(ctx)) + out

    async def _command(self, ctx: Context, ephemeral: bool) -> list[Outgoing]:
        incoming = ctx.incoming
        command = self.commands.get(incoming.name)
        if command is None:
            return [Reply.of(ctx.t(UNKNOWN, name=incoming.name))]
        if command.moderator and not self.is_moderator(incoming):
            log.warning("refused moderator command /%s on %s", command.name,
                        incoming.user.platform)
            return [Reply.of(ctx.t(REFUSED, name=command.name))]
        in_group = not incoming.chat.is_direct and not ephemeral
        if (command.private or command.moderator) and in_group and not command.in_chat:
            return [self.go_private(incoming.user.platform, command.name, ctx.tr)]
        # A command in a group leaves the person's private form alone: the note would tell the
        # group what they were filling in.
        keeps = command.keeps_form or not (incoming.chat.is_direct or ephemeral)
        notes = [] if keeps else await self.abandon_form(ctx)
        return notes + as_list(await command.handler(ctx))

    def go_private(self, platform: str, name: str, tr: Translator | None = None) -> Reply:
        """`tr`: the person's (ctx.tr); without it, the default language's."""
        tr = tr or i18n.translator(self.config.languages[0])
        link = self.deep_links.get(platform)
        buttons = [[Button(tr.t(OPEN_PRIVATE), url=link(name))]] if link else []
        return Reply.of(tr.t(GO_PRIVATE, name=name), buttons=buttons)

    def asks_moderator(self, incoming: Incoming) -> bool:
        """Whether the answer to `incoming` depends on moderator rights: an adapter that has to
        fetch those rights (a Discord DM carries no roles) fetches them only then."""
        if incoming.kind == "command":
            command = self.commands.get(incoming.name)
            return command is not None and command.moderator
        action = self.actions.get(incoming.name)
        if action is not None and incoming.name != forms.ACTION:
            return action.moderator
        # A form's buttons (forms.ACTION: a route that re-checks the form's own rights), the
        # button that opens a modal and a modal's submit name the form.
        spec = self.forms.get(incoming.payload[0]) if incoming.payload else None
        return spec is not None and spec.moderator

    async def abandon_form(self, ctx: Context) -> list[Outgoing]:
        """End the person's unfinished form, if any, with a note saying how to start it again."""
        user = ctx.incoming.user
        session = await self.store.form_session(user.platform, user.id)
        if session is None or not await self.store.end_form_session(user.platform, user.id):
            return []
        spec = self.forms.get(session.form_id)
        if spec is None:
            return []
        title, command = spec.build(ctx).title, f"/{spec.command}"
        return [Reply.of(ctx.t(ABANDONED, title=title, command=command))]

    async def _text(self, ctx: Context) -> list[Outgoing]:
        for handler in self.text_handlers:
            result = await handler(ctx)
            if result is not None:
                return as_list(result)
        return [Reply.of(ctx.t(NOT_UNDERSTOOD))]

    async def _action(self, ctx: Context) -> list[Outgoing]:
        incoming = ctx.incoming
        action = self.actions.get(incoming.name)
        if action is None:
            return [Reply.of(ctx.t(STALE), private=True)]
        if action.moderator and not self.is_moderator(incoming):
            log.warning("refused moderator button %s on %s", action.name, incoming.user.platform)
            return [Reply.of(ctx.t(STALE), private=True)]
        return as_list(await action.handler(ctx))


def log_failure(incoming: Incoming, exc: BaseException) -> None:
    # The exception's message can quote what a supporter typed, so log its type and the stack
    # (code locations only), never str(exc) or the incoming text.
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "handler for %s %r failed with %s\n%s",
        incoming.kind,
        incoming.name,
        type(exc).__name__,
        stack.rstrip(),
    )

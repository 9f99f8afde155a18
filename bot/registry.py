"""Routers record handlers; `Bot.handle` dispatches one Incoming to them.

Dispatch is the one place that checks moderator rights (on every call, server-side), turns a
raised exception into a short apology, and drives forms as conversations for adapters that have
no modals. Handlers are plain async functions: (Context) -> Reply | FormRequest | list | None.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Iterable

from .config import Config
from .core import Button, Clock, Form, FormRequest, Incoming, Outgoing, Reply
from .flood import FloodGuard
from .storage import Storage

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
UNKNOWN = "Sorry, I don't know /{name}. Send /help to see what I can do."
NOT_UNDERSTOOD = "I didn't catch that. Send /help to see what I can do."
STALE = "This button is no longer available. Send /help to start again."
REFUSED = "Sorry, /{name} is only for campaign moderators."
ABANDONED = "(I set aside your unfinished {title}. Send {command} to start it again.)"
GO_PRIVATE = "Let's do /{name} in a private chat, so nothing personal is shared here."
OPEN_PRIVATE = "Open a private chat"

Result = Outgoing | list[Outgoing] | None
Handler = Callable[["Context"], Awaitable[Result]]


@dataclass
class Context:
    incoming: Incoming
    store: Storage
    config: Config
    now: datetime
    bot: Bot

    @property
    def user(self):
        return self.incoming.user


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    moderator: bool
    private: bool = False  # asks for or shows personal data: never answered in a group
    keeps_form: bool = False  # may run in the middle of a form without setting it aside
    # What a deep link (/start <name>) runs: the command itself when it changes nothing by
    # itself (it reads, opens a form, or asks first), a question whose button does it, or None
    # (the welcome). A link is anyone's to send, so it must never act for the person.
    deep_link: Handler | None = None

    @property
    def description(self) -> str:
        return next(iter((inspect.getdoc(self.handler) or "").splitlines()), "")


@dataclass(frozen=True)
class FormSpec:
    id: str
    command: str  # the command that starts it, named when the form is abandoned
    build: Callable[[Context], Form]
    submit: Callable[[Context, dict[str, str | None]], Awaitable[Result]]
    moderator: bool = False  # re-checked at every step and at submit (bot/forms.py)


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Command] = {}
        self.forms: dict[str, FormSpec] = {}

    def command(
        self, name: str, *, moderator: bool = False, private: bool = False,
        keeps_form: bool = False, deep_link_safe: bool = False,
        confirm_deep_link: Handler | None = None,
    ):
        """`deep_link_safe`: the command changes nothing by itself, so a deep link may run it;
        `confirm_deep_link`: what a deep link shows instead (the question, with a button that
        does it). With neither, a deep link to it shows the welcome."""
        def record(handler: Handler) -> Handler:
            if not inspect.getdoc(handler):
                raise ValueError(f"/{name} needs a docstring: it is the command's help line")
            link = handler if deep_link_safe else confirm_deep_link
            self.commands[name] = Command(name, handler, moderator, private, keeps_form, link)
            return handler

        return record

    def action(self, name: str, *, moderator: bool = False):
        def record(handler: Handler) -> Handler:
            self.actions[name] = Command(name, handler, moderator)
            return handler

        return record

    def form(self, form_id: str, *, command: str, build: Callable[[Context], Form],
             moderator: bool = False):
        def record(submit):
            self.forms[form_id] = FormSpec(form_id, command, build, submit, moderator)
            return submit

        return record


def as_list(result: Result) -> list[Outgoing]:
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


class Bot:
    """Platform-neutral core: one per process, shared by every adapter."""

    def __init__(
        self,
        config: Config,
        store: Storage,
        clock: Clock,
        routers: Iterable[Router],
        *,
        local_moderator: bool = False,
    ) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.local_moderator = local_moderator  # the console operator, who owns the database
        # platform -> function(command name) -> URL that opens a private chat running it
        # (Telegram: https://t.me/<bot>?start=<command>). Adapters register theirs at start.
        self.deep_links: dict[str, Callable[[str], str]] = {}
        # platform -> the adapter that can send there (bot.delivery.Sender); app.py fills it as
        # front ends start. Scheduled and broadcast messages go only to these platforms.
        self.senders: dict[str, object] = {}
        # platform -> function(Reply) -> length as the platform counts it, for refusing an
        # announcement that would not fit (adapters register exact ones; see handlers/announce).
        self.measures: dict[str, Callable[[Reply], int]] = {}
        # Called as hook(platform, user_id) after /forget erased a person's rows: whatever an
        # adapter keeps about people outside the database (say, what they typed into a form
        # it refills) registers here and forgets it too.
        self.forget_hooks: list[Callable[[str, str], None]] = []
        self.flood = FloodGuard()  # per-person limits (bot/flood.py); a test may set its own
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Command] = {}
        self.forms: dict[str, FormSpec] = {}
        for router in routers:
            for table, mine in (
                (self.commands, router.commands),
                (self.actions, router.actions),
                (self.forms, router.forms),
            ):
                clash = table.keys() & mine.keys()
                if clash:
                    raise ValueError(f"registered twice: {sorted(clash)}")
                table.update(mine)

    def context(self, incoming: Incoming) -> Context:
        return Context(incoming, self.store, self.config, self.clock.now(), self)

    def is_moderator(self, incoming: Incoming) -> bool:
        mods, user = self.config.moderators, incoming.user
        if user.platform == "console":
            return self.local_moderator
        if not (user.id.isascii() and user.id.isdecimal()):  # not "٤٢" or "4²"
            return False
        if user.platform == "telegram":
            return int(user.id) in mods.telegram_user_ids
        if user.platform == "discord":
            return int(user.id) in mods.discord_user_ids or any(
                r.isascii() and r.isdecimal() and int(r) in mods.discord_role_ids
                for r in incoming.role_ids
            )
        return False

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
        self, incoming: Incoming, *, modal: bool = False, ephemeral: bool = False
    ) -> list[Outgoing]:
        """Answer one event. With modal=False, FormRequests become conversations here.
        ephemeral=True: the adapter can answer privately inside a group (Discord), so private
        commands may run there; otherwise they are sent to a private chat."""
        from . import forms  # forms needs Context/STALE from this module

        # Someone flooding the bot is slowed before anything is read or written for them.
        slowed = self.flood.answer(incoming, self.clock.now(), answer_every=ephemeral,
                                   moderator=self.is_moderator(incoming))
        if slowed is not None:
            return list(slowed)
        ctx = self.context(incoming)
        try:
            if incoming.kind == "command":
                out = await self._command(ctx, ephemeral)
            elif incoming.kind == "action":
                out = await self._action(ctx)
            else:
                session = await self.store.form_session(incoming.user.platform, incoming.user.id)
                out = await forms.answer(ctx, session) if session else [Reply.of(NOT_UNDERSTOOD)]
            if not modal:
                out = [await forms.start(ctx, o) if isinstance(o, FormRequest) else o for o in out]
                out = [o for item in out for o in as_list(item)]
            return out
        except Exception as exc:  # a handler bug must never take the bot down
            log_failure(incoming, exc)
            return [Reply.of(APOLOGY)]

    async def _command(self, ctx: Context, ephemeral: bool) -> list[Outgoing]:
        incoming = ctx.incoming
        command = self.commands.get(incoming.name)
        if command is None:
            return [Reply.of(UNKNOWN.format(name=incoming.name))]
        if command.moderator and not self.is_moderator(incoming):
            log.warning("refused moderator command /%s on %s", command.name,
                        incoming.user.platform)
            return [Reply.of(REFUSED.format(name=command.name))]
        in_group = not incoming.chat.is_direct and not ephemeral
        if (command.private or command.moderator) and in_group:
            return [self.go_private(incoming.user.platform, command.name)]
        # A command in a group leaves the person's private form alone: the note would tell the
        # group what they were filling in.
        keeps = command.keeps_form or not (incoming.chat.is_direct or ephemeral)
        notes = [] if keeps else await self.abandon_form(ctx)
        return notes + as_list(await command.handler(ctx))

    def go_private(self, platform: str, name: str) -> Reply:
        link = self.deep_links.get(platform)
        buttons = [[Button(OPEN_PRIVATE, url=link(name))]] if link else []
        return Reply.of(GO_PRIVATE.format(name=name), buttons=buttons)

    def asks_moderator(self, incoming: Incoming) -> bool:
        """Whether the answer to `incoming` depends on moderator rights: an adapter that has to
        fetch those rights (a Discord DM carries no roles) fetches them only then."""
        if incoming.kind == "command":
            command = self.commands.get(incoming.name)
            return command is not None and command.moderator
        action = self.actions.get(incoming.name)
        if action is not None:
            return action.moderator
        # A form's buttons, the button that opens a modal and a modal's submit name the form.
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
        title = spec.build(ctx).title
        return [Reply.of(ABANDONED.format(title=title, command=f"/{spec.command}"))]

    async def _action(self, ctx: Context) -> list[Outgoing]:
        from . import forms

        incoming = ctx.incoming
        if incoming.name == forms.ACTION:
            return await forms.press(ctx)
        action = self.actions.get(incoming.name)
        if action is None:
            return [Reply.of(STALE, private=True)]
        if action.moderator and not self.is_moderator(incoming):
            log.warning("refused moderator button %s on %s", action.name, incoming.user.platform)
            return [Reply.of(STALE, private=True)]
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

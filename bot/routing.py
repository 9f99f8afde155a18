"""What handlers, forms and the dispatcher share: the Context a handler is called with, the
route records a Router collects, and the replies every route may give (STALE, REFUSED, APOLOGY).

It sits below both the dispatcher (bot/dispatch.py) and forms (bot/forms.py), so neither has to
import the other to know these: forms is a router like any handler module, and the dispatcher
imports it. A handler reaches the dispatcher only through `ctx.bot`, typed here as
`DispatcherView`: the part of the dispatcher handlers may use, so this module never imports the
dispatcher.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .capabilities import Capabilities
from .config import Config
from .core import Form, Incoming, Outgoing, Reply
from .sender import Sender
from .i18n import N_, Translator, translator
from .storage import Storage

# Translated where they are used: Reply.of(ctx.t(STALE), private=True).
APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a moment.")
STALE = N_("This button is no longer available. Send /help to start again.")
REFUSED = N_("Sorry, /{name} is only for campaign moderators.")

Result = Outgoing | list[Outgoing] | None
Handler = Callable[["Context"], Awaitable[Result]]


class Announcer(Protocol):
    """What /announce's Confirm wakes (bot.announcement_runner.AnnouncementRunner): declared
    here, so the dispatcher can hold one without importing the runner, which imports it."""

    def wake(self) -> None: ...


class Waker(Protocol):
    """A background service a handler can wake (bot.panels.PanelService: the live count
    changed, so the campaign panels are checked now rather than at the next minute)."""

    def wake(self) -> None: ...


class DispatcherView(Protocol):
    """The dispatcher as handlers and forms see it (bot.dispatch.Dispatcher implements it)."""

    commands: dict[str, Command]
    forms: dict[str, FormSpec]
    # platform -> the adapter that can send there; see Dispatcher.senders.
    senders: dict[str, Sender]
    announcer: Announcer | None
    # What a signature added or withdrawn wakes: the campaign panels (see Context.
    # signatures_changed); None where no services run (the console, most tests).
    panels: Waker | None
    # platform -> what it can do and how it counts (bot/capabilities.py): a handler asks
    # these, never names a platform.
    capabilities: dict[str, Capabilities]
    config: Config
    # platform -> command -> URL that opens a private chat with the bot running it; see
    # Dispatcher.deep_links.
    deep_links: dict[str, Callable[[str], str]]

    def is_moderator(self, incoming: Incoming) -> bool: ...

    def go_private(self, platform: str, name: str, tr: Translator | None = None) -> Reply: ...

    def help_lines(self, moderator: bool) -> list[tuple[str, str, bool]]: ...

    async def abandon_form(self, ctx: Context) -> list[Outgoing]: ...

    async def forget(self, platform: str, user_id: str) -> dict[str, int]: ...


@dataclass
class Context:
    incoming: Incoming
    store: Storage
    config: Config
    now: datetime
    bot: DispatcherView
    # The person's language, chosen by the dispatcher (bot/i18n.py language_for): every word
    # a handler says goes through it, `ctx.t(CONSTANT, name=value)`.
    tr: Translator = field(default_factory=translator)

    @property
    def user(self):
        return self.incoming.user

    @property
    def lang(self) -> str:
        return self.tr.lang

    @property
    def t(self):
        return self.tr.t  # (msgid, **values) -> the sentence in the person's language

    @property
    def n(self):
        return self.tr.n  # (singular, plural, count, **values): real plural rules

    @property
    def text(self):
        return self.tr.text  # config content (i18n.Text) -> the person's language's version

    @property
    def explain(self):
        return self.tr.explain  # a ValueError's reason, translated when it is a Problem

    def signatures_changed(self) -> None:
        """The signature count changed (signed, withdrawn, erased): the campaign panels show
        it, so they are checked now (each still edited at most once a minute)."""
        if self.bot.panels is not None:
            self.bot.panels.wake()


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
    # A moderator command that acts on the chat it is typed in (/panel): it runs in a group
    # too, instead of being sent to a private chat like other moderator commands.
    in_chat: bool = False

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
        # What answers a typed message that is no command (forms: the open question). It
        # returns None when the message is not for it; the dispatcher then says it did not
        # understand.
        self.text: Handler | None = None
        # The welcome (/start's first screen), which the dispatcher also puts before a person's
        # first command on a platform with no start message (Capabilities.no_start_message).
        self.welcome: Handler | None = None

    def command(
        self, name: str, *, moderator: bool = False, private: bool = False,
        keeps_form: bool = False, deep_link_safe: bool = False,
        confirm_deep_link: Handler | None = None, in_chat: bool = False,
    ):
        """`deep_link_safe`: the command changes nothing by itself, so a deep link may run it;
        `confirm_deep_link`: what a deep link shows instead (the question, with a button that
        does it). With neither, a deep link to it shows the welcome."""
        def record(handler: Handler) -> Handler:
            if not inspect.getdoc(handler):
                raise ValueError(f"/{name} needs a docstring: it is the command's help line")
            link = handler if deep_link_safe else confirm_deep_link
            self.commands[name] = Command(name, handler, moderator, private, keeps_form, link,
                                          in_chat)
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

    def on_text(self, handler: Handler) -> Handler:
        self.text = handler
        return handler

    def on_welcome(self, handler: Handler) -> Handler:
        self.welcome = handler
        return handler


def as_list(result: Result) -> list[Outgoing]:
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]

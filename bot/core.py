"""The neutral message model every handler and adapter speaks.

Handlers build `Reply` values out of `Span`s and `Button`s and never escape anything: only an
adapter knows its target syntax (Telegram HTML, Discord markdown, plain console text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Callable, Literal, Protocol

# Telegram refuses callback_data over 64 bytes; Discord allows 100 characters of custom_id, so a
# payload that fits Telegram fits both.
MAX_BUTTON_DATA_BYTES = 64
SEPARATOR = ":"


@dataclass(frozen=True)
class UserRef:
    platform: str
    id: str
    display_name: str = ""


@dataclass(frozen=True)
class ChatRef:
    platform: str
    id: str
    is_direct: bool = True


@dataclass(frozen=True)
class Plain:
    text: str


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Italic:
    text: str


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Moment:
    """A point in time. Discord shows it in each viewer's own zone; elsewhere, `fallback`."""

    at: datetime
    fallback: str
    style: Literal["full", "relative", "date"] = "full"
    until: datetime | None = None  # an end time, for events: "Mon 7 Jun 19:00 – 20:00"


Span = Plain | Bold | Italic | Link | Moment


@dataclass(frozen=True)
class Button:
    """A button that calls `action` with `payload`, or, with `url`, a link that opens a page."""

    label: str
    action: str = ""
    payload: tuple[str, ...] = ()
    url: str | None = None

    def __post_init__(self) -> None:
        if self.url is None:
            encode_button(self.action, self.payload)  # refuse oversize data where it is built

    @property
    def data(self) -> str:
        return encode_button(self.action, self.payload)


def encode_button(action: str, payload: tuple[str, ...] = ()) -> str:
    parts = (action, *payload)
    for part in parts:
        if SEPARATOR in part or not part.isprintable():
            raise ValueError(f"button part {part!r} may not contain {SEPARATOR!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode("utf-8")) > MAX_BUTTON_DATA_BYTES:
        raise ValueError(f"button data {data!r} is over {MAX_BUTTON_DATA_BYTES} bytes")
    return data


def decode_button(data: str) -> tuple[str, tuple[str, ...]]:
    """Split client-supplied button data. Raises ValueError on anything malformed."""
    if not data or len(data.encode("utf-8")) > MAX_BUTTON_DATA_BYTES or not data.isprintable():
        raise ValueError("malformed button data")
    action, *payload = data.split(SEPARATOR)
    if not action:
        raise ValueError("malformed button data")
    return action, tuple(payload)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: an image (shown inline where the platform can) or a document.
    `media_type` decides which ("image/png" is a photo; anything else a document)."""

    filename: str
    media_type: str
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.media_type in ("image/png", "image/jpeg")


@dataclass(frozen=True)
class Reply:
    """`attachments`: files sent with the text (the text becomes their caption where the
    platform allows). `edit`: an answer to a button press that replaces the message the button
    sits on (a list whose state changed) instead of adding a new one; elsewhere a new message."""

    body: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    private: bool = False
    attachments: tuple[Attachment, ...] = ()
    edit: bool = False

    @staticmethod
    def of(*parts: str | Span, buttons=(), private: bool = False,
           attachments: tuple[Attachment, ...] = (), edit: bool = False) -> Reply:
        spans = tuple(Plain(p) if isinstance(p, str) else p for p in parts)
        rows = tuple(tuple(row) if isinstance(row, (list, tuple)) else (row,) for row in buttons)
        return Reply(spans, rows, private, tuple(attachments), edit)

    def plain_text(self) -> str:
        return "".join(render_plain_span(s) for s in self.body)


def render_plain_span(span: Span) -> str:
    if isinstance(span, Link):
        return span.text if span.text == span.url else f"{span.text} ({span.url})"
    if isinstance(span, Moment):
        return span.fallback
    return span.text


@dataclass(frozen=True)
class FormRequest:
    """Ask the adapter to open form `form_id`: a modal where possible, else a conversation.
    `values`: answers the form carries from its start without asking them (the source of a
    deep link), handed to its submit with the rest; the conversation keeps them in its
    session, so they survive every step and a restart."""

    form_id: str
    values: tuple[tuple[str, str], ...] = ()


Outgoing = Reply | FormRequest


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Field:
    """One question of a form. `validate` returns the clean value or raises ValueError(reason)."""

    name: str
    label: str
    prompt: str
    kind: Literal["text", "choice"] = "text"
    required: bool = True
    default: str | None = None
    choices: tuple[Choice, ...] = ()
    max_length: int = 100
    validate: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        # Discord modals hold at most five inputs; choices are asked after the modal.
        if sum(1 for f in self.fields if f.kind == "text") > 5:
            raise ValueError(f"form {self.id} has more than 5 text fields")


@dataclass(frozen=True)
class Incoming:
    kind: Literal["command", "action", "text"]
    user: UserRef
    chat: ChatRef
    name: str = ""  # command name or button action
    args: str = ""  # text after the command, or the text message itself
    payload: tuple[str, ...] = ()
    role_ids: tuple[str, ...] = ()  # Discord roles, for the moderator check
    # The platform says this person may manage the group or channel (Telegram: an admin;
    # Discord: Manage Server). Set by the adapter from the platform, never from the client.
    can_manage_chat: bool = False
    # The language the person's app is set to, as the platform names it (Telegram
    # `language_code` "es" or "pt-br", Discord `interaction.locale` "es-419"); "" when unknown.
    # The dispatcher negotiates it against the configured languages (bot/i18n.py).
    locale: str = ""
    # Typed in a group or server although `chat` is the person's own (a Discord slash command
    # in a server, answered privately): no first-contact welcome there (Dispatcher.handle).
    in_group: bool = False


class Clock(Protocol):
    """Where handlers and services get the time: SystemClock in production; tests inject a
    clock they move by hand (tests/support/clock.py), so nothing waits for real time."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, str] | None:
    """'/sign@CampaignBot extra' -> ('sign', 'extra'); None when the text is not a command.
    A command addressed to another bot (@OtherBot) is not ours: None."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    if not name:
        return None
    return name.lower(), args.strip()


def button_incoming(user: UserRef, chat: ChatRef, data: str, role_ids=(),
                    can_manage_chat: bool = False, locale: str = "") -> Incoming:
    """Turn client-supplied button data into an Incoming; malformed data gets an empty action
    name, which dispatch answers with 'no longer available'."""
    try:
        action, payload = decode_button(data)
    except ValueError:
        action, payload = "", ()
    return Incoming("action", user, chat, name=action, payload=payload, role_ids=tuple(role_ids),
                    can_manage_chat=can_manage_chat, locale=locale)


# Replies are stored in the outbox as JSON: one body per message, rendered per platform at send
# time, so a queued announcement survives a restart exactly as the moderator confirmed it.
_SPAN_KINDS = {"plain": Plain, "bold": Bold, "italic": Italic, "link": Link, "moment": Moment}


def reply_to_dict(reply: Reply) -> dict:
    # The outbox holds text; a file is made for the person who asks, at the moment they ask.
    if reply.attachments:
        raise ValueError("a reply with attachments cannot be queued in the outbox")
    spans = []
    for span in reply.body:
        kind = next(k for k, cls in _SPAN_KINDS.items() if type(span) is cls)
        item = {"t": kind, **{k: v for k, v in span.__dict__.items()}}
        if isinstance(span, Moment):
            item["at"] = span.at.isoformat()
            item["until"] = span.until.isoformat() if span.until else None
        spans.append(item)
    buttons = [[{"label": b.label, "action": b.action, "payload": list(b.payload), "url": b.url}
                for b in row] for row in reply.buttons]
    return {"body": spans, "buttons": buttons, "private": reply.private}


def reply_from_dict(data: dict) -> Reply:
    spans: list[Span] = []
    for item in data["body"]:
        fields = {k: v for k, v in item.items() if k != "t"}
        if item["t"] == "moment":
            fields["at"] = datetime.fromisoformat(fields["at"])
            until = fields.get("until")
            fields["until"] = datetime.fromisoformat(until) if until else None
        spans.append(_SPAN_KINDS[item["t"]](**fields))
    buttons = tuple(tuple(Button(b["label"], b["action"], tuple(b["payload"]), b["url"])
                          for b in row) for row in data["buttons"])
    return Reply(tuple(spans), buttons, data["private"])

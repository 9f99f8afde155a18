"""A fake Telegram Bot API on 127.0.0.1, for the real python-telegram-bot pointed at it through
`base_url`. Tests push updates in (messages, button presses, my_chat_member) and assert on the
recorded calls, i.e. on what the person would see.

It refuses what Telegram refuses, with Telegram's own error JSON, or the tests prove nothing:
empty text, text over 4096 UTF-16 units after entity parsing, malformed HTML (unknown or
unclosed tags, a bare '<' or '&'), callback_data over 64 bytes, a second answer to one callback
query or one more than 15 s after the press, an unknown chat, a blocked user, a second
concurrent getUpdates (409), more messages to one chat than Telegram takes (a private chat: 1 a
second after a burst of PRIVATE_BURST; a group: 20 a minute; 429 with parameters.retry_after),
and any send to a group that became a supergroup (400 with parameters.migrate_to_chat_id).
getChatMember answers the status a test set (`set_member`; in a channel, an administrator's
rights too). getChat finds a chat by id or by a channel's @name (`add_channel`); sending to a
channel needs the bot to be an admin there allowed to post; deleteMessage refuses a message
that is not there ("message to delete not found"). It can be told to answer the next
N calls of a method with 429 (parameters.retry_after), 5xx, 403, or to hang.

Every refusal other than those asked for (`fail_next`, `rate_limit`) is recorded in
`refusals`; the harness fails a test that ends with any, so a test that provokes one asserts
on it and clears the list (as with the fake Discord). Its clock is `clock()` (time.monotonic
unless a test stops it) plus `clock_offset`: `advance(seconds)` ages callback queries and
refills the chat limits at once.
For delivery tests and bench/broadcast.py it can also enforce a global sendMessage rate (429
past it), answer late after handling a call (a client killed meanwhile never learns that its
message arrived), and treat any positive chat id as a private chat that opened the bot.

In process:   fake = FakeTelegram(); await fake.start(); bot = fake.add_bot(TOKEN)
Own process:  python -m tests.fakes.telegram_api --latency 0.05 --bot TOKEN=username
              (prints the port; /_fake/... is a small control API, used by bench/).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Uploads (core.telegram.org/bots/api#sending-files): a photo of at most 10 MB (refused 400),
# any other file of at most 50 MB (the Bot API server answers 413 for a bigger request).
MAX_PHOTO = 10_000_000
MAX_DOCUMENT = 50_000_000
PHOTO_TOO_BIG = "Bad Request: file is too big"
MAX_CALLBACK_DATA = 64
MAX_ALERT = 200
QUERY_LIFETIME = 15.0  # seconds a callback query can be answered after the press
# Telegram's per-chat limits (core.telegram.org/bots/faq): "avoid sending more than one message
# per second" to one chat, "short bursts" allowed; at most 20 messages a minute to a group.
# A private chat is a token bucket: 1 message a second, bursts of PRIVATE_BURST (a
# conversation's replies, a reply split in parts, at machine speed in tests, need up to 7).
PRIVATE_RATE = 1.0
PRIVATE_BURST = 10
GROUP_PER_MINUTE = 20
QUIET = 0.01  # wait_idle: seconds without a call, once the adapter has handled every update
SEND_METHODS = ("sendMessage", "sendDocument", "sendPhoto")
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
BOT_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")
QUERY_TOO_OLD = ("Bad Request: query is too old and response timeout expired or query ID is "
                 "invalid")
CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> dict:
        out: dict[str, Any] = {"ok": False, "error_code": self.code,
                               "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Telegram HTML ---------------------------------------------------------------------------------

TAGS = {  # tag -> entity type (https://core.telegram.org/bots/api#html-style)
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "tg-emoji": "custom_emoji",
    "code": "code", "pre": "pre", "blockquote": "blockquote",
}
ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SPECIAL = re.compile(r"[<&]")
START_TAG = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'"
                       r"|[^\s\"'<>=`]+))*)\s*")
ATTRIBUTE = re.compile(r"([a-zA-Z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=`]+))")


def _offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


def _entity_at(src: str, i: int) -> tuple[str, int]:
    match = ENTITY.match(src, i)
    if not match:
        raise bad(f"can't parse entities: Can't find end of the entity starting at byte offset "
                  f"{_offset(src, i)}")
    named, decimal, hexadecimal = match.groups()
    if named:
        return NAMED[named], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise bad(f"can't parse entities: Invalid character at byte offset {_offset(src, i)}")
    return chr(code), match.end()


def _decode(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            text, i = _entity_at(value, i)
            out.append(text)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(src: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode: the text a person sees, and its entities (UTF-16 offsets).
    Raises ApiError with Telegram's description for what Telegram refuses."""
    out: list[str] = []
    units = 0  # UTF-16 length of the text so far
    stack: list[tuple[str, int, dict]] = []
    entities: list[dict] = []
    i = 0
    while i < len(src):
        char = src[i]
        if char == "<":
            end = src.find(">", i)
            if end < 0:
                raise bad(f"can't parse entities: Unclosed start tag at byte offset "
                          f"{_offset(src, i)}")
            inner = src[i + 1:end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise bad(f"can't parse entities: Unexpected end tag at byte offset "
                              f"{_offset(src, i)}")
                if stack[-1][0] != name:
                    raise bad(f"can't parse entities: Unmatched end tag at byte offset "
                              f"{_offset(src, i)}, expected \"</{stack[-1][0]}>\", found "
                              f"\"</{name}>\"")
                tag, start, attrs = stack.pop()
                if units > start and not (tag == "a" and "url" not in attrs):
                    entities.append({"type": TAGS[tag], "offset": start,
                                     "length": units - start, **attrs})
            else:
                match = START_TAG.fullmatch(inner)
                name = match.group(1).lower() if match else ""
                if not match or "<" in inner:
                    raise bad(f"can't parse entities: Unexpected end of name token at byte "
                              f"offset {_offset(src, i)}" if not inner.strip() else
                              f"can't parse entities: Unsupported start tag \"{inner[:20]}\" at "
                              f"byte offset {_offset(src, i)}")
                if name not in TAGS:
                    raise bad(f"can't parse entities: Unsupported start tag \"{name}\" at byte "
                              f"offset {_offset(src, i)}")
                attrs = {m.group(1).lower(): _decode(next(g for g in m.groups()[1:]
                                                           if g is not None))
                         for m in ATTRIBUTE.finditer(match.group(2))}
                extra: dict = {}
                if name == "a" and "href" in attrs:
                    extra["url"] = attrs["href"]
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise bad("can't parse entities: Tag \"span\" must have class "
                              "\"tg-spoiler\"")
                if any(tag == "a" for tag, _, _ in stack) and name == "a":
                    raise bad("can't parse entities: Nested links are not supported")
                stack.append((name, units, extra))
            i = end + 1
            continue
        if char == "&":
            text, i = _entity_at(src, i)
        else:  # a run of plain text, up to the next tag or entity
            special = SPECIAL.search(src, i)
            end = special.start() if special else len(src)
            text, i = src[i:end], end
        out.append(text)
        units += utf16_len(text)
    if stack:
        raise bad(f"can't parse entities: Can't find end tag corresponding to start tag "
                  f"\"{stack[-1][0]}\"")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def check_text(text: str | None, parse_mode: str | None) -> tuple[str, list[dict]]:
    if text is None:
        raise bad("message text is empty")
    if (parse_mode or "").lower() == "html":
        shown, entities = parse_html(text)
    elif parse_mode:
        raise bad(f"unsupported parse_mode \"{parse_mode}\"")  # the tests only use HTML
    else:
        shown, entities = text, []
    if not shown.strip():
        raise bad("message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise bad("message is too long")
    return shown, entities


def check_markup(raw: Any) -> dict | None:
    if raw in (None, ""):
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list):
        raise bad("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not button.get("text"):
                raise bad("text buttons are unallowed in the inline keyboard")
            kinds = [k for k in ("url", "callback_data", "switch_inline_query", "copy_text",
                                 "web_app", "login_url", "pay") if k in button]
            if len(kinds) != 1:
                raise bad("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", button["url"]):
                raise bad(f"inline keyboard button URL '{button['url']}' is invalid: Wrong "
                          f"HTTP URL")
    return markup


# Update builders (also used by bench/, which posts them to a fake in another process) ---------

def user_json(user_id: int, first_name: str = "Ada", last_name: str | None = None,
              is_bot: bool = False, language_code: str | None = None) -> dict:
    user = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if language_code:  # the IETF tag of the person's app language, when Telegram knows it
        user["language_code"] = language_code
    return user


def chat_json(chat_id: int, chat_type: str = "private", title: str = "Campaign group",
              first_name: str = "Ada") -> dict:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": title}


def message_update(user_id: int, text: str, *, chat_id: int | None = None,
                   chat_type: str = "private", first_name: str = "Ada",
                   last_name: str | None = None, sender_chat: dict | None = None,
                   is_automatic_forward: bool = False, language_code: str | None = None) -> dict:
    chat = chat_json(user_id if chat_id is None else chat_id,
                     "private" if chat_id is None else chat_type, first_name=first_name)
    message: dict[str, Any] = {"date": int(time.time()), "chat": chat,
                               "from": user_json(user_id, first_name, last_name,
                                                 language_code=language_code), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": utf16_len(text.split(" ", 1)[0])}]
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    if is_automatic_forward:
        message["is_automatic_forward"] = True
    return {"message": message}


def callback_update(user_id: int, data: str, *, message: dict | None = None,
                    chat_id: int | None = None, chat_type: str = "private",
                    first_name: str = "Ada", query_id: str | None = None,
                    language_code: str | None = None) -> dict:
    if message is None:  # a message the bot sent earlier, as the client echoes it back
        chat = chat_json(user_id if chat_id is None else chat_id,
                         "private" if chat_id is None else chat_type, first_name=first_name)
        message = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "…"}
    query = {"id": query_id or "", "data": data,
             "from": user_json(user_id, first_name, language_code=language_code),
             "chat_instance": str(message["chat"]["id"]), "message": message}
    return {"callback_query": query}


def my_chat_member_update(user_id: int, bot_user: dict, old: str, new: str,
                          first_name: str = "Ada") -> dict:
    def member(status: str) -> dict:
        out: dict[str, Any] = {"status": status, "user": bot_user}
        if status == "kicked":
            out["until_date"] = 0
        return out

    return {"my_chat_member": {
        "chat": chat_json(user_id, first_name=first_name), "from": user_json(user_id, first_name),
        "date": int(time.time()), "old_chat_member": member(old),
        "new_chat_member": member(new)}}


# The fake ---------------------------------------------------------------------------------------

@dataclass
class Call:
    method: str
    params: dict
    status: int = 0  # HTTP status answered (0 while in flight)
    result: Any = None
    error: str = ""
    started: float = 0.0
    finished: float = 0.0


@dataclass
class Failure:
    method: str
    times: int
    status: int
    retry_after: int | None = None
    chat_id: int | None = None
    description: str | None = None
    hang: float = 0.0  # seconds to wait before answering (the call still succeeds)
    after: int = 0  # matching calls answered normally first


@dataclass(frozen=True)
class Refusal:
    """A call the fake refused on its merits (not an injected failure)."""

    method: str
    chat_id: str | None
    status: int
    description: str


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    html: str
    text: str
    entities: list
    reply_markup: dict | None
    edits: int = 0
    # A photo or document: kind ("photo"/"document"), filename, content_type, data (bytes).
    # `text` and `html` are then its caption ("" for none).
    file: dict | None = None


@dataclass
class FakeBot:
    """One bot account (one token): its update queue, the calls it received, its chats."""

    server: FakeTelegram
    token: str
    username: str
    id: int
    updates: list[dict] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], SentMessage] = field(default_factory=dict)
    chats: dict[int, dict] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    admins: dict[int, dict[int, str]] = field(default_factory=dict)
    # (chat id, user id) -> an administrator's rights in a channel (can_post_messages...)
    rights: dict[tuple[int, int], dict[str, bool]] = field(default_factory=dict)
    commands: dict[str, list] = field(default_factory=dict)
    # setMyDescription / setMyShortDescription: language code ("" for none) -> text.
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    queries: dict[str, bool] = field(default_factory=dict)  # callback query id -> answered
    query_born: dict[str, float] = field(default_factory=dict)  # query id -> press time (now())
    refusals: list[Refusal] = field(default_factory=list)
    # (method, description fragment) of refusals expected in normal running, kept apart in
    # `tolerated` (the harness tolerates the moderator command menu for a private chat not
    # opened yet: the bot tries it at each start and waits for the moderator's first message).
    tolerate: list[tuple[str, str]] = field(default_factory=list)
    tolerated: list[Refusal] = field(default_factory=list)
    migrated: dict[int, int] = field(default_factory=dict)  # old group id -> supergroup id
    chat_limits: bool = True  # Telegram's per-chat limits (PRIVATE_*, GROUP_PER_MINUTE)
    clock: Callable[[], float] = time.monotonic  # a test may stop the fake's time
    query_lifetime: float = QUERY_LIFETIME  # bench/ pushes thousands of presses at once
    clock_offset: float = 0.0  # seconds added to clock(): see advance()
    people: dict[int, dict] = field(default_factory=dict)  # user id -> latest profile seen
    allowed_updates: list[str] | None = None
    in_flight: dict[str, int] = field(default_factory=dict)
    succeeded: dict[str, int] = field(default_factory=dict)  # method -> calls answered ok
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    # Seconds between handling a call of a method and answering it: the answer's trip back.
    # A client that dies in between never learns that its message arrived.
    answer_delay: dict[str, float] = field(default_factory=dict)
    # Telegram's broadcast limit, over all chats: at most `rate_limit` sendMessage calls per
    # second (0: no limit), with `burst` seconds' worth of slack for the jitter of arrival
    # times; past it the call is answered 429 with a whole-seconds retry_after, as Telegram's.
    rate_limit: float = 0.0
    burst: float = 0.1
    rate_limited: int = 0  # 429s served by that limit
    any_chat: bool = False  # every positive id is a private chat that has opened the bot
    # Set by the harness while its adapter runs (telegram_harness.running): whether the adapter
    # has handled every update this fake served it. wait_idle then knows that the bot is done.
    handled_all: Callable[[], bool] | None = None
    _tokens: float = -1.0
    _refilled: float = 0.0
    _private: dict[int, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    _group: dict[int, deque] = field(default_factory=dict)  # send times in the last minute
    _last_update_id: int = 1000
    _next_query: Any = field(default_factory=lambda: itertools.count(1))
    _next_message: dict[int, Any] = field(default_factory=dict)
    _poll: asyncio.Future | None = None
    _changed: asyncio.Condition | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def user(self) -> dict:
        return user_json(self.id, self.username, is_bot=True) | {"username": self.username}

    # time ------------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's clock (monotonic seconds), which `advance` moves on."""
        return self.clock() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the fake alone: callback queries age, chat limits refill."""
        self.clock_offset += seconds

    # pushing updates ---------------------------------------------------------------------

    def push(self, update: dict, update_id: int | None = None, *, age: float = 0.0) -> dict:
        """Queue an update as Telegram would deliver it (update_id assigned unless given);
        a button press `age` seconds old (the bot was away) can no longer be answered."""
        update = dict(update)
        if update_id is None:  # Telegram's ids only grow: an offset confirms all before it
            update_id = self._last_update_id = self._last_update_id + 1
        self._last_update_id = max(self._last_update_id, update_id)
        update["update_id"] = update_id
        for kind in ("message", "callback_query", "my_chat_member"):
            body = update.get(kind)
            if not body:
                continue
            if kind == "message":
                body.setdefault("message_id", self.new_message_id(body["chat"]["id"]))
            if "from" in body and kind != "callback_query":
                self.people[body["from"]["id"]] = body["from"]
            chat = body["chat"] if kind != "callback_query" else body["message"]["chat"]
            self.chats.setdefault(chat["id"], chat)
            if kind == "callback_query":
                if not body.get("id"):
                    body["id"] = f"q{next(self._next_query)}"
                self.queries.setdefault(body["id"], False)
                self.query_born.setdefault(body["id"], self.now() - age)
        self.updates.append(update)
        self.server.wake(self)
        return update

    def new_message_id(self, chat_id: int) -> int:
        counter = self._next_message.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def send_text(self, user_id: int, text: str, **kwargs) -> dict:
        return self.push(message_update(user_id, text, **kwargs))

    def press(self, user_id: int, data: str, *, chat_id: int | None = None, age: float = 0.0,
              **kwargs) -> str:
        """Press a button with raw `data` (a client can send anything): the callback query
        echoes the bot's latest message in that chat, as a client would. Returns its id."""
        chat = user_id if chat_id is None else chat_id
        shown = self.sent(chat)
        message = self.message_json(shown[-1]) if shown else None
        update = callback_update(user_id, data, message=message, chat_id=chat_id, **kwargs)
        return self._press(user_id, update, age)

    def _press(self, user_id: int, update: dict, age: float = 0.0) -> str:
        # Telegram sends the presser's current profile, as in their messages.
        update["callback_query"]["from"] = self.people.get(user_id,
                                                           update["callback_query"]["from"])
        return self.push(update, age=age)["callback_query"]["id"]

    def press_label(self, user_id: int, label: str, chat_id: int | None = None) -> str:
        """Press the button labelled `label` (or starting with it) on the latest keyboard."""
        chat = user_id if chat_id is None else chat_id
        for sent in reversed([m for m in self.messages.values() if m.chat_id == chat]):
            if not sent.reply_markup:
                continue
            flat = [b for row in sent.reply_markup["inline_keyboard"] for b in row]
            found = [b for b in flat if b["text"] == label] or [
                b for b in flat if b["text"].startswith(label)]
            if len(found) != 1:
                raise AssertionError(f"no single button {label!r} in {[b['text'] for b in flat]}")
            return self._press(user_id, callback_update(
                user_id, found[0]["callback_data"], message=self.message_json(sent),
                chat_id=chat_id))
        raise AssertionError(f"no keyboard shown in chat {chat}")

    def block(self, user_id: int, notify: bool = True) -> None:
        """The person blocks the bot: sends fail with 403 and, like Telegram, a my_chat_member
        update says so."""
        self.blocked.add(user_id)
        if notify:
            self.push(my_chat_member_update(user_id, self.user, "member", "kicked"))

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)
        self.push(my_chat_member_update(user_id, self.user, "kicked", "member"))

    def set_admin(self, chat_id: int, user_id: int, status: str = "administrator") -> None:
        self.set_member(chat_id, user_id, status)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for that person in that chat (default: "member")."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"Telegram has no chat member status {status!r}")
        self.admins.setdefault(chat_id, {})[user_id] = status

    def add_channel(self, chat_id: int, username: str, title: str = "Campaign channel", *,
                    bot_status: str = "administrator", post: bool = True,
                    edit: bool = True) -> None:
        """A channel with a public @username, the bot in it with `bot_status` and, as an
        administrator, the rights to post and to edit messages as given."""
        self.chats[chat_id] = {"id": chat_id, "type": "channel", "title": title,
                               "username": username}
        self.set_member(chat_id, self.id, bot_status)
        self.rights[(chat_id, self.id)] = {"can_post_messages": post,
                                           "can_edit_messages": edit}

    def migrate(self, old_id: int, new_id: int) -> None:
        """The group `old_id` becomes the supergroup `new_id`: from now on every call to the
        old id is answered 400 with parameters.migrate_to_chat_id, as Telegram does."""
        old = self.chats.get(old_id) or chat_json(old_id, "group")
        self.migrated[old_id] = new_id
        self.chats[new_id] = {"id": new_id, "type": "supergroup", "title": old.get("title")}
        self.admins[new_id] = dict(self.admins.get(old_id, {}))

    def fail_next(self, method: str, times: int = 1, status: int = 429, *,
                  retry_after: int | None = None, chat_id: int | None = None,
                  description: str | None = None, hang: float = 0.0, after: int = 0) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with `status`,
        once `after` such calls were answered normally. status 429 carries
        parameters.retry_after; status 200 with `hang` succeeds late."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self.failures.append(Failure(method, times, status, retry_after, chat_id, description,
                                     hang, after))

    def take_chat_turn(self, chat_id: int) -> int | None:
        """One message to `chat_id` against Telegram's per-chat limits: None if allowed, else
        the whole seconds to wait (Telegram's retry_after)."""
        if not self.chat_limits:
            return None
        now = self.now()
        if chat_id < 0:  # a group, supergroup or channel
            sent = self._group.setdefault(chat_id, deque())
            while sent and sent[0] <= now - 60.0:
                sent.popleft()
            if len(sent) >= GROUP_PER_MINUTE:
                # Rounded first: (t + 60) - t is 60.000000000001 for some monotonic t, which
                # must not become 61 (Telegram's group wait is at most the minute).
                return max(1, math.ceil(round(sent[0] + 60.0 - now, 6)))
            sent.append(now)
            return None
        tokens, at = self._private.get(chat_id, (float(PRIVATE_BURST), now))
        tokens = min(float(PRIVATE_BURST), tokens + (now - at) * PRIVATE_RATE)
        if tokens < 1.0:
            self._private[chat_id] = (tokens, now)
            return max(1, math.ceil(round((1.0 - tokens) / PRIVATE_RATE, 6)))
        self._private[chat_id] = (tokens - 1.0, now)
        return None

    def take_send_token(self) -> int | None:
        """One sendMessage against `rate_limit`: None if allowed, else retry_after seconds."""
        now = time.monotonic()
        capacity = max(1.0, self.rate_limit * self.burst)
        if self._tokens < 0:  # the first call: a full bucket
            self._tokens = capacity
        self._tokens = min(capacity, self._tokens + (now - self._refilled) * self.rate_limit)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        self.rate_limited += 1
        return max(1, math.ceil((1.0 - self._tokens) / self.rate_limit))

    # what the person sees ----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def take_refusals(self) -> list[Refusal]:
        """The refusals so far, declared as provoked by the test (the list is emptied)."""
        refused, self.refusals = self.refusals, []
        return refused

    def sent(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages.values() if m.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.sent(chat_id)]

    def transcript(self, chat_id: int) -> str:
        return "\n\n".join(self.texts(chat_id))

    def last(self, chat_id: int) -> SentMessage:
        return self.sent(chat_id)[-1]

    def buttons(self, chat_id: int) -> list[dict]:
        for sent in reversed(self.sent(chat_id)):
            if sent.reply_markup:
                return [b for row in sent.reply_markup["inline_keyboard"] for b in row]
        return []

    def message_json(self, sent: SentMessage) -> dict:
        message = {"message_id": sent.message_id, "date": int(time.time()),
                   "chat": self.chats.get(sent.chat_id, chat_json(sent.chat_id)),
                   "from": self.user}
        if sent.file is None:
            message["text"] = sent.text
        elif sent.file["kind"] == "photo":
            message["photo"] = [{"file_id": f"photo{sent.message_id}", "width": 800,
                                 "height": 600, "file_unique_id": f"u{sent.message_id}",
                                 "file_size": len(sent.file["data"])}]
        else:
            message["document"] = {"file_id": f"doc{sent.message_id}",
                                   "file_unique_id": f"u{sent.message_id}",
                                   "file_name": sent.file["filename"],
                                   "mime_type": sent.file["content_type"],
                                   "file_size": len(sent.file["data"])}
        if sent.file is not None and sent.text:
            message["caption"] = sent.text
        if sent.entities:
            message["caption_entities" if sent.file else "entities"] = sent.entities
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Until `predicate()` holds, re-checked after every call the fake answers."""
        assert self._changed is not None

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    async def wait_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Until `count` calls of `method` have been answered; returns them."""
        await self.wait_for(lambda: len([c for c in self.calls_to(method) if c.status])
                            >= count, timeout)
        return self.calls_to(method)

    def served(self) -> int:
        """How many updates getUpdates has handed out, repeats included."""
        return sum(len(c.result) for c in self.calls if c.method == "getUpdates" and c.result)

    async def wait_idle(self, settle: float = 0.05, timeout: float = 5.0) -> None:
        """Until every pushed update was fetched and, for `settle` seconds, no call ran but
        empty long polls. A long poll that returned updates counts as activity: the bot is
        handling them. Checked every few milliseconds, so a quiet bot costs only `settle`;
        an adapter run by the harness also says when it has handled every update it was
        served, and then QUIET seconds without a call will do (every call an update causes is
        made before its handler returns; QUIET covers the step from one call to the next of
        work no update started, e.g. the outbox's)."""
        def last_activity() -> float:
            return max((c.finished for c in self.calls
                        if c.method != "getUpdates" or c.result), default=0.0)

        async def idle() -> None:
            while True:
                await asyncio.sleep(0.01)
                busy = any(n for m, n in self.in_flight.items() if m != "getUpdates")
                quiet = time.monotonic() - last_activity()
                if not self.updates and not busy and (quiet >= settle or (
                        quiet >= QUIET and self.handled_all is not None and self.handled_all())):
                    return

        await asyncio.wait_for(idle(), timeout)

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()


class FakeTelegram:
    """The server: one aiohttp app on 127.0.0.1 and a random port, any number of bots."""

    def __init__(self, latency: float = 0.0):
        self.latency = latency  # seconds added to every call, as a network round trip
        self.bots: dict[str, FakeBot] = {}
        self.port = 0
        self._runner: web.AppRunner | None = None
        # Big enough for any upload Telegram takes, so the fake (not aiohttp) refuses the rest.
        app = web.Application(client_max_size=2 * MAX_DOCUMENT)
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/bot{token}/{method}", self._api)
        app.router.add_post("/_fake/bots", self._control_add_bot)
        app.router.add_post("/_fake/{token}/updates", self._control_push)
        app.router.add_get("/_fake/{token}/wait", self._control_wait)
        app.router.add_post("/_fake/{token}/options", self._control_options)
        app.router.add_get("/_fake/{token}/summary", self._control_summary)
        app.router.add_post("/_fake/{token}/reset", self._control_reset)
        app.router.add_post("/_fake/{token}/messages", self._control_messages)
        self._app = app

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def add_bot(self, token: str, username: str = "CampaignTestBot",
                bot_id: int | None = None) -> FakeBot:
        bot_id = bot_id or int(token.split(":", 1)[0])
        bot = FakeBot(self, token, username, bot_id)
        bot._changed = asyncio.Condition()
        self.bots[token] = bot
        return bot

    async def start(self, port: int = 0) -> None:
        # handler_cancellation: a client that hangs up (PTB stopping mid long-poll) ends its
        # request here too, as at Telegram; shutdown_timeout: nothing lingers at cleanup.
        self._runner = web.AppRunner(self._app, handler_cancellation=True, access_log=None,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for bot in self.bots.values():
            if bot._poll and not bot._poll.done():
                bot._poll.set_result(None)
        if self._runner:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def wake(self, bot: FakeBot) -> None:
        if bot._poll and not bot._poll.done():
            bot._poll.set_result(None)

    # the Bot API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        bot = self.bots.get(request.match_info["token"])
        method = request.match_info["method"]
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        params = await self._params(request)
        call = Call(method, params, started=time.monotonic())
        bot.calls.append(call)
        bot.in_flight[method] = bot.in_flight.get(method, 0) + 1
        bot.peak_in_flight[method] = max(bot.peak_in_flight.get(method, 0),
                                         bot.in_flight[method])
        await bot._notify()  # a call arriving is news too (e.g. the first long poll)
        asked = False  # refused because the test asked for it (fail_next, rate_limit)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            failure = self._failure(bot, method, params)
            if failure and failure.hang:
                await asyncio.sleep(failure.hang)
            asked = True
            if failure and failure.status != 200:
                raise self._injected(failure)
            if method == "sendMessage" and bot.rate_limit:
                retry_after = bot.take_send_token()
                if retry_after is not None:
                    raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                                   {"retry_after": retry_after})
            asked = False
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            call.result = await handler(bot, params)
            call.status = 200
            bot.succeeded[method] = bot.succeeded.get(method, 0) + 1
            body, status = {"ok": True, "result": call.result}, 200
            if bot.answer_delay.get(method):
                await asyncio.sleep(bot.answer_delay[method])
        except ApiError as exc:
            call.status, call.error = exc.code, exc.description
            body, status = exc.body(), exc.code
        except (ValueError, KeyError, TypeError) as exc:  # malformed parameters
            call.status, call.error = 400, f"Bad Request: {type(exc).__name__}"
            body, status = ApiError(400, call.error).body(), 400
        finally:
            if call.status not in (0, 200) and not asked:
                chat = params.get("chat_id")
                refusal = Refusal(method, None if chat is None else str(chat), call.status,
                                  call.error)
                expected = any(m == method and text in call.error for m, text in bot.tolerate)
                (bot.tolerated if expected else bot.refusals).append(refusal)
            call.finished = time.monotonic()
            bot.in_flight[method] -= 1
            await bot._notify()
        if status == 502:
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html")
        return web.json_response(body, status=status)

    async def _params(self, request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:  # type: ignore[union-attr]
                    params[part.name] = {
                        "filename": part.filename, "size": len(data), "data": bytes(data),
                        "content_type": part.headers.get("Content-Type", "")}  # type: ignore
                else:
                    params[part.name] = data.decode("utf-8")
        elif request.can_read_body:
            params.update(dict(await request.post()))
        return params

    @staticmethod
    def _failure(bot: FakeBot, method: str, params: dict) -> Failure | None:
        for failure in bot.failures:
            if failure.method != method or failure.times <= 0:
                continue
            if failure.chat_id is not None and str(failure.chat_id) != str(params.get("chat_id")):
                continue
            if failure.after > 0:
                failure.after -= 1
                continue
            failure.times -= 1
            return failure
        return None

    @staticmethod
    def _injected(failure: Failure) -> ApiError:
        if failure.status == 429:
            return ApiError(429, failure.description or
                            f"Too Many Requests: retry after {failure.retry_after}",
                            {"retry_after": failure.retry_after})
        if failure.status == 403:
            return ApiError(403, failure.description or "Forbidden: bot was blocked by the user")
        if failure.status == 400:
            return ApiError(400, failure.description or "Bad Request: chat not found")
        return ApiError(failure.status, failure.description or "Internal Server Error")

    def _chat(self, bot: FakeBot, raw: Any) -> int:
        if isinstance(raw, str) and raw.startswith("@"):  # a public chat's username
            found = [c for c, chat in bot.chats.items()
                     if chat.get("username", "").lower() == raw[1:].lower()]
            if not found:
                raise bad("chat not found")
            raw = found[0]
        chat_id = int(raw)
        if chat_id in bot.migrated:
            raise ApiError(400, UPGRADED, {"migrate_to_chat_id": bot.migrated[chat_id]})
        if chat_id not in bot.chats and bot.any_chat and chat_id > 0:
            bot.chats[chat_id] = chat_json(chat_id)
        if chat_id not in bot.chats:
            raise bad("chat not found")
        if chat_id in bot.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _send_to(self, bot: FakeBot, raw: Any) -> int:
        """The chat a message goes to, within Telegram's per-chat limits."""
        chat_id = self._chat(bot, raw)
        if bot.chats[chat_id].get("type") == "channel":
            status = bot.admins.get(chat_id, {}).get(bot.id, "left")
            if status not in ("administrator", "creator"):
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            if not bot.rights.get((chat_id, bot.id), {}).get("can_post_messages"):
                raise bad("need administrator rights in the channel chat")
        retry_after = bot.take_chat_turn(chat_id)
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                           {"retry_after": retry_after})
        return chat_id

    async def _m_getMe(self, bot: FakeBot, params: dict) -> dict:
        return bot.user | {"can_join_groups": True, "can_read_all_group_messages": False,
                           "supports_inline_queries": False}

    async def _m_deleteWebhook(self, bot: FakeBot, params: dict) -> bool:
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            bot.updates.clear()
        return True

    async def _m_getUpdates(self, bot: FakeBot, params: dict) -> list:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if params.get("allowed_updates"):
            allowed = params["allowed_updates"]
            bot.allowed_updates = json.loads(allowed) if isinstance(allowed, str) else allowed
        if bot._poll and not bot._poll.done():  # Telegram: the newer request wins
            bot._poll.set_exception(ApiError(409, CONFLICT))
        deadline = time.monotonic() + timeout
        while True:
            if offset:  # an offset confirms every update before it
                bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
            ready = [u for u in bot.updates if self._allowed(bot, u)][:limit]
            left = deadline - time.monotonic()
            if ready or left <= 0:
                return ready
            poll = bot._poll = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(poll, left)
            except TimeoutError:
                return []
            finally:
                if bot._poll is poll:
                    bot._poll = None

    @staticmethod
    def _allowed(bot: FakeBot, update: dict) -> bool:
        # Telegram's default is every update type except chat_member and a few others.
        wanted = bot.allowed_updates or ("message", "edited_message", "channel_post",
                                         "edited_channel_post", "callback_query",
                                         "inline_query", "my_chat_member")
        return any(kind in update for kind in wanted)

    async def _m_sendMessage(self, bot: FakeBot, params: dict) -> dict:
        chat_id = self._send_to(bot, params.get("chat_id"))
        text, entities = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_markup(params.get("reply_markup"))
        sent = SentMessage(chat_id, bot.new_message_id(chat_id), params["text"], text,
                           entities, markup)
        bot.messages[(chat_id, sent.message_id)] = sent
        return bot.message_json(sent)

    def _editable(self, bot: FakeBot, params: dict) -> SentMessage:
        chat_id = self._chat(bot, params.get("chat_id"))
        sent = bot.messages.get((chat_id, int(params.get("message_id") or 0)))
        if sent is None:
            raise bad("message to edit not found")
        return sent

    async def _m_editMessageText(self, bot: FakeBot, params: dict) -> dict:
        sent = self._editable(bot, params)
        if sent.file is not None:
            raise bad("there is no text in the message to edit")
        text, entities = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_markup(params.get("reply_markup"))
        if (text, entities, markup) == (sent.text, sent.entities, sent.reply_markup):
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        sent.html, sent.text, sent.entities, sent.reply_markup = (
            params["text"], text, entities, markup)
        sent.edits += 1
        return bot.message_json(sent)

    async def _m_editMessageReplyMarkup(self, bot: FakeBot, params: dict) -> dict:
        sent = self._editable(bot, params)
        markup = check_markup(params.get("reply_markup"))
        if markup == sent.reply_markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        sent.reply_markup = markup
        sent.edits += 1
        return bot.message_json(sent)

    async def _m_answerCallbackQuery(self, bot: FakeBot, params: dict) -> bool:
        query_id = params.get("callback_query_id")
        if bot.queries.get(query_id, True):  # unknown, or answered already
            raise bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        if bot.now() - bot.query_born[query_id] > bot.query_lifetime:
            raise bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        if len(params.get("text") or "") > MAX_ALERT:
            raise bad("MESSAGE_TOO_LONG")
        bot.queries[query_id] = True
        return True

    async def _m_setMyCommands(self, bot: FakeBot, params: dict) -> bool:
        commands = params.get("commands")
        commands = json.loads(commands) if isinstance(commands, str) else commands
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("commands list is invalid")
        for command in commands:
            if not BOT_COMMAND.match(command.get("command", "")):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[self._scope(bot, params)] = commands
        return True

    async def _m_deleteMyCommands(self, bot: FakeBot, params: dict) -> bool:
        bot.commands.pop(self._scope(bot, params), None)
        return True

    async def _m_getMyCommands(self, bot: FakeBot, params: dict) -> list:
        return bot.commands.get(self._scope(bot, params), [])

    def _scope(self, bot: FakeBot, params: dict) -> str:
        """"default", "chat:42"; with a language_code, "default/es", "chat:42/es"."""
        raw = params.get("scope")
        scope = (json.loads(raw) if isinstance(raw, str) else raw) or {"type": "default"}
        key = scope["type"]
        if scope["type"] == "chat":
            self._chat(bot, scope["chat_id"])
            key = f"chat:{scope['chat_id']}"
        return key + self._language(params)

    @staticmethod
    def _language(params: dict) -> str:
        """Telegram: a two-letter ISO 639-1 code, or none (empty: none)."""
        code = params.get("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad("language code is invalid")
        return f"/{code}" if code else ""

    async def _m_setMyDescription(self, bot: FakeBot, params: dict) -> bool:
        return self._describe(bot.descriptions, params, "description", 512)

    async def _m_setMyShortDescription(self, bot: FakeBot, params: dict) -> bool:
        return self._describe(bot.short_descriptions, params, "short_description", 120)

    def _describe(self, where: dict[str, str], params: dict, name: str, limit: int) -> bool:
        """Keyed by language code ("" for none); an empty text removes it, as Telegram does."""
        text = params.get(name) or ""
        code = self._language(params).lstrip("/")
        if len(text) > limit:
            raise bad(f"{name} is too long")  # Telegram: "Bad Request: description is too long"
        if text:
            where[code] = text
        else:
            where.pop(code, None)
        return True

    async def _m_getChat(self, bot: FakeBot, params: dict) -> dict:
        chat = bot.chats[self._chat(bot, params.get("chat_id"))]
        return chat | {"accent_color_id": 0, "max_reaction_count": 11,
                       "accepted_gift_types": {"unlimited_gifts": False,
                                               "limited_gifts": False,
                                               "unique_gifts": False,
                                               "premium_subscription": False,
                                               "gifts_from_channels": False}}

    async def _m_deleteMessage(self, bot: FakeBot, params: dict) -> bool:
        chat_id = self._chat(bot, params.get("chat_id"))
        if bot.messages.pop((chat_id, int(params.get("message_id") or 0)), None) is None:
            raise bad("message to delete not found")
        return True

    async def _m_getChatMember(self, bot: FakeBot, params: dict) -> dict:
        raw = params["chat_id"]
        chat_id = self._chat(bot, raw) if str(raw).startswith("@") else int(raw)
        if chat_id in bot.migrated:
            self._chat(bot, chat_id)
        if chat_id not in bot.chats:
            raise bad("chat not found")
        user_id = int(params["user_id"])
        status = bot.admins.get(chat_id, {}).get(user_id, "member")
        member: dict[str, Any] = {"status": status, "user": user_json(user_id)}
        if status == "kicked":
            member["until_date"] = 0  # banned for good
        if status == "restricted":  # a member who may not post
            member |= {"is_member": True, "until_date": 0} | {flag: False for flag in (
                "can_send_messages", "can_send_audios", "can_send_documents",
                "can_send_photos", "can_send_videos", "can_send_video_notes",
                "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                "can_add_web_page_previews", "can_change_info", "can_invite_users",
                "can_pin_messages", "can_manage_topics", "can_edit_tag",
                "can_react_to_messages")}
        if status in ("administrator", "creator"):
            member["is_anonymous"] = False
        if status == "administrator":
            member |= {flag: True for flag in (
                "can_be_edited", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories")}
            if bot.chats[chat_id].get("type") == "channel":  # only a channel's admins have these
                member |= bot.rights.get((chat_id, user_id), {
                    "can_post_messages": True, "can_edit_messages": True})
        return member

    async def _m_sendDocument(self, bot: FakeBot, params: dict) -> dict:
        return self._upload(bot, params, "document")

    async def _m_sendPhoto(self, bot: FakeBot, params: dict) -> dict:
        return self._upload(bot, params, "photo")

    def _upload(self, bot: FakeBot, params: dict, kind: str) -> dict:
        """A file uploaded as multipart/form-data (a file_id or URL string is not faked)."""
        upload = params.get(kind)
        if not isinstance(upload, dict):
            raise bad(f"there is no {kind} in the request")
        if kind == "document" and upload["size"] > MAX_DOCUMENT:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and upload["size"] > MAX_PHOTO:
            raise ApiError(400, PHOTO_TOO_BIG)
        chat_id = self._send_to(bot, params.get("chat_id"))
        caption, entities = "", []
        if params.get("caption"):
            caption, entities = check_text(params["caption"], params.get("parse_mode"))
            if utf16_len(caption) > MAX_CAPTION:
                raise bad("message caption is too long")
        markup = check_markup(params.get("reply_markup"))
        sent = SentMessage(chat_id, bot.new_message_id(chat_id), params.get("caption") or "",
                           caption, entities, markup,
                           file={"kind": kind, "filename": upload["filename"],
                                 "content_type": upload["content_type"],
                                 "data": upload["data"]})
        bot.messages[(chat_id, sent.message_id)] = sent
        return bot.message_json(sent)

    async def _m_close(self, bot: FakeBot, params: dict) -> bool:
        return True

    async def _m_logOut(self, bot: FakeBot, params: dict) -> bool:
        return True

    # control API, for a fake in another process -------------------------------------------

    async def _control_add_bot(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.add_bot(data["token"], data.get("username", "CampaignTestBot"))
        return web.json_response({"ok": True})

    async def _control_push(self, request: web.Request) -> web.Response:
        bot = self.bots[request.match_info["token"]]
        for update in await request.json():
            bot.push(update)
        return web.json_response({"ok": True})

    async def _control_wait(self, request: web.Request) -> web.Response:
        """Until `count` calls of `method` succeeded (or `timeout`): how many did, and the
        errors answered."""
        bot = self.bots[request.match_info["token"]]
        method, count = request.query["method"], int(request.query["count"])
        timeout = float(request.query.get("timeout", 60))

        try:  # a counter, not a scan of every call: this is re-checked after each call
            await bot.wait_for(lambda: bot.succeeded.get(method, 0) >= count, timeout)
        except TimeoutError:
            pass
        errors = [c.error for c in bot.calls if c.status not in (0, 200)]
        return web.json_response({"count": bot.succeeded.get(method, 0), "errors": errors[:10],
                                  "error_count": len(errors)})

    async def _control_options(self, request: web.Request) -> web.Response:
        """Set rate_limit, burst, any_chat, answer_delay, query_lifetime, chat_limits and the
        blocked chats."""
        bot = self.bots[request.match_info["token"]]
        data = await request.json()
        for key in ("rate_limit", "burst", "any_chat", "answer_delay", "query_lifetime",
                    "chat_limits"):
            if key in data:
                setattr(bot, key, data[key])
        bot.blocked.update(int(chat) for chat in data.get("blocked", ()))
        return web.json_response({"ok": True})

    async def _control_summary(self, request: web.Request) -> web.Response:
        """Who got the message `text` (HTML, as sent) and how often, by sendMessage calls
        answered 200; when the first and last of those calls arrived (this process's monotonic
        clock); the sendMessage answers by status and the 429s the rate limit served."""
        bot = self.bots[request.match_info["token"]]
        text = request.query["text"]
        copies: dict[str, int] = {}
        statuses: dict[str, int] = {}
        starts: list[float] = []
        for call in bot.calls:
            if call.method != "sendMessage":
                continue
            statuses[str(call.status)] = statuses.get(str(call.status), 0) + 1
            if call.status != 200 or call.params.get("text") != text:
                continue
            chat = str(call.params["chat_id"])
            copies[chat] = copies.get(chat, 0) + 1
            starts.append(call.started)
        first, last = (min(starts), max(starts)) if starts else (0.0, 0.0)
        per_second = [0] * (int(last - first) + 1)
        for started in starts:
            per_second[int(started - first)] += 1
        return web.json_response({
            "delivered": sum(copies.values()), "chats": len(copies),
            "chats_twice": sum(1 for n in copies.values() if n > 1),
            "first": first, "last": last, "per_second": per_second, "statuses": statuses,
            "rate_limited": bot.rate_limited})

    async def _control_messages(self, request: web.Request) -> web.Response:
        """Messages the bot "sent" earlier, as sendMessage would store them (checked the same
        way): {"chats": [ids], "html": ..., "reply_markup": {...}} -> their JSON, which a press
        on them echoes (the bench's lists, which an RSVP press edits in place)."""
        bot = self.bots[request.match_info["token"]]
        body = await request.json()
        text, entities = check_text(body["html"], "HTML")
        markup = check_markup(body.get("reply_markup"))
        shown = []
        for chat_id in body["chats"]:
            sent = SentMessage(chat_id, bot.new_message_id(chat_id), body["html"], text,
                               entities, markup)
            bot.messages[(chat_id, sent.message_id)] = sent
            shown.append(bot.message_json(sent))
        return web.json_response(shown)

    async def _control_reset(self, request: web.Request) -> web.Response:
        bot = self.bots[request.match_info["token"]]
        bot.calls.clear()
        bot.messages.clear()
        bot.succeeded.clear()
        return web.json_response({"ok": True})


async def _serve(latency: float, bots: list[str], port: int) -> None:
    fake = FakeTelegram(latency)
    for spec in bots:
        token, _, username = spec.partition("=")
        fake.add_bot(token, username or "CampaignTestBot")
    await fake.start(port)
    print(fake.port, flush=True)
    try:
        await asyncio.Event().wait()  # until killed
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per call")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bot", action="append", default=[], help="TOKEN=username")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.latency, args.bot, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

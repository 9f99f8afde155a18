"""Sending to Telegram, and what each failure means. One code path for inline replies (which
try patiently) and for the outbox (which gets the classification back and decides itself).

PTB's exception tree does not follow the classes we need: BadRequest and TimedOut both
subclass NetworkError, so "retry on NetworkError" would resend refused messages and duplicate
ones that arrived but timed out. `classify` therefore looks at the exact class and, for
transport errors, at the httpx exception behind it: an error before the request left
(connect, pool) is safe to retry, one after it (read timeout, dropped connection) is not.

The transport lives here too: PTB's httpx request, which reports a refused token, and the
filter that keeps the token (part of every request URL) out of the loggers that see URLs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import httpx
from telegram import Bot as PTBBot
from telegram import InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from ...core import Attachment, Reply
from ...logs import RedactTokens
from ...sender import CHAT_MOVED, MESSAGE_GONE, DeliveryResult, Outcome
from ...text import is_ascii_digits
from .render import render, render_parts

log = logging.getLogger(__name__)

# 400s that mean the chat is not there for us any more, like a 403 (Telegram answers "chat not
# found" for a person who deleted their account or never opened the bot).
GONE_400 = ("chat not found", "user not found", "peer_id_invalid", "group chat was deactivated")
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form is going away
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(exc: BaseException) -> DeliveryResult:
    """One failed Bot API call -> what to do about it. Most specific classes first."""
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        return DeliveryResult(Outcome.RETRY, retry_after_seconds(exc), "429")
    if isinstance(exc, Forbidden):  # blocked, deactivated, never started, removed from group
        return DeliveryResult(Outcome.GONE, reason="403")
    if isinstance(exc, BadRequest):
        message = exc.message.lower()
        if any(marker in message for marker in GONE_400):
            return DeliveryResult(Outcome.GONE, reason="400 chat not found")
        return DeliveryResult(Outcome.PERMANENT, reason="400")
    if isinstance(exc, TimedOut):
        if isinstance(exc.__cause__, NOT_SENT):  # the request never left: retrying is safe
            return DeliveryResult(Outcome.RETRY, reason=type(exc.__cause__).__name__)
        return DeliveryResult(Outcome.UNCERTAIN, reason="timeout")
    if isinstance(exc, ChatMigrated):  # a group became a supergroup (Sending follows it)
        return DeliveryResult(Outcome.PERMANENT, reason="chat migrated")
    if isinstance(exc, InvalidToken):
        return DeliveryResult(Outcome.PERMANENT, reason="invalid token")
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        if cause is None or isinstance(cause, NOT_SENT):  # 5xx answer, or no connection
            return DeliveryResult(Outcome.RETRY, reason=name if cause is None else
                                  type(cause).__name__)
        if isinstance(cause, httpx.HTTPError):  # the connection broke after sending
            return DeliveryResult(Outcome.UNCERTAIN, reason=type(cause).__name__)
        return DeliveryResult(Outcome.RETRY, reason=name)
    if isinstance(exc, TelegramError):  # e.g. an unreadable answer: it may have been sent
        return DeliveryResult(Outcome.UNCERTAIN, reason=name)
    return DeliveryResult(Outcome.UNCERTAIN, reason=name)


LOGGERS_WITH_URLS = ("telegram", "httpx", "httpcore")
_guarded: set[tuple[str, str]] = set()


def guard_logs(token: str) -> None:
    """Redact the token on every logger that can see a request URL (PTB logs its API URL at
    DEBUG, httpx every request URL at INFO), whatever handlers are attached (bot.logs on the
    root in production, pytest's caplog in tests). Logger filters apply only to records of
    that very logger, so each one gets it."""
    names = [name for name in logging.root.manager.loggerDict
             if any(name == p or name.startswith(p + ".") for p in LOGGERS_WITH_URLS)]
    for name in {*names, "telegram.Bot", "telegram.ext.ExtBot", *LOGGERS_WITH_URLS}:
        if (name, token) not in _guarded:
            logging.getLogger(name).addFilter(RedactTokens([token]))
            _guarded.add((name, token))


class GuardedRequest(HTTPXRequest):
    """PTB's httpx transport, telling the adapter when Telegram refuses the token: polling
    would otherwise stop quietly while the process looks alive."""

    def __init__(self, on_invalid_token: Callable[[], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_invalid_token = on_invalid_token

    async def post(self, *args, **kwargs):  # type: ignore[override]
        try:
            return await super().post(*args, **kwargs)
        except InvalidToken:
            self._on_invalid_token()
            raise


class Sending:
    """Send rendered replies to chats and classify the outcome.

    Patient sends (inline replies) follow Telegram's rules: after a 429, wait exactly
    retry_after and send once more; 5xx and connection errors retry a few times with backoff;
    a timeout after the request went out is never resent, since the message may have arrived.
    A 429 halts that chat for everyone sending to it, concurrent senders included, until
    retry_after has passed (the halt PTB's AIORateLimiter releases early, PTB #5338).

    A group upgraded to a supergroup has a new id, which Telegram gives in its refusal: the
    message is sent there at once, `on_migrated(old, new)` moves what is stored about the chat,
    and later sends to the old id go to the new one."""

    def __init__(self, bot: PTBBot, stopping: asyncio.Event, *, retries: int = 3,
                 backoff: float = 0.5,
                 on_migrated: Callable[[str, str], Awaitable[object]] | None = None) -> None:
        self._bot, self._stopping = bot, stopping
        self.retries, self.backoff = retries, backoff
        self._halted: dict[str, float] = {}  # chat id -> monotonic time the 429 halt ends
        self._on_migrated = on_migrated
        self._moved: dict[str, str] = {}  # old group id -> its supergroup's id

    async def deliver(self, chat_id: str, reply: Reply, *, patient: bool = False,
                      skip: int = 0) -> DeliveryResult:
        """Send one reply (one or more messages), each tried once unless `patient`. The
        result counts the messages that arrived (`parts_done`, the `skip`ped ones included),
        so a caller retrying a reply that failed part-way sends only the rest."""
        chunks = render_parts(reply)
        if not chunks:
            return DeliveryResult(Outcome.PERMANENT, reason="empty reply")
        result = DeliveryResult(Outcome.DELIVERED)  # every part arrived on an earlier try
        for index in range(skip, len(chunks)):
            text, markup, attachment = chunks[index]
            result = await self.send(chat_id, text, markup, patient=patient,
                                     attachment=attachment)
            if attachment is not None and result.outcome is Outcome.PERMANENT and text:
                # A refused file (an image Telegram cannot process): its caption still goes.
                log.warning("telegram: a file was refused (%s); sending its text alone",
                            result.reason)
                result = await self.send(chat_id, text, markup, patient=patient)
            if not result.ok:
                if result.outcome is Outcome.GONE:
                    log.info("telegram: a chat is gone (%s); not sending to it", result.reason)
                elif result.outcome is not Outcome.RETRY or patient:
                    log.warning("telegram: sending failed: %s %s", result.outcome.value,
                                result.reason)
                return replace(result, parts_done=index)
        return replace(result, parts_done=len(chunks))

    async def send(self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None, *,
                   patient: bool, attachment: Attachment | None = None) -> DeliveryResult:
        attempts, waited_429 = 0, False
        chat_id = self._moved.get(chat_id, chat_id)
        while True:
            left = self._halted.get(chat_id, 0.0) - time.monotonic()
            if left > 0:
                if not patient:
                    return DeliveryResult(Outcome.RETRY, left, "429 halt")
                if not await self._sleep(left):
                    return DeliveryResult(Outcome.RETRY, left, "stopping")
            try:
                message = await self._post(target(chat_id), text, markup, attachment)
                if self._halted.get(chat_id, 0.0) < time.monotonic():
                    self._halted.pop(chat_id, None)  # an old halt: keep the table small
                return DeliveryResult(Outcome.DELIVERED, message_id=str(message.message_id))
            except ChatMigrated as exc:
                if self._on_migrated is None or chat_id in self._moved.values():
                    return classify(exc)
                new_id = str(exc.new_chat_id)
                log.info("telegram: a group became a supergroup; following it to its new id")
                self._moved[chat_id] = new_id
                await self._on_migrated(chat_id, new_id)
                chat_id = new_id
                continue
            except TelegramError as exc:  # PTB raises nothing else for a platform answer
                result = classify(exc)
            if result.outcome is not Outcome.RETRY:
                return result
            if result.retry_after is not None:
                until = time.monotonic() + result.retry_after
                self._halted[chat_id] = max(until, self._halted.get(chat_id, 0.0))
                if not patient or waited_429:
                    return result
                waited_429 = True  # the loop waits out the halt, then sends once more
                continue
            attempts += 1
            if not patient or attempts > self.retries:
                return result
            if not await self._sleep(self.backoff * 2 ** (attempts - 1)):
                return result

    async def _post(self, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None,
                    attachment: Attachment | None):
        """One message: text, or a file (an image as a photo, shown inline; anything else as
        a document) with `text` as its caption."""
        if attachment is None:
            return await self._bot.send_message(chat_id=chat_id, text=text,
                                                parse_mode=ParseMode.HTML, reply_markup=markup)
        upload = InputFile(attachment.data, filename=attachment.filename)
        send = self._bot.send_photo if attachment.is_image else self._bot.send_document
        return await send(chat_id, upload, caption=text or None,
                          parse_mode=ParseMode.HTML if text else None, reply_markup=markup)

    async def edit(self, chat_id: str, message_id: str, reply: Reply, *,
                   buttons_only: bool = False) -> DeliveryResult:
        """Replace the text and keyboard of a message this bot sent (the announcement's
        progress message, a list whose button was pressed), once, classified; with
        `buttons_only`, the keyboard alone (the text is the same). An edit cannot add messages:
        only the first message's worth of `reply` fits."""
        chunks = render(reply)
        if not chunks or not is_ascii_digits(message_id):
            return DeliveryResult(Outcome.PERMANENT, reason="nothing to edit")
        if chat_id in self._moved:  # never the old id in the new chat: another message has it
            return DeliveryResult(Outcome.PERMANENT, reason=CHAT_MOVED)
        left = self.halted_for(chat_id)
        if left:
            return DeliveryResult(Outcome.RETRY, left, "429 halt")
        text, markup = chunks[0]
        try:
            if buttons_only:
                await self._bot.edit_message_reply_markup(
                    chat_id=target(chat_id), message_id=int(message_id), reply_markup=markup)
            else:
                await self._bot.edit_message_text(
                    text, chat_id=target(chat_id), message_id=int(message_id),
                    parse_mode=ParseMode.HTML, reply_markup=markup)
        except ChatMigrated as exc:
            return await self._edit_migrated(chat_id, exc)
        except TelegramError as exc:
            if isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower():
                return DeliveryResult(Outcome.DELIVERED, message_id=message_id)  # shown already
            if isinstance(exc, BadRequest) and "message to edit not found" in exc.message.lower():
                return DeliveryResult(Outcome.PERMANENT, reason=MESSAGE_GONE)  # deleted
            result = classify(exc)
            if result.retry_after is not None:
                until = time.monotonic() + result.retry_after
                self._halted[chat_id] = max(until, self._halted.get(chat_id, 0.0))
            return result
        return DeliveryResult(Outcome.DELIVERED, message_id=message_id)

    async def _edit_migrated(self, chat_id: str, exc: ChatMigrated) -> DeliveryResult:
        """An edit in a group that became a supergroup: follow it like a send does (stored
        rows move to the new id, later sends go there), but the message itself stayed behind,
        so the edit cannot be done: CHAT_MOVED tells the caller to post afresh."""
        if self._on_migrated is None:
            return classify(exc)
        new_id = str(exc.new_chat_id)
        log.info("telegram: a group became a supergroup; following it to its new id")
        self._moved[chat_id] = new_id
        await self._on_migrated(chat_id, new_id)
        return DeliveryResult(Outcome.PERMANENT, reason=CHAT_MOVED)

    def halted_for(self, chat_id: str) -> float:
        """Seconds left of a 429 halt on this chat (0: none)."""
        return max(0.0, self._halted.get(chat_id, 0.0) - time.monotonic())

    async def _sleep(self, seconds: float) -> bool:
        """Wait, unless the adapter is stopping: then give up at once (False)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return True
        return False


def target(chat_id: str) -> int | str:
    """Numeric chat ids as int; '@channelname' stays a string."""
    return int(chat_id) if is_ascii_digits(chat_id.lstrip("-")) else chat_id


def base_file_url(base_url: str) -> str:
    # A self-hosted Bot API server serves files at <host>/file/bot<token>, like Telegram.
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url

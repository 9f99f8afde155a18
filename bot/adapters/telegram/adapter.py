"""Telegram front end on python-telegram-bot: updates in, the core's replies out.

No campaign logic here: messages become `Incoming` values, `Dispatcher.handle` answers, and the
replies are rendered as Telegram HTML with inline keyboards. app.py owns the event loop and the
signals, so PTB runs the way its docs describe for running next to other asyncio code:
initialize/start/start_polling, and the reverse to stop (never run_polling, which would own
the loop and install its own signal handlers).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from functools import partial

from telegram import CallbackQuery, ChatMemberUpdated, Update
from telegram import Message as TgMessage
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from ... import i18n
from ...core import ChatRef, Incoming, Reply, UserRef, button_incoming, parse_command
from ...dispatch import Dispatcher
from ...sender import ChatAccess, DeliveryResult, Outcome
from ...text import is_ascii_digits, shorten
from .capabilities import CAPABILITIES
from .chats import chat_access, delete_message
from .edits import replace_pressed
from .menus import Menus
from .render import plain
from .sending import GuardedRequest, Sending, base_file_url, guard_logs
from .updates import PLATFORM, PerUserOrder, sender

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
# The only commands whose answer in a group depends on the sender managing it; asking
# Telegram (getChatMember) for every command would cost a call per message.
CHAT_ADMIN_COMMANDS = frozenset({"subscribe", "unsubscribe"})
MAX_ALERT = 200  # Telegram: callback query answer text, 0-200 characters
STOP_BUDGET = 3.0  # app.py allows 4 s per front end: leave time to close the HTTP clients


class TelegramAdapter:
    """One bot token's front end. `concurrency` bounds the updates handled at once (32: more
    buys little, since PTB's httpx pool gets slower per request as it grows, see bench/)."""

    platform = PLATFORM

    def __init__(self, bot: Dispatcher, token: str, stop: asyncio.Event, *, concurrency: int = 32,
                 poll_timeout: float = 10.0, read_timeout: float = 5.0, retries: int = 3,
                 backoff: float = 0.5) -> None:
        self.bot, self._token, self._stop = bot, token, stop
        self.failed = False
        self.username = ""
        self._concurrency, self._poll_timeout = concurrency, poll_timeout
        self._read_timeout = read_timeout
        self._stopping = asyncio.Event()
        self._application: Application | None = None
        self._retries, self._backoff = retries, backoff
        self.sending: Sending | None = None
        self.menus: Menus | None = None  # the command menus and descriptions (menus.py)
        self._requests: tuple[GuardedRequest, ...] = ()

    # lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        guard_logs(self._token)  # before building: PTB logs the token-bearing URL right away
        base_url = self.bot.config.telegram.base_url

        def request(pool: int) -> GuardedRequest:
            return GuardedRequest(self._token_refused, connection_pool_size=pool,
                                  read_timeout=self._read_timeout, pool_timeout=5.0)

        # Each update has at most two calls in flight (a button's answer and its reply).
        self._requests = (request(2 * self._concurrency + 8), request(2))
        application = (
            ApplicationBuilder().token(self._token).base_url(base_url)
            .base_file_url(base_file_url(base_url))
            .request(self._requests[0]).get_updates_request(self._requests[1])
            .concurrent_updates(PerUserOrder(self._concurrency)).job_queue(None).build()
        )
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        self._application = application
        self.sending = Sending(application.bot, self._stopping, retries=self._retries,
                               backoff=self._backoff, on_migrated=partial(
                                   self.bot.store.move_chat, PLATFORM))
        try:
            await application.initialize()  # getMe: a refused token fails here
            self.username = application.bot.username
            self.bot.deep_links[PLATFORM] = self.deep_link
            self.menus = Menus(self.bot, application.bot)
            await self.menus.set_all()
            await application.start()
            await application.updater.start_polling(  # type: ignore[union-attr]
                timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_error)
        except TelegramError as exc:
            # PTB's InvalidToken message quotes the token itself.
            why = str(exc).replace(self._token, "[token]")
            log.error("telegram: could not start: %s: %s", type(exc).__name__, why)
            self._fail()
            await self.stop()
            return
        log.info("telegram: polling as @%s", self.username)

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, close the HTTP clients. Idempotent."""
        self._stopping.set()  # cut any retry wait short
        application = self._application
        if application is None:
            return
        try:
            updater = application.updater
            if updater is not None and updater.running:
                await updater.stop()
            if application.running:
                try:
                    await asyncio.wait_for(application.stop(), STOP_BUDGET)
                except TimeoutError:
                    log.warning("telegram: updates still in hand after %s s; stopping anyway",
                                STOP_BUDGET)
        finally:
            if self.bot.deep_links.get(PLATFORM) == self.deep_link:
                del self.bot.deep_links[PLATFORM]
            await application.shutdown()
            for request in self._requests:  # also when initialize() failed half way
                await request.shutdown()

    def _fail(self) -> None:
        self.failed = True
        self._stop.set()  # the whole process stops and exits non-zero: a supervisor notices

    def _token_refused(self) -> None:
        if not self.failed:
            log.error("telegram: Telegram refused the bot token; check TELEGRAM_BOT_TOKEN")
        self._fail()

    def deep_link(self, command: str) -> str:
        return f"https://t.me/{self.username}?start={command}"

    async def deliver(self, chat_id: str, reply: Reply, *, skip: int = 0) -> DeliveryResult:
        """The outbox's way out (delivery.Sender): one attempt, classified."""
        if self.sending is None:
            return DeliveryResult(Outcome.RETRY, reason="not started")
        return await self.sending.deliver(chat_id, reply, skip=skip)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> DeliveryResult:
        """Replace a message sent by deliver() (the announcement progress message)."""
        if self.sending is None:
            return DeliveryResult(Outcome.RETRY, reason="not started")
        return await self.sending.edit(chat_id, message_id, reply)

    async def chat_access(self, ref: str) -> ChatAccess | None:
        """A channel or group named by @name or id, and whether the bot may post there."""
        assert self._application is not None
        return await chat_access(self._application.bot, ref)

    async def delete(self, chat_id: str, message_id: str) -> bool:
        """Delete a message the bot sent (a removed panel); True once it is gone."""
        if self._application is None or not is_ascii_digits(message_id):
            return False
        return await delete_message(self._application.bot, chat_id, message_id)

    # updates -----------------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_callback(update.callback_query)
        elif update.my_chat_member is not None:
            await self._on_member(update.my_chat_member)
        elif update.message is not None:
            await self._on_message(update.message)

    async def _on_message(self, message: TgMessage) -> None:
        chat = message.chat
        direct = chat.type == ChatType.PRIVATE
        text = message.text if message.text is not None else message.caption
        user, anonymous_admin = sender(message)
        where = ChatRef(PLATFORM, str(chat.id), is_direct=direct)
        locale = getattr(message.from_user, "language_code", None) or ""  # their app's
        pending = self.menus.pending if self.menus else set()
        if direct and is_ascii_digits(user.id) and int(user.id) in pending:
            assert self.menus is not None
            await self.menus.set_moderator(int(user.id))  # a moderator's first message: now
        parsed = parse_command(text, self.username) if text else None
        if parsed:
            name, args = parsed
            manages = anonymous_admin or (not direct and name in CHAT_ADMIN_COMMANDS
                                          and await self._manages(chat.id, user))
            incoming = Incoming("command", user, where, name=name, args=args,
                                can_manage_chat=manages, locale=locale)
        elif direct and (text is not None or message.effective_attachment is not None):
            # In a private chat anything else answers the open form question (a photo is
            # an empty answer), or gets a pointer to /help.
            incoming = Incoming("text", user, where, args=text or "", locale=locale)
        else:
            return  # groups: commands only; nothing personal is ever asked there
        await self._send_all(str(chat.id), await self.bot.handle(incoming), incoming)

    async def _on_callback(self, query: CallbackQuery) -> None:
        """Every query is answered, also when refused or stale, or the person's button spins.
        In a private chat the answer carries no text (the reply follows as a message) and goes
        out first, before the press is handled. Not alongside it: two calls in flight per
        update keep twice the connections open in httpx's pool, which checks every idle one
        on each request, and that cost the bot 2-3x the CPU per press of a bare PTB bot when
        the network was the limit (bench/telegram_throughput.py, README "Performance"). In a group
        the outcome goes to the presser alone, as the answer's alert: everyone would see a
        message posted there (an RSVP is nobody else's business)."""
        chat = query.message.chat if query.message is not None else None
        direct = chat is None or chat.type == ChatType.PRIVATE
        if direct:
            await self._answer(query)
        alert: str | None = None
        try:
            person = query.from_user
            user = UserRef(PLATFORM, str(person.id), person.full_name)
            where = ChatRef(PLATFORM, str(chat.id if chat else person.id), is_direct=direct)
            incoming = button_incoming(user, where, query.data or "",
                                       locale=person.language_code or "")
            replies = await self.bot.handle(incoming)
            if direct:
                pressed = query.message if isinstance(query.message, TgMessage) else None
                await self._send_all(where.id, replies, incoming, pressed)
            else:
                shown = [r for r in replies if isinstance(r, Reply)]
                alert = plain(shown[0].body).split("\n\n")[0].strip() if shown else ""
                alert = shorten(alert, MAX_ALERT)
        finally:
            if not direct:
                await self._answer(query, alert or None)

    async def _answer(self, query: CallbackQuery, alert: str | None = None) -> None:
        try:
            await query.answer(text=alert, show_alert=bool(alert))
        except TelegramError as exc:  # too old, or answered: the press was handled anyway
            log.info("telegram: callback query not answered: %s", type(exc).__name__)

    async def _on_member(self, update: ChatMemberUpdated) -> None:
        """The person blocked the bot (status "kicked" in their private chat): pause their
        daily prompts. Unblocking (back to "member") resumes them."""
        if update.chat.type != ChatType.PRIVATE:
            return
        old, new = update.old_chat_member.status, update.new_chat_member.status
        user_id = str(update.chat.id)
        if new == ChatMemberStatus.BANNED and old != ChatMemberStatus.BANNED:
            await self.bot.store.set_subscription_active(PLATFORM, user_id, False,
                                                         reason="blocked")
        elif new == ChatMemberStatus.MEMBER and old == ChatMemberStatus.BANNED:
            await self.bot.store.set_subscription_active(PLATFORM, user_id, True)

    async def _manages(self, chat_id: int, user: UserRef) -> bool:
        """The platform's word on whether `user` administers the chat (never the client's)."""
        if not is_ascii_digits(user.id):
            return False
        assert self._application is not None
        try:
            member = await self._application.bot.get_chat_member(chat_id, int(user.id))
        except TelegramError as exc:
            log.warning("telegram: getChatMember failed: %s", type(exc).__name__)
            return False
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    async def _send_all(self, chat_id: str, replies: list, incoming: Incoming,
                        pressed: TgMessage | None = None) -> None:
        """`pressed`: the message whose button was pressed; the first answer meant to replace
        it (Reply.edit) does, where Telegram allows (edits.py), else it comes as a new one."""
        assert self.sending is not None
        for reply in replies:
            if not isinstance(reply, Reply):
                continue
            if reply.attachments and CAPABILITIES.too_large(reply.attachments):
                tr = i18n.translator(await i18n.language_for(
                    self.bot.store, self.bot.config.languages, incoming))
                reply = CAPABILITIES.fitted(reply, tr)
            if reply.edit and pressed is not None:
                message, pressed = pressed, None
                if await replace_pressed(self.sending, message, reply):
                    continue
            result = await self.sending.deliver(chat_id, reply, patient=True)
            if result.outcome is Outcome.GONE:
                return  # blocked or gone: the rest would fail the same way

    # errors ------------------------------------------------------------------------------

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The exception's message may quote what someone typed: its type and stack only.
        error = context.error
        stack = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error("telegram: update failed with %s\n%s", type(error).__name__, stack.rstrip())

    def _polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed (%s); retrying", type(error).__name__)

"""Runs confirmed announcements one at a time: queues the recipients in the outbox, keeps the
moderator's progress message up to date, and reports per platform at the end.

It wakes when a moderator confirms, when an outbox worker has nothing left to send (so
"finished" comes at once), and every EVERY seconds anyway for the progress message. Rows for a
platform that is not connected are held, not waited for: the announcement finishes for the
connected ones and the next proceeds; the held rows go out when that platform connects, unless
the announcement has expired by then.

What the moderator reads here (progress, the report, pause alerts) is in their language: their
/settings choice, else the campaign's default (there is no request to negotiate from). What
recipients get is the announcement's version in their /settings language, else the default's
text: with versions, the stored body is a map of them, picked per row as it is sent
(`pick_version`), so the audience is still copied inside SQLite."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Self

from .capabilities import with_closable_dms
from .core import Button, Reply, reply_to_dict
from .dispatch import Dispatcher
from .handlers.messages import RENDER, announcement_reply, expiry, report_lines
from .i18n import N_, Translator, translator
from .sender import DMS_CLOSED, Sender

log = logging.getLogger(__name__)

PROGRESS = N_("Announcement #{id}: {done} / {total} sent")
FINISHED = N_("Announcement #{id} finished.")
WAITING = N_("{count} waiting for {platform} to connect.")
HELD = N_("Messages waiting for a platform go out when it connects, unless the announcement "
          "has expired by then.")
CANCELLED = N_("Announcement #{id} was cancelled.")
NOBODY = N_("Announcement #{id}: nobody to send it to.")
CANCEL = N_("Cancel")
VERSIONS = "announcement"  # the kind of a stored body that holds one version per language
EVERY = 3.0  # seconds between progress edits: often enough to watch, rare enough for limits
UNFINISHED = ("pending", "sending")


class Notice(str):
    """An alert for the moderators, said in each one's language: as a str, the English."""

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, /, **values: Any) -> Self:
        self = super().__new__(cls, message.format(**values))
        self.message, self.values = message, values
        return self


def versions_body(text: str, versions: dict[str, str]) -> dict:
    """The stored body of an announcement with versions: the default's reply and each
    language's (bot/outbox.py render_message picks one per recipient with `pick_version`)."""
    return {RENDER: VERSIONS, "default": reply_to_dict(announcement_reply(text)),
            "versions": {lang: reply_to_dict(announcement_reply(version))
                         for lang, version in versions.items()}}


def pick_version(body: dict, language: str | None) -> dict:
    """The reply (as stored) for a recipient whose /settings language is `language`."""
    return body["versions"].get(language or "", body["default"])


class AnnouncementRunner:
    def __init__(self, bot: Dispatcher, wake_workers: Callable[[], None] = lambda: None,
                 every: float = EVERY):
        self.bot = bot
        self.wake_workers = wake_workers
        self.every = every
        self._wake = asyncio.Event()
        self._shown: dict[int, str] = {}  # announcement id -> last progress text shown
        self._alerts: set[asyncio.Task] = set()

    def wake(self) -> None:
        self._wake.set()

    def alert(self, text: str) -> None:
        """Tell every moderator who has opened an announcement, privately (delivery paused,
        say), whether or not one is being sent; logged anyway by whoever raised it. The worker
        calls this once per pause."""
        task = asyncio.get_running_loop().create_task(self._alert(text))
        self._alerts.add(task)
        task.add_done_callback(self._alerts.discard)

    async def _alert(self, text: str) -> None:
        for platform, user_id in await self.bot.store.announcement_authors():
            sender = self.bot.senders.get(platform)
            if sender is None:
                continue
            if isinstance(text, Notice):
                said = (await self._tr(platform, user_id)).t(text.message, **text.values)
            else:
                said = text
            # Both platforms address a person's private chat by their user id: not the channel
            # they may have composed the announcement in.
            try:
                await sender.deliver(user_id, Reply.of(said))
            except Exception as exc:  # one moderator's failure must not silence the others
                log.error("alert to a moderator failed: %s", type(exc).__name__)

    async def _tr(self, platform: str, user_id: str) -> Translator:
        """A moderator's language: their /settings choice, else the campaign's default."""
        languages = self.bot.config.languages
        if len(languages) > 1 and user_id:
            saved = (await self.bot.store.settings_of(platform, user_id)).language
            if saved in languages:
                return translator(saved)
        return translator(languages[0])

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self.bot.senders)

    @property
    def closable_dms(self) -> tuple[str, ...]:
        return with_closable_dms(self.bot.capabilities)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before the step: a wake-up that arrives during it (the outbox drained
            # meanwhile) is not lost, it brings the next step at once.
            self._wake.clear()
            try:
                await self.step()
            except Exception as exc:
                log.error("announcement runner failed: %s", type(exc).__name__, exc_info=True)
            waiters = {asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())}
            _, pending = await asyncio.wait(waiters, timeout=self.every,
                                            return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    async def step(self) -> None:
        """One pass: release scheduled ones that are due, start the next queued one if none is
        sending, expire what is past its expiry, and update the progress of the one sending."""
        store, now = self.bot.store, self.bot.clock.now()
        for a in await store.announcements_in(("scheduled",), limit=100):
            if a.send_at and a.send_at <= now:
                await store.update_announcement(a.id, expect=("scheduled",), status="queued")
        sending = await store.announcements_in(("sending",), limit=1)
        if not sending:
            queued = await store.announcements_in(("queued",), limit=1)
            if queued:
                await self._start(queued[0])
            sending = await store.announcements_in(("sending",), limit=1)
        expired = await store.expire_announcement_rows(now)
        if expired:
            log.info("announcements: %d messages expired unsent", expired)
        for a in sending:
            await self._progress(a)
        for a in await store.announcements_in(("cancelled",), limit=100):
            if a.id in self._shown:  # cancelled while we showed progress: say so, once
                await self._cancelled(a)

    async def _start(self, a) -> None:
        store, now = self.bot.store, self.bot.clock.now()
        versions = await store.announcement_versions(a.id)
        # Without versions, the body is the finished reply, as it always was.
        body = (versions_body(a.text, versions) if versions
                else reply_to_dict(announcement_reply(a.text)))
        message = await store.message(f"ann:{a.id}", "announcement", body, now)
        # One transaction decides: queued -> sending with every recipient queued, or nothing
        # when Cancel came first. (A message row left behind by a cancelled start is unused.)
        added = await store.start_announcement(a, message, self.platforms, expiry(a, now), now)
        if added is None:
            log.info("announcement #%d was cancelled before it started", a.id)
            return
        log.info("announcement #%d: %d recipients queued", a.id, added)
        self.wake_workers()

    async def _progress(self, a) -> None:
        store = self.bot.store
        tr = await self._tr(a.author_platform, a.author_id)
        counts = await store.delivery_counts(a.message_id)  # one read: one consistent picture
        connected = self.platforms
        total = sum(sum(states.values()) for states in counts.values())
        unfinished = held = 0
        for platform, states in counts.items():
            waiting = sum(states.get(state, 0) for state in UNFINISHED)
            if platform in connected:
                unfinished += waiting
            else:
                held += waiting
        if unfinished == 0:
            await store.update_announcement(a.id, expect=("sending",), status="done",
                                            finished_at=self.bot.clock.now())
            closed = await store.gone_counts(a.message_id, DMS_CLOSED)
            head = FINISHED if total else NOBODY
            lines = [tr.t(head, id=a.id),
                     *report_lines(counts, closed, connected, self.closable_dms, tr)]
            if held:
                lines.append(tr.t(HELD))
            await self._show(a, Reply.of("\n".join(lines)), final=True)
            self._shown.pop(a.id, None)
            return
        lines = [tr.t(PROGRESS, id=a.id, done=tr.number(total - unfinished - held),
                      total=tr.number(total))]
        for platform, states in sorted(counts.items()):
            waiting = sum(states.get(state, 0) for state in UNFINISHED)
            if platform not in connected and waiting:
                lines.append(tr.t(WAITING, count=tr.number(waiting), platform=platform.title()))
        buttons = [[Button(tr.t(CANCEL), "ann", (str(a.id), "cancel"))]]
        await self._show(a, Reply.of("\n".join(lines), buttons=buttons))

    async def _cancelled(self, a) -> None:
        """The final word on a cancelled one, once the sends that were in flight have ended,
        so its counts are what happened."""
        store = self.bot.store
        counts = await store.delivery_counts(a.message_id) if a.message_id else {}
        connected = self.platforms
        if any(states.get("sending") for p, states in counts.items() if p in connected):
            return
        closed = await store.gone_counts(a.message_id, DMS_CLOSED) if a.message_id else {}
        tr = await self._tr(a.author_platform, a.author_id)
        lines = [tr.t(CANCELLED, id=a.id),
                 *report_lines(counts, closed, connected, self.closable_dms, tr)]
        await self._show(a, Reply.of("\n".join(lines)), final=True)
        del self._shown[a.id]

    async def _show(self, a, reply: Reply, final: bool = False) -> None:
        """Edit the progress message in the moderator's chat (or send it the first time)."""
        text = reply.plain_text()
        if self._shown.get(a.id) == text and not final:
            return
        sender: Sender | None = self.bot.senders.get(a.author_platform)
        if sender is None or not a.author_chat:
            return
        self._shown[a.id] = text
        if a.progress_id and hasattr(sender, "edit"):
            result = await sender.edit(a.author_chat, a.progress_id, reply)
            if result.ok:
                return
        result = await sender.deliver(a.author_chat, reply)
        if result.ok and result.message_id:
            await self.bot.store.update_announcement(
                a.id, expect=("sending", "done", "cancelled"), progress_id=result.message_id)

"""Per-person limits: someone who floods the bot (/sign and /unsign in a loop, RSVP toggles, any
command, button or typed answer) is told once to slow down, and the rest of their minute is
dropped, so one person can neither churn the database nor use up the bot's sending budget.

Why not aiolimiter (a dependency, used for sending): its AsyncLimiter makes a caller *wait* for
capacity, on the event loop's own clock, one limiter per key. Here an event over the limit must
be refused at once, the first refusal told apart from the rest (one notice, then silence), the
time must come from the bot's injected clock (tests use a FrozenClock, tests/support/clock.py,
and never sleep), and the people tracked must be bounded. A fixed one-minute window per person
does all of that in a dict.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from . import i18n
from .core import Incoming, Reply
from .i18n import N_

log = logging.getLogger(__name__)

PER_MINUTE = 20  # a whole /sign conversation is 5 events; nobody needs 20 a minute by hand
MODERATOR_PER_MINUTE = 60  # an announcement and a look at /stats and /announcements in between
WINDOW = timedelta(minutes=1)
# People counted at once: each costs ~200 bytes; beyond this the oldest window is dropped (that
# person starts a fresh minute), so a flood from many accounts cannot grow memory without end.
MAX_PEOPLE = 10_000

SLOW_DOWN = N_("You're going faster than I can keep up with, so I'll pause for a minute. "
               "Please try again then.")


class Verdict(Enum):
    GO = "go"
    NOTICE = "notice"  # the first event over the limit: answered with SLOW_DOWN
    DROP = "drop"  # every later one in the same minute


@dataclass
class _Window:
    start: datetime
    count: int = 0


class FloodGuard:
    def __init__(self, per_minute: int = PER_MINUTE,
                 moderator_per_minute: int = MODERATOR_PER_MINUTE,
                 window: timedelta = WINDOW, max_people: int = MAX_PEOPLE,
                 languages: Sequence[str] = (i18n.DEFAULT,)) -> None:
        self.per_minute, self.moderator_per_minute = per_minute, moderator_per_minute
        self.window, self.max_people = window, max_people
        self.languages = tuple(languages)  # the config's: what the notice may be said in
        # Ordered by window start (a new or restarted window moves to the end), so the windows
        # that have ended are always at the front and forgetting them is cheap.
        self._windows: OrderedDict[tuple[str, str], _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def check(self, key: tuple[str, str], now: datetime, *, moderator: bool = False) -> Verdict:
        """Count one event of `key` (platform, user id) at `now`."""
        self._forget_ended(now)
        window = self._windows.get(key)
        if window is None or not self._current(window, now):
            window = self._windows[key] = _Window(now)
            self._windows.move_to_end(key)
            while len(self._windows) > self.max_people:
                self._windows.popitem(last=False)
        window.count += 1
        limit = self.moderator_per_minute if moderator else self.per_minute
        if window.count <= limit:
            return Verdict.GO
        return Verdict.NOTICE if window.count == limit + 1 else Verdict.DROP

    def answer(self, incoming: Incoming, now: datetime, *, moderator: bool,
               answer_every: bool = False, exempt: bool = False,
               language: str | None = None) -> list[Reply] | None:
        """None: handle the event. Otherwise the whole answer to it: the notice the first time,
        then nothing; or the notice every time with `answer_every`, for adapters that must
        answer each event (Discord shows "This interaction failed" otherwise). `exempt`: the
        operator at a local front end (Capabilities.local: the console), who owns the database;
        there is no one to protect it from. `language`: the notice's, when the caller knows
        the person's; else their app's, negotiated (no database read for someone flooding)."""
        user = incoming.user
        if exempt:
            return None
        verdict = self.check((user.platform, user.id), now, moderator=moderator)
        if verdict is Verdict.GO:
            return None
        if verdict is Verdict.NOTICE:
            log.info("slowed down a person on %s", user.platform)  # who is personal data
        if verdict is Verdict.NOTICE or answer_every:
            lang = language or i18n.negotiate(incoming.locale, self.languages)
            return [Reply.of(i18n.translator(lang).t(SLOW_DOWN), private=True)]
        return []

    def _current(self, window: _Window, now: datetime) -> bool:
        # A clock set back (start in the future) ends the window too: never a longer pause.
        return window.start <= now < window.start + self.window

    def _forget_ended(self, now: datetime) -> None:
        while self._windows:
            first = next(iter(self._windows.values()))
            if self._current(first, now):
                return
            self._windows.popitem(last=False)

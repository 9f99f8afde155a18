"""A clock that stands still until a test moves it: injected wherever the bot takes a `Clock`,
so countdowns, schedules and expiry are tested without waiting for real time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class FrozenClock:
    current: datetime = field(default_factory=lambda: datetime(2027, 6, 1, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

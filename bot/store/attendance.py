"""SQL for attendance: after an event, whether each person who RSVPed made it. The answer is a
column of their RSVP row (`rsvps.attended`: NULL not answered, 1 there, 0 couldn't make it), so
it lives and goes with the RSVP: /forget and the retention purge of ended events erase both.
A mixin of Storage (bot/storage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .common import iso


@dataclass(frozen=True)
class EventTally:
    rsvps: int  # RSVPs standing for the event
    attended: int  # of them, answered "I was there"
    missed: int  # of them, answered "Couldn't make it"


class AttendanceStore:
    async def set_attendance(self, platform: str, user_id: str, event_id: str, attended: bool,
                             now: datetime) -> bool:
        """Record the person's answer (a later answer replaces an earlier one). False, and
        nothing stored, when they hold no RSVP for the event (cancelled or erased since)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE rsvps SET attended = ?, attended_at = ?"
                " WHERE platform = ? AND user_id = ? AND event_id = ?",
                (int(attended), iso(now), platform, user_id, event_id))
            return cursor.rowcount > 0

    async def attendance_of(self, platform: str, user_id: str) -> dict[str, bool | None]:
        """The person's RSVPs: event id -> True (there), False (couldn't), None (no answer)."""
        rows = await self._all("SELECT event_id, attended FROM rsvps"
                               " WHERE platform = ? AND user_id = ?", (platform, user_id))
        return {row[0]: None if row[1] is None else bool(row[1]) for row in rows}

    async def event_tallies(self) -> dict[str, EventTally]:
        """Per event id: RSVPs and attendance answers, one grouped query."""
        rows = await self._all(
            "SELECT event_id, COUNT(*), COALESCE(SUM(attended = 1), 0),"
            " COALESCE(SUM(attended = 0), 0) FROM rsvps GROUP BY event_id")
        return {row[0]: EventTally(row[1], row[2], row[3]) for row in rows}

    async def enqueue_attendance(self, event_id: str, message_id: int,
                                 platforms: tuple[str, ...], now: datetime,
                                 expires_at: datetime, ends_at: datetime | None = None) -> int:
        """One "Did you make it?" per RSVP standing for the event, to the person's private chat
        (addressed by their user id on both platforms), once: the idempotency key is per person
        and event. The row names the event, so cancelling the RSVP cancels it and the claim
        refuses it once the RSVP is gone. A platform is planned once (noted in platform_state),
        so the minute loop does not re-run the insert over every RSVP for two days. `ends_at`:
        when the event ends; both keys name it, so an event moved later in the config is asked
        about again after its new end (the rows queued for the old one are skipped when sent,
        since the event has not ended then)."""
        occasion = iso(ends_at) if ends_at is not None else ""
        added = 0
        async with self.transaction() as db:
            for platform in platforms:
                cursor = await db.execute(
                    "INSERT INTO platform_state (platform, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (platform, key) DO NOTHING",
                    (platform, f"attendance_asked:{event_id}:{occasion}", iso(now)))
                if not cursor.rowcount:  # planned on an earlier tick
                    continue
                cursor = await db.execute(
                    "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key,"
                    " not_before, updated_at, expires_at, event_id, priority)"
                    " SELECT ?, platform, user_id, user_id, 'attendance:' || event_id || ':'"
                    " || platform || ':' || user_id || '@' || ?, ?, ?, ?, event_id, 1"
                    " FROM rsvps WHERE event_id = ? AND platform = ?"
                    " ON CONFLICT (idem_key) DO NOTHING",
                    (message_id, occasion, iso(now), iso(now), iso(expires_at), event_id,
                     platform))
                added += cursor.rowcount
        return added

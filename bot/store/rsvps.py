"""SQL for the Week of Action's RSVPs: who is going to which event, and the running count of
people going per event (migration 19's triggers keep it). A mixin of Storage."""

from __future__ import annotations

import json
from datetime import datetime

from .common import iso
from .planning import cancel_reminders


class RsvpStore:
    async def rsvps_of(self, platform: str, user_id: str) -> set[str]:
        rows = await self._all(
            "SELECT event_id FROM rsvps WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return {row[0] for row in rows}

    async def rsvp_view(self, platform: str, user_id: str) -> tuple[set[str], dict[str, int]]:
        """What the event list shows, in one read: the events this person is going to, and
        event id -> people going (the running counts of migration 19)."""
        rows = await self._all(
            "SELECT event_id, going, 0 FROM event_counts WHERE going > 0 UNION ALL"
            " SELECT event_id, 0, 1 FROM rsvps WHERE platform = ? AND user_id = ?",
            (platform, user_id))
        return ({r[0] for r in rows if r[2]}, {r[0]: r[1] for r in rows if not r[2]})

    async def set_rsvps(
        self, platform: str, user_id: str, going: set[str], not_going: set[str], now: datetime,
        language: str | None = None,
    ) -> None:
        """`language`: what their app reported (their reminders' language if they choose none)."""
        if going and not not_going:
            # A press on "Going": one statement, atomic on its own (no BEGIN/COMMIT round
            # trips). It inserts the new RSVPs and, when the app reported a language, re-inserts
            # the person's other RSVPs so the conflict sets that language on all of them.
            await self._write_one(
                "INSERT INTO rsvps (platform, user_id, event_id, created_at, language)"
                " SELECT :p, :u, value, :now, :lang FROM json_each(:going) UNION ALL"
                " SELECT platform, user_id, event_id, created_at, :lang FROM rsvps"
                " WHERE platform = :p AND user_id = :u AND :lang IS NOT NULL"
                " ON CONFLICT (platform, user_id, event_id)"
                " DO UPDATE SET language = COALESCE(excluded.language, language)",
                {"p": platform, "u": user_id, "now": iso(now), "lang": language,
                 "going": json.dumps(sorted(going))})
            return
        async with self.transaction() as db:
            if going:
                await db.executemany(
                    "INSERT INTO rsvps (platform, user_id, event_id, created_at, language)"
                    " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                    [(platform, user_id, event, iso(now), language) for event in sorted(going)],
                )
                if language is not None:
                    await db.execute("UPDATE rsvps SET language = ? WHERE platform = ?"
                                     " AND user_id = ?", (language, platform, user_id))
            await db.executemany(
                "DELETE FROM rsvps WHERE platform = ? AND user_id = ? AND event_id = ?",
                [(platform, user_id, event) for event in sorted(not_going)],
            )
            await cancel_reminders(db, platform, user_id, sorted(not_going), now)

    async def rsvp_counts(self) -> dict[str, int]:
        """event id -> people going: the running counts (migration 19), not a count of rows."""
        rows = await self._all("SELECT event_id, going FROM event_counts WHERE going > 0")
        return {row[0]: row[1] for row in rows}

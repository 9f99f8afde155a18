"""SQL for what organisers read in bulk: signatures per day for the growth chart (bot/chart.py)
and every RSVP for `python -m bot export rsvps` (bot/ops.py). A mixin of Storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Signatures counted per platform and per quarter hour (UTC), in one grouped query: every
# timezone in use today is offset from UTC by a whole number of quarter hours, so a quarter
# hour falls on one local day in any of them, DST included, and Python turns the few thousand
# buckets into local days. SQLite cannot convert to a named timezone itself.
PER_QUARTER_HOUR = (
    "SELECT substr(signed_at, 1, 14) AS hour,"
    " CAST(substr(signed_at, 15, 2) AS INTEGER) / 15 AS quarter, platform, COUNT(*)"
    " FROM signatures GROUP BY hour, quarter, platform"
)

# The name an RSVP is exported with: the one its holder gave when signing the petition, if they
# signed (an RSVP stores no name of its own, and must not start keeping one).
RSVP_ROWS = (
    "SELECT r.event_id, r.platform, r.user_id, s.name, r.created_at, r.attended FROM rsvps r"
    " LEFT JOIN signatures s ON s.platform = r.platform AND s.user_id = r.user_id"
    " ORDER BY r.created_at, r.event_id, r.platform, r.user_id"
)


@dataclass(frozen=True)
class RsvpRow:
    event_id: str
    platform: str
    user_id: str
    signed_name: str | None  # the name given on the petition; None: not signed (or no name)
    created_at: datetime
    attended: bool | None  # None: not answered


class ReportStore:
    async def signatures_per_day(self, zone: ZoneInfo) -> list[tuple[date, str, int]]:
        """(local day in `zone`, platform, signatures that day), sorted by day then platform:
        one grouped query over the signatures."""
        rows = await self._all(PER_QUARTER_HOUR)
        days: dict[tuple[date, str], int] = {}
        for hour, quarter, platform, count in rows:
            start = datetime.fromisoformat(f"{hour}{quarter * 15:02d}:00").replace(tzinfo=UTC)
            key = (start.astimezone(zone).date(), platform)
            days[key] = days.get(key, 0) + count
        return [(day, platform, count) for (day, platform), count in sorted(days.items())]

    async def iter_rsvps(self) -> AsyncIterator[RsvpRow]:
        """Every RSVP, oldest first, read through one cursor so memory stays flat."""
        async with self._db.execute(RSVP_ROWS) as cursor:
            async for row in cursor:
                yield RsvpRow(row[0], row[1], row[2], row[3],
                              datetime.fromisoformat(row[4]),
                              None if row[5] is None else bool(row[5]))

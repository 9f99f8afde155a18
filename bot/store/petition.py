"""SQL for the petition: signatures, their numbers and totals. A mixin of Storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import AsyncIterator

import aiosqlite

from . import milestones as milestone
from .common import iso
from .planning import cancel_unowed_announcements

# A signature's number is its place among the signatures that stand: how many, itself
# included, were signed no later than it. The row id is not it: AUTOINCREMENT never reuses an
# id, so after withdrawals the ids run ahead of the count (200 sign/unsign rounds would make a
# lone signer "#201"), and their gaps would show how many withdrew. Counted as the total less
# those signed after: a new signer is last, so signing costs no scan (a whole COUNT(*) is one
# b-tree count), and only an early signer's /mydata pays for counting the rows after them.
# The total from the running counts (migration 19), not a count of a million rows.
TOTAL = "(SELECT COALESCE(SUM(n), 0) FROM signature_counts)"
WITH_NUMBER = (
    f"SELECT s.*, {TOTAL} AS total, {TOTAL}"
    " - (SELECT COUNT(*) FROM signatures t WHERE t.id > s.id) AS number"
    " FROM signatures s WHERE s.platform = ? AND s.user_id = ?"
)


@dataclass(frozen=True)
class Signature:
    number: int  # the place among the signatures that stand, never the row id
    platform: str
    user_id: str
    name: str | None
    email: str | None
    postcode: str | None
    wants_updates: bool
    consent_text: str
    consent_version: str
    signed_at: datetime
    language: str | None = None  # that the petition and consent text were shown in
    source: str | None = None  # the deep link's source tag; None: direct (bot/sources.py)
    referred: bool = False  # signed through someone's referral (never whose)


@dataclass(frozen=True)
class SignResult:
    signature: Signature
    created: bool
    total: int
    milestone: int | None = None  # the milestone this signature reached first, if any


class PetitionStore:
    # Petition ------------------------------------------------------------------------------

    async def sign(
        self,
        platform: str,
        user_id: str,
        *,
        name: str | None,
        email: str | None,
        postcode: str | None,
        wants_updates: bool,
        consent_text: str,
        consent_version: str,
        now: datetime,
        language: str | None = None,
        milestones: dict[int, dict] | None = None,
        source: str | None = None,
    ) -> SignResult:
        """Store a signature once; signing again returns the existing one unchanged. The
        number and total are read in the same transaction, so a signer is told a number that
        counts them and everyone before them, and a total that is at least that number.
        `milestones`: count -> the celebration to queue when a new signature first brings the
        total to it (a spec, see store/milestones.py)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO signatures (platform, user_id, name, email, postcode, wants_updates,"
                " consent_text, consent_version, signed_at, language, source)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (platform, user_id) DO NOTHING",
                (platform, user_id, name, email, postcode, int(wants_updates), consent_text,
                 consent_version, iso(now), language, source),
            )
            created = cursor.rowcount == 1
            async with db.execute(WITH_NUMBER, (platform, user_id)) as rows:
                row = await rows.fetchone()
            # Signing adds one, so the total passes a milestone exactly when it equals it.
            body = (milestones or {}).get(row["total"]) if created else None
            reached = body is not None and await milestone.reach(db, row["total"], body, now)
        return SignResult(_signature(row), created, row["total"],
                          row["total"] if reached else None)

    async def signature_of(self, platform: str, user_id: str) -> Signature | None:
        row = await self._one(WITH_NUMBER, (platform, user_id))
        return _signature(row) if row else None

    async def withdraw(self, platform: str, user_id: str, now: datetime | None = None) -> bool:
        """Withdraw the signature. An announcement to 'everyone' queued for them only because
        they asked for updates is cancelled in the same transaction (RSVPs and daily prompts
        are their own choices and stay)."""
        now = now or datetime.now(UTC)
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM signatures WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            withdrawn = cursor.rowcount > 0
            await cancel_unowed_announcements(db, platform, user_id, "unsigned", now)
        if withdrawn:
            await self.checkpoint()  # the withdrawn email must not live on in the WAL
        return withdrawn

    async def signatures_by_source(self) -> list[tuple[str | None, int]]:
        """(source, count) for /stats, the biggest first; None: direct (no deep-link tag)."""
        rows = await self._all(
            "SELECT source, COUNT(*) AS n FROM signatures GROUP BY source"
            " ORDER BY n DESC, source IS NULL, source"
        )
        return [(row[0], row[1]) for row in rows]

    async def signature_total(self) -> int:
        return await self._scalar(f"SELECT {TOTAL}")

    async def iter_signatures(self, batch: int = 500) -> AsyncIterator[Signature]:
        """Every signature in signing order, read in batches so memory stays flat, numbered
        1, 2, 3... as /mydata numbers them (ordered by id, the place is the running count)."""
        last, number = 0, 0
        while True:
            rows = await self._all(
                "SELECT * FROM signatures WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for row in rows:
                number += 1
                yield _signature(row, number)
            last = rows[-1]["id"]


def _signature(row: aiosqlite.Row, number: int | None = None) -> Signature:
    return Signature(
        number=row["number"] if number is None else number,
        platform=row["platform"],
        user_id=row["user_id"],
        name=row["name"],
        email=row["email"],
        postcode=row["postcode"],
        wants_updates=bool(row["wants_updates"]),
        consent_text=row["consent_text"],
        consent_version=row["consent_version"],
        signed_at=datetime.fromisoformat(row["signed_at"]),
        language=row["language"],
        source=row["source"],
        referred=bool(row["referred"]),
    )

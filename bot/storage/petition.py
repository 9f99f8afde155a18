"""SQL for the petition: signatures, their numbers and totals. A mixin of Storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import AsyncIterator

import aiosqlite

from .common import iso
from .planning import cancel_unowed_announcements


@dataclass(frozen=True)
class Signature:
    number: int
    platform: str
    user_id: str
    name: str | None
    email: str | None
    postcode: str | None
    wants_updates: bool
    consent_text: str
    consent_version: str
    signed_at: datetime


@dataclass(frozen=True)
class SignResult:
    signature: Signature
    created: bool
    total: int


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
    ) -> SignResult:
        """Store a signature once; signing again returns the existing one unchanged."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO signatures (platform, user_id, name, email, postcode, wants_updates,"
                " consent_text, consent_version, signed_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (platform, user_id) DO NOTHING",
                (platform, user_id, name, email, postcode, int(wants_updates), consent_text,
                 consent_version, iso(now)),
            )
            created = cursor.rowcount == 1
        signature = await self.signature_of(platform, user_id)
        return SignResult(signature, created, await self.signature_total())

    async def signature_of(self, platform: str, user_id: str) -> Signature | None:
        row = await self._one(
            "SELECT * FROM signatures WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
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
            await cancel_unowed_announcements(db, platform, user_id, "unsigned", now)
            return cursor.rowcount > 0

    async def signature_total(self) -> int:
        return await self._scalar("SELECT COUNT(*) FROM signatures")

    async def iter_signatures(self, batch: int = 500) -> AsyncIterator[Signature]:
        """Every signature in signing order, read in batches so memory stays flat."""
        last = 0
        while True:
            rows = await self._all(
                "SELECT * FROM signatures WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for row in rows:
                yield _signature(row)
            last = rows[-1]["id"]


def _signature(row: aiosqlite.Row) -> Signature:
    return Signature(
        number=row["id"],
        platform=row["platform"],
        user_id=row["user_id"],
        name=row["name"],
        email=row["email"],
        postcode=row["postcode"],
        wants_updates=bool(row["wants_updates"]),
        consent_text=row["consent_text"],
        consent_version=row["consent_version"],
        signed_at=datetime.fromisoformat(row["signed_at"]),
    )

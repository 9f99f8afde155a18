"""SQL for referrals: each supporter's invite code, the code someone arrived with, and the
credits. A mixin of Storage."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .common import iso

# Lowercase letters and digits without the look-alikes (0/o, 1/l/i): a code survives being read
# aloud or typed from a screenshot, and Telegram's /start lowercases nothing we rely on.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8  # 31**8: about 850 billion codes, so guessing one is hopeless


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class Credit:
    """A referrer just credited, and how many signatures their link has now brought."""

    platform: str
    user_id: str
    count: int


class ReferralStore:
    async def referral_code(self, platform: str, user_id: str) -> str:
        """The person's own code, made on first use (random: it says nothing about them)."""
        while True:
            existing = await self._one(
                "SELECT code FROM referral_codes WHERE platform = ? AND user_id = ?",
                (platform, user_id))
            if existing is not None:
                return existing[0]
            try:
                async with self.transaction() as db:
                    await db.execute(
                        "INSERT INTO referral_codes (platform, user_id, code) VALUES (?,?,?)"
                        " ON CONFLICT (platform, user_id) DO NOTHING",
                        (platform, user_id, new_code()))
            except sqlite3.IntegrityError:
                continue  # the random code was taken: draw another

    async def arrived_via(self, platform: str, user_id: str, code: str) -> None:
        """Remember the code someone followed until they sign (whatever it is: an unknown
        code is found out, silently, when they sign)."""
        await self.referral_code(platform, user_id)
        async with self.transaction() as db:
            await db.execute(
                "UPDATE referral_codes SET via = ? WHERE platform = ? AND user_id = ?",
                (code[:32], platform, user_id))

    async def credit_referral(self, platform: str, user_id: str, now: datetime) -> Credit | None:
        """After a new signature: credit the owner of the code they arrived with, once ever
        per signer. None: no code, an unknown one, their own, they were credited before, or
        they had signed before (and withdrawn): only a first signature ever brings credit."""
        await self.referral_code(platform, user_id)  # every signer has their row from now on
        async with self.transaction() as db:
            cursor = await db.execute(
                "SELECT via, has_signed FROM referral_codes WHERE platform = ? AND user_id = ?",
                (platform, user_id))
            row = await cursor.fetchone()
            await db.execute("UPDATE referral_codes SET via = NULL, has_signed = 1"
                             " WHERE platform = ? AND user_id = ?", (platform, user_id))
            if not row[0] or row[1]:
                return None
            cursor = await db.execute(
                "SELECT platform, user_id FROM referral_codes WHERE code = ?", (row[0],))
            referrer = await cursor.fetchone()
            if referrer is None or (referrer[0], referrer[1]) == (platform, user_id):
                return None
            cursor = await db.execute(
                "INSERT INTO referral_credits (platform, user_id, referrer_platform,"
                " referrer_user_id, credited_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (platform, user_id) DO NOTHING",
                (platform, user_id, referrer[0], referrer[1], iso(now)))
            if cursor.rowcount != 1:
                return None  # credited before (they signed, withdrew and signed again)
            await db.execute("UPDATE signatures SET referred = 1 WHERE platform = ?"
                             " AND user_id = ?", (platform, user_id))
            cursor = await db.execute(
                "SELECT COUNT(*) FROM referral_credits WHERE referrer_platform = ?"
                " AND referrer_user_id = ?", (referrer[0], referrer[1]))
            count = (await cursor.fetchone())[0]
        return Credit(referrer[0], referrer[1], count)

    async def referral_count(self, platform: str, user_id: str) -> int:
        """How many signatures this person's link has brought."""
        return await self._scalar(
            "SELECT COUNT(*) FROM referral_credits WHERE referrer_platform = ?"
            " AND referrer_user_id = ?", (platform, user_id))

    async def existing_code(self, platform: str, user_id: str) -> str | None:
        row = await self._one("SELECT code FROM referral_codes WHERE platform = ? AND user_id = ?",
                              (platform, user_id))
        return row[0] if row else None

    async def has_signed(self, platform: str, user_id: str) -> bool:
        """Whether they have ever signed (kept after /unsign, erased by /forget)."""
        return bool(await self._scalar(
            "SELECT has_signed FROM referral_codes WHERE platform = ? AND user_id = ?",
            (platform, user_id)))

    async def signed_via_referral(self, platform: str, user_id: str) -> bool:
        return bool(await self._scalar(
            "SELECT referred FROM signatures WHERE platform = ? AND user_id = ?",
            (platform, user_id)))

    async def referral_notices(self, platform: str, user_id: str) -> bool:
        row = await self._one("SELECT referral_notices FROM user_settings WHERE platform = ?"
                              " AND user_id = ?", (platform, user_id))
        return row is None or bool(row[0])

    async def set_referral_notices(self, platform: str, user_id: str, on: bool,
                                   now: datetime) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO user_settings (platform, user_id, referral_notices, updated_at)"
                " VALUES (?,?,?,?) ON CONFLICT (platform, user_id) DO UPDATE SET"
                " referral_notices = excluded.referral_notices, updated_at = excluded.updated_at",
                (platform, user_id, int(on), iso(now)))

    async def queue_referral_notice(self, credit: Credit, body: dict, now: datetime) -> bool:
        """One notice to the referrer through the outbox (paced there), unless they turned
        these off or their private chat is unreachable. The stored message says only the
        count, the same for everyone with that count: no one's name or id."""
        if not await self.referral_notices(credit.platform, credit.user_id):
            return False
        if await self._one("SELECT 1 FROM unreachable WHERE platform = ? AND chat_id = ?",
                           (credit.platform, credit.user_id)):
            return False
        key = f"referral:{credit.count}"
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO messages (key, kind, body, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT (key) DO NOTHING", (key, "referral", json.dumps(body), iso(now)))
            cursor = await db.execute(
                "INSERT INTO outbox (message_id, platform, chat_id, user_id, idem_key,"
                " not_before, updated_at) SELECT id, ?, ?, ?, ?, ?, ? FROM messages"
                " WHERE key = ? ON CONFLICT (idem_key) DO NOTHING",
                (credit.platform, credit.user_id, credit.user_id,
                 f"{key}:{credit.platform}:{credit.user_id}", iso(now), iso(now), key))
            return cursor.rowcount == 1

    async def referral_stats(self, top: int = 5) -> tuple[int, list[tuple[int, int]]]:
        """How many standing signatures came through a referral, and the top referrers as
        (their signature number, count): a number, never a name; referrers who have not
        signed themselves are left out of the list."""
        # The running counts (migration 19), and the credits first (CROSS JOIN fixes the
        # order): scanning a million signatures for the few that brought someone took 100 ms.
        referred = await self._scalar(
            "SELECT COALESCE(SUM(n), 0) FROM signature_counts WHERE referred = 1")
        rows = await self._all(
            "SELECT (SELECT COUNT(*) FROM signatures t WHERE t.id <= s.id) AS number,"
            " COUNT(*) AS brought FROM referral_credits c CROSS JOIN signatures s"
            " ON s.platform = c.referrer_platform AND s.user_id = c.referrer_user_id"
            " GROUP BY s.id ORDER BY brought DESC, s.id LIMIT ?", (top,))
        return referred, [(row[0], row[1]) for row in rows]

    async def forget_referrals(self, db, platform: str, user_id: str) -> dict[str, int]:
        """Inside /forget's transaction: their code and credits go; signatures they brought
        stay (they belong to others), no longer linked to them."""
        cursor = await db.execute(
            "DELETE FROM referral_credits WHERE (platform = ? AND user_id = ?)"
            " OR (referrer_platform = ? AND referrer_user_id = ?)",
            (platform, user_id, platform, user_id))
        return {"referral_credits": cursor.rowcount}

"""SQL about supporters' own choices: RSVPs, subscriptions (personal and whole chats), settings,
forms in progress, and per-platform state. A mixin of Storage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .common import iso
from .planning import (
    cancel_chat_posts,
    cancel_prompts,
    cancel_unowed_announcements,
)


@dataclass(frozen=True)
class FormSession:
    form_id: str
    step: int
    values: dict[str, str | None]


@dataclass(frozen=True)
class Subscription:
    chat_id: str
    active: bool
    since: datetime
    plan_after: datetime | None = None  # prompts are owed for slots after this moment
    prompted_through: date | None = None  # the local date of the last prompt
    over: bool = False  # the closing message went out: no prompts until a later deadline


@dataclass(frozen=True)
class Settings:
    timezone: str | None
    send_at: str | None
    language: str | None = None  # a code of [campaign] languages; None: the app's
    welcomed_at: datetime | None = None  # first welcomed where there is no start message


class PeopleStore:
    # Daily prompts -------------------------------------------------------------------------

    async def subscribe(self, platform: str, user_id: str, chat_id: str, now: datetime,
                        language: str | None = None) -> bool:
        """Subscribe (or resume); False when already active. `language`: what their app
        reported, kept up to date (their prompts' language if they choose none)."""
        async with self.transaction() as db:
            if language is not None:
                await db.execute("UPDATE subscriptions SET language = ? WHERE platform = ?"
                                 " AND user_id = ?", (language, platform, user_id))
            cursor = await db.execute(
                "INSERT INTO subscriptions (platform, user_id, chat_id, active, created_at,"
                " plan_after, language) VALUES (?,?,?,1,?,?,?) ON CONFLICT (platform, user_id)"
                " DO UPDATE SET active = 1, chat_id = excluded.chat_id, next_prompt_at = NULL,"
                " paused_reason = NULL, plan_after = excluded.plan_after WHERE active = 0",
                (platform, user_id, chat_id, iso(now), iso(now), language),
            )
            # Subscribing again is the person saying they can be reached again.
            await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                             (platform, chat_id))
            return cursor.rowcount == 1

    async def unsubscribe(self, platform: str, user_id: str, now: datetime | None = None) -> bool:
        """Stop the daily prompts; what was queued because of them is cancelled in the same
        transaction (today's prompt, and an announcement to 'everyone' that reached them only
        as a subscriber)."""
        now = now or datetime.now(UTC)
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            await cancel_prompts(db, platform, user_id, now)
            await cancel_unowed_announcements(db, platform, user_id, "unsubscribed", now)
            return cursor.rowcount > 0

    async def set_subscription_active(
        self, platform: str, user_id: str, active: bool, reason: str | None = None
    ) -> bool:
        """Pause (with a reason such as "blocked" or "dms_closed") or resume a subscription.
        True if it changed; a person without a subscription gets none."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET active = ?, paused_reason = ?, pause_noticed = 0,"
                " next_prompt_at = NULL, plan_after = NULL"  # NULL: planned from the next tick
                " WHERE platform = ? AND user_id = ? AND active != ?",
                (int(active), None if active else reason, platform, user_id, int(active)),
            )
            if active:  # unblocked: their private chat (addressed by user id) works again
                await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                                 (platform, user_id))
            return cursor.rowcount > 0

    async def take_pause_notice(self, platform: str, user_id: str) -> str | None:
        """The reason a subscription was paused, once: the first call after a pause returns it
        (so the person can be told why), later calls return None."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET pause_noticed = 1 WHERE platform = ? AND user_id = ?"
                " AND active = 0 AND pause_noticed = 0 AND paused_reason IS NOT NULL"
                " RETURNING paused_reason",
                (platform, user_id),
            )
            row = await cursor.fetchone()
            return row[0] if row else None

    async def subscribe_chat(self, platform: str, chat_id: str, now: datetime,
                             subscribed_by: str | None = None,
                             subscriber_language: str | None = None) -> bool:
        """Subscribe a whole group or channel to the daily post (or resume it, also after the
        bot could not post there); False if already. `subscribed_by`: the person's user id, to
        tell them if the bot can no longer post there."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO chat_subscriptions (platform, chat_id, active, created_at,"
                " plan_after, subscribed_by, subscriber_language) VALUES (?,?,1,?,?,?,?)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET active = 1, next_prompt_at = NULL,"
                " plan_after = excluded.plan_after, subscribed_by = excluded.subscribed_by,"
                " subscriber_language = excluded.subscriber_language WHERE active = 0",
                (platform, chat_id, iso(now), iso(now), subscribed_by, subscriber_language),
            )
            # Subscribing again is the chat's managers saying the bot can post there again: it
            # is back in "channels and groups" announcements too, not only the daily post.
            await db.execute("DELETE FROM unreachable WHERE platform = ? AND chat_id = ?",
                             (platform, chat_id))
            return cursor.rowcount == 1

    async def unsubscribe_chat(self, platform: str, chat_id: str,
                               now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM chat_subscriptions WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            )
            await cancel_chat_posts(db, platform, chat_id, now)
            return cursor.rowcount > 0

    async def chat_subscribed(self, platform: str, chat_id: str) -> bool:
        return bool(await self._scalar(
            "SELECT COUNT(*) FROM chat_subscriptions WHERE platform = ? AND chat_id = ?"
            " AND active = 1", (platform, chat_id)))

    async def platform_state(self, platform: str, key: str) -> str | None:
        row = await self._one(
            "SELECT value FROM platform_state WHERE platform = ? AND key = ?", (platform, key)
        )
        return row[0] if row else None

    async def save_platform_state(self, platform: str, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO platform_state (platform, key, value) VALUES (?,?,?)"
                " ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value",
                (platform, key, value),
            )

    async def subscription_of(self, platform: str, user_id: str) -> Subscription | None:
        row = await self._one(
            "SELECT chat_id, active, created_at, plan_after, prompted_through, prompts_over"
            " FROM subscriptions WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return None
        return Subscription(row[0], bool(row[1]), datetime.fromisoformat(row[2]),
                            datetime.fromisoformat(row[3]) if row[3] else None,
                            date.fromisoformat(row[4]) if row[4] else None, bool(row[5]))

    async def settings_of(self, platform: str, user_id: str) -> Settings:
        row = await self._one(
            "SELECT timezone, send_at, language, welcomed_at FROM user_settings"
            " WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return Settings(None, None)
        return Settings(row[0], row[1], row[2], datetime.fromisoformat(row[3]) if row[3] else None)

    async def save_setting(
        self, platform: str, user_id: str, key: str, value: str, now: datetime
    ) -> None:
        if key not in ("timezone", "send_at", "language"):
            raise ValueError(f"unknown setting {key}")
        async with self.transaction() as db:
            await db.execute(
                f"INSERT INTO user_settings (platform, user_id, {key}, updated_at)"
                f" VALUES (?,?,?,?) ON CONFLICT (platform, user_id)"
                f" DO UPDATE SET {key} = excluded.{key}, updated_at = excluded.updated_at",
                (platform, user_id, value, iso(now)),
            )
            if key == "language":
                return
            # The next prompt moves with the new time or zone: the scheduler recomputes it.
            await db.execute(
                "UPDATE subscriptions SET next_prompt_at = NULL WHERE platform = ? AND user_id = ?"
                " AND prompts_over = 0",
                (platform, user_id),
            )

    # Forms in progress ---------------------------------------------------------------------

    async def form_session(self, platform: str, user_id: str) -> FormSession | None:
        """The person's unfinished form; one left longer than forms may live is deleted here
        and reads as none (between purges too), so whoever comes back starts afresh."""
        row = await self._one(
            "SELECT form_id, step, data, updated_at FROM form_sessions"
            " WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return None
        if self.forms_expire_before is not None:
            cutoff = iso(self.forms_expire_before())
            if row[3] < cutoff:
                await self._write_one(
                    "DELETE FROM form_sessions WHERE platform = ? AND user_id = ?"
                    " AND updated_at < ?", (platform, user_id, cutoff))
                return None
        return FormSession(row[0], row[1], json.loads(row[2]))

    async def save_form_session(
        self, platform: str, user_id: str, session: FormSession, now: datetime
    ) -> None:
        # Each form write is one statement, atomic on its own: one round trip to aiosqlite's
        # thread, not three (BEGIN, the statement, COMMIT), on every step of every form.
        await self._write_one(
            "INSERT INTO form_sessions (platform, user_id, form_id, step, data, updated_at)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT (platform, user_id) DO UPDATE SET"
            " form_id = excluded.form_id, step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (platform, user_id, session.form_id, session.step, json.dumps(session.values),
             iso(now)),
        )

    async def end_form_session(
        self, platform: str, user_id: str, form_id: str | None = None, step: int | None = None
    ) -> bool:
        """Delete the session, optionally only if it is still at `form_id`/`step`. True if this
        call removed it: of many concurrent completions exactly one wins."""
        sql = "DELETE FROM form_sessions WHERE platform = ? AND user_id = ?"
        params: list = [platform, user_id]
        if form_id is not None:
            sql += " AND form_id = ?"
            params.append(form_id)
        if step is not None:
            sql += " AND step = ?"
            params.append(step)
        return await self._write_one(sql, tuple(params)) > 0

    async def purge_form_sessions(self, older_than: datetime) -> int:
        """Drop forms left unfinished since before `older_than` (they may hold a name or email)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM form_sessions WHERE updated_at < ?", (iso(older_than),)
            )
            return cursor.rowcount

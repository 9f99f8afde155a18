"""SQL for first contact: that the bot welcomed a person on a platform with no start message
(issue 14), remembered as `user_settings.welcomed_at` so the welcome comes once, also across
restarts. The dispatcher reads it with the person's language (settings_of, one read per update);
/forget erases it with the settings row. A mixin of Storage (bot/storage.py)."""

from __future__ import annotations

from datetime import datetime

from .common import iso


class WelcomeStore:
    async def mark_welcomed(self, platform: str, user_id: str, now: datetime) -> None:
        """Once per person: a second call (two first commands at once) keeps the first time."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO user_settings (platform, user_id, welcomed_at, updated_at)"
                " VALUES (?,?,?,?) ON CONFLICT (platform, user_id) DO UPDATE SET"
                " welcomed_at = COALESCE(welcomed_at, excluded.welcomed_at)",
                (platform, user_id, iso(now), iso(now)),
            )

"""SQL for campaign panels: the one live message per chat that the panel service keeps current
(bot/panels.py). A row names a chat and a message, never a person. A mixin of Storage
(bot/storage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .common import iso


@dataclass(frozen=True)
class Panel:
    platform: str
    chat_id: str
    message_id: str
    created_at: datetime
    edited_at: datetime | None
    shown: str  # hash of the content last shown


def _panel(row) -> Panel:
    edited = row["edited_at"]
    return Panel(row["platform"], row["chat_id"], row["message_id"],
                 datetime.fromisoformat(row["created_at"]),
                 datetime.fromisoformat(edited) if edited else None, row["shown"])


class PanelStore:
    async def save_panel(self, platform: str, chat_id: str, message_id: str, shown: str,
                         now: datetime) -> Panel | None:
        """Store the chat's panel, replacing any earlier one (one per chat). Returns the one
        it replaced, so the caller can delete that message."""
        async with self.transaction() as db:
            async with db.execute("SELECT * FROM panels WHERE platform = ? AND chat_id = ?",
                                  (platform, chat_id)) as cursor:
                old = await cursor.fetchone()
            await db.execute(
                "INSERT INTO panels (platform, chat_id, message_id, created_at, edited_at, shown)"
                " VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT (platform, chat_id) DO UPDATE SET"
                " message_id = excluded.message_id, created_at = excluded.created_at,"
                " edited_at = NULL, shown = excluded.shown",
                (platform, chat_id, message_id, iso(now), shown))
        return _panel(old) if old is not None else None

    async def panel_of(self, platform: str, chat_id: str) -> Panel | None:
        row = await self._one("SELECT * FROM panels WHERE platform = ? AND chat_id = ?",
                              (platform, chat_id))
        return _panel(row) if row is not None else None

    async def all_panels(self) -> list[Panel]:
        return [_panel(row) for row in await self._all(
            "SELECT * FROM panels ORDER BY platform, chat_id")]

    async def panel_shown(self, panel: Panel, shown: str, now: datetime) -> bool:
        """Record an edit of `panel`; False (nothing changed) if the chat's panel was removed
        or replaced by another message meanwhile."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE panels SET shown = ?, edited_at = ?"
                " WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (shown, iso(now), panel.platform, panel.chat_id, panel.message_id))
            return cursor.rowcount == 1

    async def panel_posted(self, panel: Panel, message_id: str, shown: str,
                           now: datetime) -> bool:
        """Record the message posted for a panel that had none (its chat moved, move_chat);
        False (nothing changed) if a moderator posted or removed the chat's panel meanwhile."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE panels SET message_id = ?, shown = ?, created_at = ?, edited_at = NULL"
                " WHERE platform = ? AND chat_id = ? AND message_id = ''",
                (message_id, shown, iso(now), panel.platform, panel.chat_id))
            return cursor.rowcount == 1

    async def drop_panel(self, platform: str, chat_id: str,
                         message_id: str | None = None) -> Panel | None:
        """Forget the chat's panel (only if it is still `message_id`, when given); returns
        what was dropped, None if there was nothing (or another panel took its place)."""
        async with self.transaction() as db:
            async with db.execute("SELECT * FROM panels WHERE platform = ? AND chat_id = ?",
                                  (platform, chat_id)) as cursor:
                row = await cursor.fetchone()
            if row is None or (message_id is not None and row["message_id"] != message_id):
                return None
            await db.execute("DELETE FROM panels WHERE platform = ? AND chat_id = ?",
                             (platform, chat_id))
        return _panel(row)

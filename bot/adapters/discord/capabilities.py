"""What Discord can do and how it counts, for the core (bot/capabilities.py). It imports no
discord.py: app.py reads it at start, before the adapter connects (or without it)."""

from __future__ import annotations

from ...capabilities import Capabilities
from ...config import Config, Moderators
from ...core import Incoming
from ...pacing import Pacing
from ...text import is_ascii_digits

PLATFORM = "discord"
# Characters of a message's content. The exact count (the content as rendered, escapes
# included) needs discord.py's escaping: the adapter registers it when it starts
# (render.measure); until then a draft is counted as Telegram counts it.
MAX_TEXT = 2000
# The files of one message together, in a server without boosts (and in DMs): 10 MiB.
MAX_FILES = 10 * 1024 * 1024


def pacing(config: Config) -> Pacing:
    return Pacing(rate=config.discord.broadcast_rate,
                  invalid_budget=config.discord.invalid_request_budget)


def is_moderator(incoming: Incoming, moderators: Moderators) -> bool:
    """By user id, or by a role the interaction carries (Incoming.role_ids: a server's roles;
    in DMs, those roles.py remembered or looked up). Ids are plain digits or nothing."""
    user_id = incoming.user.id
    if not is_ascii_digits(user_id):  # not "٤٢" or "4²"
        return False
    return int(user_id) in moderators.discord_user_ids or any(
        is_ascii_digits(r) and int(r) in moderators.discord_role_ids for r in incoming.role_ids)


CAPABILITIES = Capabilities(
    PLATFORM, max_text=MAX_TEXT, pacing=pacing, ephemeral=True, modals=True, attachments=True,
    moments=True,
    moderator=is_moderator, closable_dms=True, no_start_message=True,
    invite=lambda config: config.discord.invite_url, max_files_total=MAX_FILES)

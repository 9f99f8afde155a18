"""Server roles of Discord people, for moderators who act in the bot's DMs.

A DM interaction carries no member, so no roles: a moderator who qualifies only by a role
(`[moderators] discord_role_ids`) would be refused there, for instance on the Cancel button of
their announcement's progress message, which is sent to their DMs. So:
- every interaction in a server says which roles the person holds there; they are remembered
  for FRESH seconds, in memory only, for at most ROLES_KEPT people;
- a DM interaction whose answer depends on moderator rights (Dispatcher.asks_moderator), with
  nothing fresh remembered that grants them, looks the person up in the servers that hold a
  moderator role (GET /guilds/{id}/members/{user}); the answer is remembered the same way, so a
  burst of presses costs one lookup.
Minutes, not forever: a role taken away in the server soon stops counting in DMs too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Callable

import aiohttp
import discord

from ...core import Incoming
from ...dispatch import Dispatcher

log = logging.getLogger(__name__)

ROLES_KEPT = 10_000  # people whose roles are remembered; the oldest go first
FRESH = 600.0  # seconds a remembered answer counts
LOOKUP_TIMEOUT = 10.0  # seconds for a lookup off the acknowledgement path (after a defer)


def carried_role_ids(member: discord.Member) -> tuple[str, ...]:
    # The role ids exactly as the interaction carries them: Member.roles drops any role not
    # (yet) in the guild cache, which would refuse a moderator for a cache miss.
    raw = getattr(member, "_roles", None)
    ids = [int(r) for r in raw] if raw is not None else [r.id for r in member.roles]
    return tuple(str(r) for r in ids)


class RoleMemory:
    def __init__(self, kept: int = ROLES_KEPT, fresh: float = FRESH,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kept, self.fresh, self.clock = kept, fresh, clock
        # user id -> (when, role ids, whether a lookup said so)
        self._known: OrderedDict[str, tuple[float, tuple[str, ...], bool]] = OrderedDict()

    def role_ids(self, interaction: discord.Interaction) -> tuple[str, ...]:
        """The roles an interaction carries (remembered); in a DM, those remembered."""
        user, user_id = interaction.user, str(interaction.user.id)
        if isinstance(user, discord.Member):
            roles = carried_role_ids(user)
            self._remember(user_id, roles, looked_up=False)
            return roles
        known = self._recall(user_id)
        return known[0] if known else ()

    def forget(self, user_id: str) -> None:
        self._known.pop(user_id, None)

    async def with_rights(self, bot: Dispatcher, interaction: discord.Interaction,
                          incoming: Incoming, timeout: float = LOOKUP_TIMEOUT) -> Incoming:
        """`incoming`, with the person's roles looked up when it comes from a DM, its answer
        depends on moderator rights, and nothing fresh says they hold them."""
        wanted = bot.config.moderators.discord_role_ids
        if (isinstance(interaction.user, discord.Member) or not wanted
                or bot.is_moderator(incoming) or not bot.asks_moderator(incoming)):
            return incoming
        known = self._recall(incoming.user.id)
        if known is not None and known[1]:  # a fresh lookup already said no
            return incoming
        try:
            roles = await asyncio.wait_for(
                self._look_up(interaction.client, interaction.user.id, wanted), timeout)
        except asyncio.TimeoutError:
            log.warning("looking up a member's roles timed out")
            return incoming
        return replace(incoming, role_ids=roles) if roles else incoming

    async def _look_up(self, client: discord.Client, user_id: int,
                       wanted: tuple[int, ...]) -> tuple[str, ...]:
        # Only the servers a moderator role belongs to (their roles are in the guild cache the
        # `guilds` intent fills): one request each, usually one in all.
        guilds = [g for g in client.guilds if any(g.get_role(r) for r in wanted)]
        found: list[str] = []
        for guild in guilds:
            try:
                member = await guild.fetch_member(user_id)
            except discord.NotFound:  # 10007 Unknown Member: not (or no longer) there
                continue
            except (discord.HTTPException, discord.RateLimited, aiohttp.ClientError) as exc:
                # Not remembered: the next press asks again. Refused meanwhile, never let in.
                log.warning("looking up a member's roles failed: %s", type(exc).__name__)
                return ()
            found += carried_role_ids(member)
        roles = tuple(found)
        self._remember(str(user_id), roles, looked_up=True)
        return roles

    def _remember(self, user_id: str, roles: tuple[str, ...], *, looked_up: bool) -> None:
        self._known[user_id] = (self.clock(), roles, looked_up)
        self._known.move_to_end(user_id)
        while len(self._known) > self.kept:
            self._known.popitem(last=False)

    def _recall(self, user_id: str) -> tuple[tuple[str, ...], bool] | None:
        entry = self._known.get(user_id)
        if entry is None or self.clock() - entry[0] > self.fresh:
            return None
        return entry[1], entry[2]

"""The Discord front end on discord.py: the client's lifecycle, setup and outgoing delivery.

app.py constructs DiscordAdapter(bot, token, stop), awaits start() (which returns once the
gateway session is live, or after a bounded wait), and on SIGTERM awaits stop(). The client runs
as a task, the way discord.py means it to be embedded: `async with client: await
client.start(token)`. Interactions are handled in interactions.py and answered in replies.py;
slash commands are built and synced in commands.py; replies are rendered in render.py (text)
and views.py (buttons, modals).

Discord facts this module leans on:
- no privileged intents: slash commands, buttons and modals arrive without them, and the
  `guilds` intent alone fills the channel cache that deliver() uses;
- on_ready fires again after a failed resume, so setup (dynamic items, command sync) runs in
  setup_hook, which discord.py runs once per login;
- AllowedMentions.none() on the client covers every message it sends, so no text can ping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from ... import i18n
from ...core import Reply
from ...dispatch import Dispatcher
from ...sender import DMS_CLOSED, DeliveryResult, Outcome
from ...text import is_ascii_digits
from . import commands
from .capabilities import CAPABILITIES, PLATFORM
from .changes import delete_message, edited
from .interactions import InteractionHandler
from .render import measure, render_reply
from .replies import uploads
from .views import CoreButton, build_view

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0  # seconds start() waits for the gateway before returning anyway
READY_WAIT = 10.0  # seconds deliver() waits for the channel cache right after a start
# discord.py's wait after the last GUILD_CREATE before on_ready (its default); tests shorten it.
GUILD_READY_TIMEOUT = 2.0
SEND_TIMEOUT = 45.0  # per request in deliver(); above discord.py's own 429 waits (< 30 s)
# Discord's "Cannot send messages to this user": DMs closed to server members, blocked, or (50278)
# no server in common any more.
GONE_CODES = {50007, 50278}
# A channel the bot can no longer see (50001) or post in (50013): paused like a blocked person,
# never retried daily; the outbox tells whoever subscribed it.
LOST_PERMISSION = {50001: "missing_access", 50013: "missing_permissions"}
# "Invalid Recipient(s)" opening a DM: an id that is no cached channel is taken for a user, so
# this is a channel the bot no longer sees (deleted, or its server removed the bot): gone for
# good, never tried again (a panel there is forgotten, a subscription paused).
NOT_A_USER = 50033


class CampaignClient(discord.Client):
    def __init__(self, adapter: DiscordAdapter) -> None:
        # No voice here: skip discord.py's warnings about the missing voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            # A 429 asking to wait longer than this raises RateLimited (deliver() reports
            # RETRY with its retry_after) instead of holding the request; 30 s is the least
            # discord.py accepts. Shorter ones it waits out itself, exactly as long as asked.
            max_ratelimit_timeout=30.0,
            guild_ready_timeout=GUILD_READY_TIMEOUT,
        )
        self.adapter = adapter
        self.tree = commands.CommandTree(self)

    async def setup_hook(self) -> None:
        await self.adapter.setup(self)

    async def on_connect(self) -> None:
        # READY arrived: interactions flow from now on. Like on_ready, this fires again after
        # every fresh session (a failed resume included): no work here, only a flag.
        self.adapter.connected.set()

    async def on_ready(self) -> None:
        # discord.py holds on_ready until no GUILD_CREATE came for 2 s: the channel cache that
        # deliver() needs is complete then.
        self.adapter.ready.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submits are answered from their custom_id, not from a Modal kept in memory
        # (see views.build_modal). Commands go through the tree, buttons through
        # CoreButton.
        if interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.on_modal_submit(interaction)


class DiscordAdapter(InteractionHandler):
    platform = PLATFORM

    def __init__(self, bot: Dispatcher, token: str, stop: asyncio.Event) -> None:
        super().__init__()
        self.bot, self._token, self._stop = bot, token, stop
        bot.forget_hooks.append(self.forget_typed)
        self.failed = False
        self.connected = asyncio.Event()  # the gateway session is live
        self.ready = asyncio.Event()  # ... and every server's channels are cached
        self.client: CampaignClient | None = None
        self.setups = 0  # setup_hook runs, for tests: once per start, never per reconnect
        self.synced: bool | None = None  # whether the last start synced slash commands
        self.send_timeout = SEND_TIMEOUT
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        settings = self.bot.config.discord
        # Class attributes read at request/connect time: the documented seam for a REST proxy
        # or a test server. One Discord endpoint per process.
        discord.http.Route.BASE = settings.api_base_url.rstrip("/")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
        # /announce refuses what would not fit here, counted exactly as Discord will.
        self.bot.capabilities[PLATFORM] = replace(CAPABILITIES, measure=measure)
        self.client = CampaignClient(self)
        self._task = asyncio.create_task(self._run(), name="discord-client")
        connected = asyncio.create_task(self.connected.wait())
        try:
            await asyncio.wait({self._task, connected}, timeout=START_TIMEOUT,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
        if not self.connected.is_set() and not self._task.done():
            log.warning("Discord gateway not ready after %.0f s; discord.py keeps trying",
                        START_TIMEOUT)

    async def _run(self) -> None:
        assert self.client is not None
        try:
            async with self.client:
                await self.client.start(self._token)
        except Exception as exc:
            if not self._stopping:  # stop() closing the client mid-request is no failure
                self._fail(self._why(exc))
        else:
            if not self._stopping:
                self._fail("Discord client stopped unexpectedly")

    @staticmethod
    def _why(exc: Exception) -> str:
        if isinstance(exc, discord.LoginFailure):
            return "Discord refused the bot token (check DISCORD_BOT_TOKEN)"
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return "Discord requires privileged intents this bot does not ask for"
        # Only the type: the message may quote a request URL, which can carry a token.
        return f"Discord client stopped: {type(exc).__name__}"

    def _fail(self, message: str) -> None:
        log.error(message)
        self.failed = True
        self._stop.set()

    async def stop(self) -> None:
        self._stopping = True
        if self.forget_typed in self.bot.forget_hooks:
            self.bot.forget_hooks.remove(self.forget_typed)
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def setup(self, client: CampaignClient) -> None:
        """Once per login (setup_hook), before the gateway connects."""
        self.setups += 1
        client.add_dynamic_items(CoreButton)
        for command in commands.build_commands(self.bot):
            client.tree.add_command(command)
        try:
            self.synced = await commands.sync(client, client.tree, self.bot)
        except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # The commands already known to Discord keep working; the next start tries again
            # (the hash is saved only after a sync succeeded).
            detail = f"{exc.status}/{exc.code}" if isinstance(exc, discord.HTTPException) else ""
            log.error("syncing slash commands failed: %s %s", type(exc).__name__, detail)
            self.synced = False

    # Delivery (the outbox's Sender) -------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply, *, skip: int = 0) -> DeliveryResult:
        """Send `reply` to a channel (a channel id) or to a person by DM (their user id),
        leaving out the first `skip` messages of the split reply (they arrived before).

        A cached guild channel with that id is a channel; any other id is a user, whose DM
        channel is opened first. Discord ids are unique across users and channels, and the
        `guilds` intent caches every channel of every server the bot is in."""
        return await self._send(chat_id, reply, skip=skip)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> DeliveryResult:
        """Replace the text and buttons of a message sent by deliver() (a progress message).
        Only the first 2000 characters' worth fits: an edit cannot add messages."""
        if not is_ascii_digits(message_id):
            return DeliveryResult(Outcome.PERMANENT, reason="bad_message_id")
        return edited(await self._send(chat_id, reply, int(message_id)))

    async def delete(self, chat_id: str, message_id: str) -> bool:
        """Delete a message sent by deliver() in a channel (a removed panel): True once gone."""
        return await delete_message(self.client, chat_id, message_id, self.send_timeout)

    async def _send(self, chat_id: str, reply: Reply, edit_id: int | None = None,
                    skip: int = 0) -> DeliveryResult:
        client = self.client
        if client is None or client.is_closed():
            return DeliveryResult(Outcome.RETRY, reason="not_connected")
        if not is_ascii_digits(chat_id):
            return DeliveryResult(Outcome.PERMANENT, reason="bad_chat_id")
        channel = client.get_channel(int(chat_id))
        if channel is None and not client.is_ready():  # just started: the cache may be filling
            try:
                await asyncio.wait_for(self.ready.wait(), READY_WAIT)
            except asyncio.TimeoutError:
                return DeliveryResult(Outcome.RETRY, reason="not_connected")
            channel = client.get_channel(int(chat_id))
        to_user = not isinstance(channel, discord.abc.Messageable)
        # No person asked here (the outbox, whose replies carry no files): the default language.
        messages = render_reply(CAPABILITIES.fitted(reply, i18n.translator(
            self.bot.config.languages[0])) if reply.attachments else reply)
        sent, done = False, min(skip, len(messages))  # done: messages known to have arrived
        try:
            if to_user:
                channel = await asyncio.wait_for(
                    client.create_dm(discord.Object(int(chat_id))), self.send_timeout)
            assert isinstance(channel, (discord.abc.GuildChannel, discord.DMChannel,
                                        discord.Thread))
            if edit_id is not None:
                first = messages[0]
                sent = True
                await asyncio.wait_for(channel.get_partial_message(edit_id).edit(
                    content=first.content, view=build_view(first.rows)), self.send_timeout)
                return DeliveryResult(Outcome.DELIVERED, message_id=str(edit_id))
            last = None
            for message in messages[done:]:
                view = build_view(message.rows)
                extra: dict[str, object] = {"view": view} if view else {}
                if message.files:
                    extra["files"] = uploads(message.files)
                sent = True
                last = await asyncio.wait_for(channel.send(message.content, **extra),
                                              self.send_timeout)
                done += 1
            return DeliveryResult(Outcome.DELIVERED, message_id=str(last.id) if last else None,
                                  parts_done=done)
        except discord.RateLimited as exc:
            result = DeliveryResult(Outcome.RETRY, retry_after=exc.retry_after, reason="429")
        except discord.HTTPException as exc:
            result = await self._classify(exc, chat_id, to_user)
        except asyncio.TimeoutError:
            # It may have arrived: resending blindly could post it twice.
            outcome = Outcome.UNCERTAIN if sent else Outcome.RETRY
            result = DeliveryResult(outcome, reason="timeout")
        except aiohttp.ClientConnectorError:
            result = DeliveryResult(Outcome.RETRY, reason="connect")  # nothing went out
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            outcome = Outcome.UNCERTAIN if sent else Outcome.RETRY
            result = DeliveryResult(outcome, reason=type(exc).__name__)
        except (aiohttp.ClientError, OSError) as exc:
            result = DeliveryResult(Outcome.RETRY, reason=type(exc).__name__)
        return replace(result, parts_done=done)

    async def _classify(self, exc: discord.HTTPException, chat_id: str,
                        to_user: bool) -> DeliveryResult:
        reason = f"{exc.status}/{exc.code}"
        if exc.status == 429:  # no Via header (not Discord's own limiter) or out of retries
            header = exc.response.headers.get("Retry-After") if exc.response else None
            try:
                retry_after = float(header) if header else None
            except ValueError:
                retry_after = None
            return DeliveryResult(Outcome.RETRY, retry_after=retry_after, reason=reason)
        if exc.status >= 500:
            return DeliveryResult(Outcome.RETRY, reason=reason)
        if exc.code in GONE_CODES and to_user:
            # Pause, never retry: 403s count toward Discord's limit of 10,000 invalid requests
            # in 10 minutes. The reason is the pause reason: at their next interaction the
            # person hears why (interactions.pause_notice), and the announcement
            # report counts them as "DMs closed".
            await self.bot.store.set_subscription_active(PLATFORM, chat_id, False,
                                                         reason=DMS_CLOSED)
            return DeliveryResult(Outcome.GONE, reason=DMS_CLOSED)
        if exc.code == NOT_A_USER and to_user:
            return DeliveryResult(Outcome.GONE, reason="unknown_channel")
        if exc.code in LOST_PERMISSION and not to_user:
            return DeliveryResult(Outcome.GONE, reason=LOST_PERMISSION[exc.code])
        return DeliveryResult(Outcome.PERMANENT, reason=reason)


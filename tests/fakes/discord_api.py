"""A fake Discord on 127.0.0.1: the REST API and the gateway, for the real discord.py client.

Point discord.py at it through `discord.http.Route.BASE` (`base_url`) and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` (`gateway_url`); the adapter does that from
`[discord] api_base_url` and `gateway_url`.

It refuses what Discord refuses, with Discord's error shape, or the tests prove nothing:
content over 2000 characters, more than 5 rows of 5 buttons, a custom_id over 100 characters
or used twice in a message, a label over 80, a modal with more than 5 inputs (or a title or
label over 45), a second acknowledgement of an interaction (40060), an acknowledgement more
than 3 seconds after the interaction was sent (10062), a follow-up before the
acknowledgement (10015), a response type that does not fit the interaction, privileged
intents in IDENTIFY (close 4014), and a wrong token (401 / close 4004). It answers
`Content-Type: application/json` exactly (discord.py ignores a body with `; charset=...`)
and sends `Via` with 429s (discord.py treats a 429 without it as a Cloudflare ban).

Like Discord, the first follow-up after a "thinking" defer fills the deferred message and keeps
its visibility, whatever flags the follow-up asks for.

Like Discord, it answers a channel the bot cannot see with 403 50001 "Missing Access" and one
where it may not post with 403 50013 "Missing Permissions" (`deny(channel_id, code)`); a
deleted channel (`delete_channel`: CHANNEL_DELETE on the gateway) with 404 10003 "Unknown
Channel"; opening a DM with an id that is no user (a channel's, the server's) with 400 50033
"Invalid Recipient(s)"; and it
keeps rate-limit buckets: message creates and edits, per channel, take `bucket_limit` requests
per `bucket_window` seconds (Discord's 5 per 5 s), and every answer on those routes carries
the `X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket` headers discord.py reads to wait
before it would be refused; past the limit it answers 429 (with `Via`, as Discord does).

Test knobs: `closed_dms` (user id -> 50007 or 50278), `members` (user id -> the role ids they
hold in the server: GET /guilds/{id}/members/{user} answers them, and anyone not in it gets 404
10007 Unknown Member; an interaction in the server records its member's roles there, since only
a member can send one), `fail(...)` (429s, 5xx, any status, or a
delay), `close_gateway(4000)` (forces a resume; events sent meanwhile are replayed, as Discord
does), `refuse_resume` (the resume fails with INVALID_SESSION: the client identifies again and
discord.py fires on_ready a second time). Interactions are injected over the gateway with
`command`, `press` and `submit`; every REST call is recorded in `calls`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import json
import math
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import WSMsgType, web

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
EPHEMERAL = 64
TOKEN_LIFETIME = 15 * 60
# The files of one message together, in a server without boosts: 10 MiB; past it Discord
# answers 413 with code 40005.
MAX_UPLOAD = 10 * 1024 * 1024
MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
DENIED = {MISSING_ACCESS: "Missing Access", MISSING_PERMISSIONS: "Missing Permissions"}
# Routes with a per-channel bucket: (method, path pattern, the route as Discord names it).
BUCKETED = (("POST", re.compile(r"/channels/(\d+)/messages"), "POST /channels/{id}/messages"),
            ("PATCH", re.compile(r"/channels/(\d+)/messages/\d+"),
             "PATCH /channels/{id}/messages/{id}"))
_counter = itertools.count(1)


def snowflake() -> str:
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((millis << 22) | (next(_counter) & 0x3FFFFF))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


# Discord's locales (the keys of name_localizations / description_localizations).
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko"})


def _localizations(where: str, item: dict[str, Any]) -> dict[str, str]:
    """Discord refuses a localization for an unknown locale, or of the wrong length (names:
    1-32 for commands and options, 1-100 for choices; descriptions 1-100)."""
    problems = {}
    for key in ("name_localizations", "description_localizations"):
        for locale, text in (item.get(key) or {}).items():
            longest = 100 if key.startswith("description") or "value" in item else 32
            if locale not in LOCALES:
                problems[f"{where}.{key}.{locale}"] = "Invalid locale"
            elif not isinstance(text, str) or not 1 <= len(text) <= longest:
                problems[f"{where}.{key}.{locale}"] = f"Must be between 1 and {longest} in length."
    return problems


def user_payload(user_id: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": user_id, "username": name.lower().replace(" ", "_"), "global_name": name,
            "discriminator": "0", "avatar": None, "bot": bot, "public_flags": 0}


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None):
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json": aiohttp's json_response would add "; charset=utf-8".
    return web.Response(status=status, body=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


def error(status: int, code: int, message: str, errors: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(status, body)


def invalid(problems: dict[str, str]) -> web.Response:
    """Discord's 50035 shape: {"errors": {"content": {"_errors": [{"code", "message"}]}}}."""
    errors = {key: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": text}]}
              for key, text in problems.items()}
    return error(400, 50035, "Invalid Form Body", errors)


@dataclass
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    body: Any
    at: float


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int = 0  # 0: only the delay
    code: int = 0
    message: str = ""
    retry_after: float = 1.0
    via: bool = True
    delay: float = 0.0
    times: int = 1


@dataclass
class Bucket:
    """One rate-limit bucket: requests left until `resets_at` (the event loop's clock)."""

    limit: int
    remaining: int
    resets_at: float


@dataclass
class Interaction:
    id: str
    token: str
    type: int
    payload: dict[str, Any]
    sent_at: float
    acked_at: float | None = None
    ack_type: int | None = None
    ack: dict[str, Any] | None = None
    original_id: str | None = None
    loading: bool = False
    modal: dict[str, Any] | None = None
    message_ids: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # error codes its calls got

    @property
    def ack_latency(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at


def message_problems(body: dict[str, Any], *, new: bool = True) -> dict[str, str]:
    problems: dict[str, str] = {}
    content = body.get("content")
    if content is not None and (not isinstance(content, str) or len(content) > 2000):
        problems["content"] = "Must be 2000 or fewer in length."
    components = body.get("components")
    if (new and not (content or "").strip() and not components and not body.get("embeds")
            and not body.get("_files")):
        problems["content"] = "Cannot send an empty message"
    rows = components or []
    if len(rows) > 5:
        problems["components"] = "Must be 5 or fewer in length."
    seen: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components", []) if row.get("type") == 1 else None
        if items is None or not 1 <= len(items) <= 5:
            problems[f"components.{r}"] = "An action row holds 1 to 5 components."
            continue
        for b, button in enumerate(items):
            where = f"components.{r}.components.{b}"
            label, custom_id, url = button.get("label"), button.get("custom_id"), button.get("url")
            if button.get("type") != 2:
                problems[where] = "Only buttons are expected here."
            elif label is not None and len(label) > 80:
                problems[f"{where}.label"] = "Must be 80 or fewer in length."
            elif button.get("style") == 5:
                if not url or custom_id is not None:
                    problems[where] = "A link button has a url and no custom_id."
            elif not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
                problems[f"{where}.custom_id"] = "Must be between 1 and 100 in length."
            elif custom_id in seen:
                problems[f"{where}.custom_id"] = "Component custom id cannot be duplicated"
            else:
                seen.add(custom_id)
    return problems


def modal_problems(data: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    title, custom_id = data.get("title"), data.get("custom_id")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        problems["data.title"] = "Must be between 1 and 45 in length."
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        problems["data.custom_id"] = "Must be between 1 and 100 in length."
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        problems["data.components"] = "Must be between 1 and 5 in length."
    for r, row in enumerate(rows):
        inner = row.get("components", [None])[0] if row.get("type") == 1 else row.get("component")
        where = f"data.components.{r}"
        label = (inner or {}).get("label") or row.get("label")
        if not inner or inner.get("type") != 4:
            problems[where] = "A text input is expected here."
        elif not isinstance(label, str) or not 1 <= len(label) <= 45:
            problems[f"{where}.label"] = "Must be between 1 and 45 in length."
        elif len(inner.get("placeholder") or "") > 100:
            problems[f"{where}.placeholder"] = "Must be 100 or fewer in length."
        elif not 1 <= int(inner.get("max_length", 4000)) <= 4000:
            problems[f"{where}.max_length"] = "Must be between 1 and 4000."
        elif len(inner.get("value") or "") > int(inner.get("max_length", 4000)):
            problems[f"{where}.value"] = "Longer than max_length."
    return problems


class FakeDiscord:
    def __init__(self, token: str = "fake-bot-token", *, ack_deadline: float = 3.0) -> None:
        self.token = token
        self.ack_deadline = ack_deadline
        self.app_id = snowflake()
        self.bot_user = user_payload(self.app_id, "Campaign Bot", bot=True)
        self.guild_id = snowflake()
        self.channel_id = snowflake()  # #general
        self.other_channel_id = snowflake()  # #daily
        self.role_ids = {"moderators": "777", "members": "888"}
        self.calls: list[Call] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # None: global
        self.interactions: dict[str, Interaction] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.closed_dms: dict[str, int] = {}  # user id -> 50007 or 50278
        self.members: dict[str, tuple[str, ...]] = {}  # user id -> role ids in the server
        self.denied: dict[str, int] = {}  # channel id -> 50001 or 50013 (see deny())
        self.deleted_channels: set[str] = set()  # see delete_channel()
        self.bucket_limit, self.bucket_window = 5, 5.0  # Discord: 5 messages / 5 s / channel
        self.buckets: dict[tuple[str, str], Bucket] = {}  # (route, channel id) -> bucket
        self.rate_limited = 0  # 429s the buckets answered
        self.faults: list[Fault] = []
        # (method, path, status, code) of every request refused other than by `fail`: tests
        # assert there are none unless they provoked them (the adapter only logs these).
        self.refusals: list[tuple[str, str, int, int | None]] = []
        self.identifies = self.resumes = self.refused_resumes = self.connections = 0
        self.refuse_resume = False
        self.intents: int | None = None
        self._ws: web.WebSocketResponse | None = None
        self._session: str | None = None
        self._seq = 0
        self._events: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Server ---------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=4 * MAX_UPLOAD)  # the fake refuses, not aiohttp
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate() is truthy (checked after every change); its value."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return predicate()

    def fail(self, method: str, pattern: str, status: int = 0, *, code: int = 0,
             message: str = "", retry_after: float = 1.0, via: bool = True, delay: float = 0.0,
             times: int = 1) -> None:
        """The next `times` calls matching method and path regex get this answer (or delay)."""
        self.faults.append(Fault(method, re.compile(pattern), status, code, message,
                                 retry_after, via, delay, times))

    def deny(self, channel_id: str, code: int = MISSING_PERMISSIONS) -> None:
        """The bot loses access to a channel (50001) or the right to post there (50013)."""
        if code not in DENIED:
            raise ValueError(f"not a permission error code: {code}")
        self.denied[channel_id] = code

    async def delete_channel(self, channel_id: str) -> None:
        """Someone deletes a channel of the server: the client hears CHANNEL_DELETE (and drops
        it from its cache); from now on every request to it is answered 404 10003."""
        self.deleted_channels.add(channel_id)
        await self._dispatch("CHANNEL_DELETE", {"id": channel_id, "type": 0,
                                                "guild_id": self.guild_id, "name": "gone",
                                                "position": 0, "permission_overwrites": []})
        await self._notify()

    def _not_users(self) -> set[str]:
        """Ids Discord knows as something other than a user: no DM can be opened with them."""
        return {self.guild_id, self.channel_id, self.other_channel_id, self.app_id,
                *self.deleted_channels, *self.dm_channels.values()}

    # Gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            packet = json.loads(msg.data)
            op, data = packet.get("op"), packet.get("d")
            if op == 1:
                await ws.send_json({"op": 11})
            elif op == 2:
                await self._identify(ws, data)
            elif op == 6:
                await self._resume(ws, data)
        if self._ws is ws:
            self._ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.intents = int(data.get("intents", 0))
        if self.intents & PRIVILEGED_INTENTS:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identifies += 1
        self._ws, self._session, self._seq, self._events = ws, snowflake(), 0, []
        await self._dispatch("READY", {
            "v": 10, "user": self.bot_user, "session_id": self._session,
            "resume_gateway_url": self.gateway_url, "guilds": [
                {"id": self.guild_id, "unavailable": True}],
            "application": {"id": self.app_id, "flags": 0}, "shard": [0, 1],
        })
        await self._dispatch("GUILD_CREATE", self.guild_payload())
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if (self.refuse_resume or data.get("token") != self.token
                or data.get("session_id") != self._session):
            self.refused_resumes += 1
            await ws.send_json({"op": 9, "d": False})  # INVALID_SESSION: identify afresh
            return
        self.resumes += 1
        self._ws = ws
        seq = data.get("seq") or 0
        for event in self._events:
            if event["s"] > seq:
                await ws.send_json(event)
        await self._dispatch("RESUMED", {})
        await self._notify()

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        packet = {"op": 0, "t": event, "s": self._seq, "d": data}
        self._events.append(packet)
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_json(packet)

    async def close_gateway(self, code: int = 4000) -> None:
        """Close the gateway connection as Discord does on a hiccup: the client resumes."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close(code=code, message=b"Unknown error")

    def guild_payload(self) -> dict[str, Any]:
        def channel(channel_id: str, name: str, position: int) -> dict[str, Any]:
            return {"id": channel_id, "type": 0, "guild_id": self.guild_id, "name": name,
                    "position": position, "permission_overwrites": [], "nsfw": False,
                    "parent_id": None, "topic": None, "last_message_id": None,
                    "rate_limit_per_user": 0, "flags": 0}

        def role(role_id: str, name: str, position: int) -> dict[str, Any]:
            return {"id": role_id, "name": name, "permissions": "0", "position": position,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False,
                    "flags": 0}

        return {
            "id": self.guild_id, "name": "Campaign HQ", "icon": None, "owner_id": "1",
            "roles": [role(self.guild_id, "@everyone", 0),
                      *(role(rid, name, i + 1) for i, (name, rid) in
                        enumerate(self.role_ids.items()))],
            "emojis": [], "stickers": [], "features": [], "member_count": 3, "members": [],
            "channels": [channel(self.channel_id, "general", 0),
                         channel(self.other_channel_id, "daily", 1)],
            "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "large": False,
            "unavailable": False, "joined_at": now_iso(), "premium_tier": 0, "mfa_level": 0,
            "verification_level": 0, "explicit_content_filter": 0,
            "default_message_notifications": 0, "afk_timeout": 300, "system_channel_flags": 0,
            "preferred_locale": "en-US", "nsfw_level": 0, "application_id": None,
        }

    # Injecting interactions -----------------------------------------------------------------

    async def command(self, name: str, *, user_id: str = "1001", user_name: str = "Ada",
                      options: dict[str, str] | None = None, guild: bool = True,
                      roles: tuple[str, ...] = (), permissions: int = 0,
                      channel_id: str | None = None, locale: str = "en-US") -> Interaction:
        """A slash command, as Discord sends it: only a command that was synced exists.
        `locale`: the language of the person's Discord client ("es-419", "es-ES")."""
        registered = self.commands.get(self.guild_id, []) if guild else []
        found = next((c for c in registered if c["name"] == name), None)
        data: dict[str, Any] = {"name": name, "type": 1}
        if found is not None:
            data["guild_id"] = self.guild_id
        else:
            found = next((c for c in self.commands.get(None, []) if c["name"] == name), None)
        if found is None:
            raise LookupError(f"/{name} was never synced: Discord would not offer it")
        if not guild and 1 not in (found.get("contexts") or [0, 1]):
            raise LookupError(f"/{name} is not offered in DMs")
        data["id"] = found["id"]
        known = {o["name"]: o for o in found.get("options", [])}
        data["options"] = []
        for key, value in (options or {}).items():
            if key not in known:
                raise LookupError(f"/{name} has no option {key!r}")
            data["options"].append({"name": key, "type": known[key]["type"], "value": value})
            if known[key]["type"] == 7:  # a channel: Discord resolves it for the bot
                data.setdefault("resolved", {}).setdefault("channels", {})[value] = {
                    "id": value, "name": "daily", "type": 0, "permissions": str(permissions),
                    "guild_id": self.guild_id, "parent_id": None}
        return await self._interaction(2, data, user_id, user_name, guild, roles, permissions,
                                       channel_id, locale=locale)

    async def press(self, message: dict[str, Any] | str, custom_id: str, *,
                    user_id: str = "1001", user_name: str = "Ada", roles: tuple[str, ...] = (),
                    permissions: int = 0, locale: str = "en-US") -> Interaction:
        """A button press on a message; the message must carry a button with that custom_id
        (a stale button from an old message is fabricated with `stale_message`)."""
        message = self.messages[message] if isinstance(message, str) else message
        ids = [b.get("custom_id") for row in message.get("components", [])
               for b in row.get("components", [])]
        if custom_id not in ids:
            raise LookupError("no such button on that message")
        guild = "guild_id" in message
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, data, user_id, user_name, guild, roles, permissions,
                                       message["channel_id"], message, locale=locale)

    def stale_message(self, custom_id: str, *, guild: bool = True, user_id: str = "1001",
                      flags: int = 0) -> dict[str, Any]:
        """A message the bot sent long ago (or a client tampered with) carrying `custom_id`."""
        channel_id = self.channel_id if guild else self._dm_channel(user_id)
        body = {"content": "An old message", "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "Old button", "custom_id": custom_id}]}]}
        return self._store_message(channel_id, body, flags)

    async def submit(self, custom_id: str, values: dict[str, str], *, user_id: str = "1001",
                     user_name: str = "Ada", guild: bool = True, roles: tuple[str, ...] = (),
                     permissions: int = 0, locale: str = "en-US") -> Interaction:
        data = {"custom_id": custom_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()]}
        return await self._interaction(5, data, user_id, user_name, guild, roles, permissions,
                                       locale=locale)

    async def _interaction(self, kind: int, data: dict[str, Any], user_id: str, user_name: str,
                           guild: bool, roles: tuple[str, ...], permissions: int,
                           channel_id: str | None = None,
                           message: dict[str, Any] | None = None,
                           locale: str = "en-US") -> Interaction:
        user = user_payload(user_id, user_name)
        payload: dict[str, Any] = {
            "id": snowflake(), "application_id": self.app_id, "type": kind, "data": data,
            "token": "itok-" + snowflake(), "version": 1, "locale": locale,
            "app_permissions": "2248473465835073", "entitlements": [],
            "attachment_size_limit": 8388608,
        }
        if guild:
            self.members[user_id] = tuple(roles)
            channel_id = channel_id or self.channel_id
            payload.update(guild_id=self.guild_id, guild_locale="en-US", context=0,
                           authorizing_integration_owners={"0": self.guild_id},
                           member={"user": user, "roles": list(roles), "nick": None,
                                   "avatar": None, "joined_at": now_iso(), "deaf": False,
                                   "mute": False, "flags": 0, "pending": False,
                                   "permissions": str(permissions)})
            payload["channel"] = {"id": channel_id, "type": 0, "guild_id": self.guild_id,
                                  "name": "general", "position": 0, "nsfw": False,
                                  "permission_overwrites": [], "parent_id": None,
                                  "permissions": str(permissions)}
        else:
            channel_id = channel_id or self._dm_channel(user_id)
            payload.update(user=user, context=1,
                           authorizing_integration_owners={"0": self.guild_id})
            payload["channel"] = {"id": channel_id, "type": 1, "recipients": [user]}
        payload["channel_id"] = channel_id
        if message is not None:
            payload["message"] = self._public(message)
        record = Interaction(payload["id"], payload["token"], kind, payload,
                             asyncio.get_running_loop().time())
        self.interactions[record.id] = record
        await self._dispatch("INTERACTION_CREATE", payload)
        return record

    # Reading what happened ------------------------------------------------------------------

    def messages_of(self, interaction: Interaction) -> list[dict[str, Any]]:
        return [self.messages[m] for m in interaction.message_ids if m in self.messages]

    def answered(self, interaction: Interaction, count: int = 1) -> bool:
        """At least `count` finished (not loading) messages, or a modal."""
        if interaction.modal is not None:
            return True
        done = [m for m in self.messages_of(interaction) if not m.get("_loading")]
        return len(done) >= count

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.fullmatch(c.path)]

    # REST -----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type == "multipart/form-data":  # discord.py's uploads
            body = await self._multipart(request)
            if sum(len(f["data"]) for f in body["_files"]) > MAX_UPLOAD:
                self.calls.append(Call(request.method, path, body,
                                       asyncio.get_running_loop().time()))
                self.refusals.append((request.method, path, 413, 40005))
                await self._notify()
                return error(413, 40005, "Request entity too large")
        elif request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return error(400, 50109, "The request body contains invalid JSON.")
        self.calls.append(Call(request.method, path, body, asyncio.get_running_loop().time()))
        try:
            for fault in list(self.faults):
                if fault.method == request.method and fault.pattern.fullmatch(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if fault.delay:
                        await asyncio.sleep(fault.delay)
                    if fault.status:
                        return self._fault(fault)
                    break
            public = path.startswith(("/interactions/", "/webhooks/"))
            bucket = self._bucket(request.method, path)
            if not public and request.headers.get("Authorization") != f"Bot {self.token}":
                response = error(401, 0, "401: Unauthorized")
            elif bucket is not None and bucket[1].remaining <= 0:
                response = self._bucket_429(*bucket)
            else:
                response = await self._route(request.method, path,
                                             {} if body is None else body, request.query)
                if bucket is not None:
                    bucket[1].remaining -= 1  # refused requests count too, as at Discord
                    response.headers.update(self._bucket_headers(*bucket))
            if response.status >= 400:  # refused on its merits, not by an injected fault
                code = json.loads(response.body).get("code") if response.body else None
                self.refusals.append((request.method, path, response.status, code))
            return response
        finally:
            await self._notify()

    @staticmethod
    async def _multipart(request: web.Request) -> dict[str, Any]:
        """`payload_json` (the JSON body) and `files[n]` (the uploads), as discord.py sends a
        message with files; the uploads land in the body's `_files`, in order."""
        body: dict[str, Any] = {}
        files: list[dict[str, Any]] = []
        async for part in await request.multipart():
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                body = json.loads(data)
            elif (part.name or "").startswith("files["):
                files.append({"filename": part.filename,  # type: ignore[union-attr]
                              "content_type": part.headers.get("Content-Type", ""),
                              "data": bytes(data)})
        body["_files"] = files
        return body

    def _bucket(self, method: str, path: str) -> tuple[str, Bucket] | None:
        """The route's name and its bucket for this channel, refilled if its window passed."""
        for verb, pattern, route in BUCKETED:
            if verb == method and (m := pattern.fullmatch(path)):
                now = asyncio.get_running_loop().time()
                bucket = self.buckets.get((route, m.group(1)))
                if bucket is None or bucket.resets_at <= now:
                    bucket = Bucket(self.bucket_limit, self.bucket_limit,
                                    now + self.bucket_window)
                    self.buckets[(route, m.group(1))] = bucket
                return route, bucket
        return None

    @staticmethod
    def _bucket_headers(route: str, bucket: Bucket) -> dict[str, str]:
        # Rounded up to the millisecond: a client that waits exactly this long finds the
        # bucket reset, never a hair early.
        left = math.ceil(max(0.0, bucket.resets_at - asyncio.get_running_loop().time()) * 1000
                         ) / 1000
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, bucket.remaining)),
            "X-RateLimit-Reset": f"{time.time() + left:.3f}",  # epoch seconds
            "X-RateLimit-Reset-After": f"{left:.3f}",
            "X-RateLimit-Bucket": hashlib.md5(route.encode()).hexdigest(),
        }

    def _bucket_429(self, route: str, bucket: Bucket) -> web.Response:
        """Discord's answer past a bucket's limit: the wait in the body and the headers, and
        `Via` (discord.py takes a 429 without it for a Cloudflare ban)."""
        self.rate_limited += 1
        headers = self._bucket_headers(route, bucket)
        after = float(headers["X-RateLimit-Reset-After"])
        headers |= {"Retry-After": str(math.ceil(after)), "X-RateLimit-Scope": "user",
                    "Via": "1.1 google"}
        return json_response(429, {"message": "You are being rate limited.",
                                   "retry_after": after, "global": False}, headers)

    def _fault(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            headers = {"Retry-After": str(fault.retry_after)}
            if fault.via:
                headers["Via"] = "1.1 google"
            return json_response(429, {"message": "You are being rate limited.",
                                       "retry_after": fault.retry_after, "global": False},
                                 headers)
        return error(fault.status, fault.code, fault.message or "Injected failure")

    async def _route(self, method: str, path: str, body: dict[str, Any],
                     query: Any) -> web.Response:
        app = self.app_id
        if method == "GET" and path == "/users/@me":
            return json_response(200, self.bot_user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return json_response(200, self.application_payload())
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return json_response(200, {"url": self.gateway_url, "shards": 1,
                                       "session_start_limit": {"total": 1000, "remaining": 999,
                                                               "reset_after": 0,
                                                               "max_concurrency": 1}})
        if m := re.fullmatch(rf"/applications/{app}(?:/guilds/(\d+))?/commands", path):
            return self._commands(method, m.group(1), body)
        if method == "POST" and (m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback",
                                                  path)):
            return self._callback(m.group(1), m.group(2), body)
        if m := re.fullmatch(rf"/webhooks/{app}/([^/]+)(?:/messages/(@original|\d+))?", path):
            return self._webhook(method, m.group(1), m.group(2), body)
        if method == "GET" and (m := re.fullmatch(r"/guilds/(\d+)/members/(\d+)", path)):
            return self._member(m.group(1), m.group(2))
        if method == "POST" and path == "/users/@me/channels":
            return self._open_dm(body)
        if (m := re.match(r"/channels/(\d+)", path)) and m.group(1) in self.deleted_channels:
            return error(404, 10003, "Unknown Channel")
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", path)):
            return self._channel_message(m.group(1), body)
        if method == "DELETE" and (m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)):
            if m.group(1) in self.denied:
                return error(403, self.denied[m.group(1)], DENIED[self.denied[m.group(1)]])
            message = self.messages.get(m.group(2))
            if message is None or message["channel_id"] != m.group(1):
                return error(404, 10008, "Unknown Message")
            del self.messages[m.group(2)]
            return json_response(204)
        if method == "PATCH" and (m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)):
            if m.group(1) in self.denied:
                return error(403, self.denied[m.group(1)], DENIED[self.denied[m.group(1)]])
            message = self.messages.get(m.group(2))
            if message is None or message["channel_id"] != m.group(1):
                return error(404, 10008, "Unknown Message")
            if problems := message_problems(body, new=False):
                return invalid(problems)
            return json_response(200, self._public(self._edit(message, body)))
        return error(404, 0, "404: Not Found")

    def application_payload(self) -> dict[str, Any]:
        return {"id": self.app_id, "name": "Campaign Bot", "icon": None, "description": "",
                "bot_public": False, "bot_require_code_grant": False,
                "owner": user_payload("1", "Owner"), "verify_key": "00" * 32, "flags": 0,
                "summary": "", "team": None, "rpc_origins": [], "terms_of_service_url": None,
                "privacy_policy_url": None, "interactions_endpoint_url": None,
                "bot": self.bot_user}

    def _commands(self, method: str, guild_id: str | None, body: Any) -> web.Response:
        key = guild_id
        if guild_id is not None and guild_id != self.guild_id:
            return error(403, 50001, "Missing Access")
        if method == "GET":
            return json_response(200, self.commands.get(key, []))
        if method != "PUT" or not isinstance(body, list):
            return error(405, 0, "405: Method Not Allowed")
        problems: dict[str, str] = {}
        names = set()
        for index, command in enumerate(body):
            name, description = command.get("name", ""), command.get("description", "")
            if not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower():
                problems[f"{index}.name"] = "Command name is invalid"
            if not 1 <= len(description) <= 100:
                problems[f"{index}.description"] = "Must be between 1 and 100 in length."
            if name in names:
                problems[f"{index}.name"] = "Application command names must be unique"
            names.add(name)
            for option in command.get("options", []):
                if not 1 <= len(option.get("description", "")) <= 100:
                    problems[f"{index}.options"] = "Must be between 1 and 100 in length."
                for choice in option.get("choices") or []:
                    problems.update(_localizations(f"{index}.options", choice))
                problems.update(_localizations(f"{index}.options", option))
            problems.update(_localizations(str(index), command))
        if problems:
            return invalid(problems)
        old = {c["name"]: c["id"] for c in self.commands.get(key, [])}
        stored = [{**c, "id": old.get(c["name"]) or snowflake(), "application_id": self.app_id,
                   "version": snowflake(), **({"guild_id": key} if key else {})} for c in body]
        self.commands[key] = stored
        return json_response(200, stored)

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> web.Response:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            return error(404, 10062, "Unknown interaction")
        now = asyncio.get_running_loop().time()
        if record.acked_at is not None:
            record.refused.append(40060)
            return error(400, 40060, "Interaction has already been acknowledged.")
        if now - record.sent_at > self.ack_deadline:  # Discord: respond within 3 seconds
            record.refused.append(10062)
            return error(404, 10062, "Unknown interaction")
        kind, data = body.get("type"), body.get("data") or {}
        if body.get("_files"):  # uploaded beside payload_json, for the response's message
            data = {**data, "_files": body["_files"]}
        flags = int(data.get("flags") or 0)
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 5: {4, 5, 6, 7}}[record.type]
        if kind not in allowed:
            return invalid({"type": f"Interaction response type {kind} is not valid here"})
        if kind in (4, 7) and (problems := message_problems(data, new=kind == 4)):
            return invalid({f"data.{k}": v for k, v in problems.items()})
        if kind == 9 and (problems := modal_problems(data)):
            return invalid(problems)
        record.acked_at, record.ack_type, record.ack = now, kind, body
        message = None
        if kind == 4:
            message = self._store_message(record.payload["channel_id"], data, flags, record)
        elif kind == 5:
            message = self._store_message(record.payload["channel_id"], {"content": ""},
                                          flags & EPHEMERAL, record, loading=True)
        elif kind in (6, 7):
            source = record.payload.get("message")
            if source is not None and source["id"] in self.messages:
                record.original_id = source["id"]
                record.message_ids.append(source["id"])
                if kind == 7:
                    message = self._edit(self.messages[source["id"]], data)
        elif kind == 9:
            record.modal = data
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = self._public(message)
        return json_response(200, {"interaction": {
            "id": record.id, "type": record.type,
            "response_message_id": record.original_id,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL)}, "resource": resource})

    def _by_token(self, token: str) -> Interaction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def _webhook(self, method: str, token: str, target: str | None,
                 body: dict[str, Any]) -> web.Response:
        record = self._by_token(token)
        if record is None or record.acked_at is None:  # a follow-up needs the first response
            if record is not None:
                record.refused.append(10015)
            return error(404, 10015, "Unknown Webhook")
        if asyncio.get_running_loop().time() - record.sent_at > TOKEN_LIFETIME:
            return error(401, 50027, "Invalid Webhook Token")
        if target is None:
            if method != "POST":
                return error(405, 0, "405: Method Not Allowed")
            if problems := message_problems(body):
                return invalid(problems)
            original = self.messages.get(record.original_id or "")
            if original is not None and original.get("_loading"):
                # Discord: the first follow-up after a defer resolves the "thinking" message,
                # keeping the defer's visibility whatever flags it asks for.
                return json_response(200, self._public(self._edit(original, body)))
            flags = int(body.get("flags") or 0) & EPHEMERAL
            return json_response(200, self._public(
                self._store_message(record.payload["channel_id"], body, flags, record)))
        message_id = record.original_id if target == "@original" else target
        message = self.messages.get(message_id or "")
        if message is None:
            return error(404, 10008, "Unknown Message")
        if method == "GET":
            return json_response(200, self._public(message))
        if method == "DELETE":
            del self.messages[message["id"]]
            return json_response(204)
        if method == "PATCH":
            if problems := message_problems(body, new=False):
                return invalid(problems)
            return json_response(200, self._public(self._edit(message, body)))
        return error(405, 0, "405: Method Not Allowed")

    def _member(self, guild_id: str, user_id: str) -> web.Response:
        if guild_id != self.guild_id:
            return error(404, 10004, "Unknown Guild")
        roles = self.members.get(user_id)
        if roles is None:
            return error(404, 10007, "Unknown Member")
        return json_response(200, {"user": user_payload(user_id, "Someone"), "roles": list(roles),
                                   "nick": None, "avatar": None, "joined_at": now_iso(),
                                   "deaf": False, "mute": False, "flags": 0, "pending": False})

    def _dm_channel(self, user_id: str) -> str:
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = snowflake()
        return self.dm_channels[user_id]

    def _open_dm(self, body: dict[str, Any]) -> web.Response:
        user_id = str(body.get("recipient_id", ""))
        if not user_id.isdecimal():
            return invalid({"recipient_id": "Value is not snowflake."})
        if user_id in self._not_users():
            return error(400, 50033, "Invalid Recipient(s)")
        channel_id = self._dm_channel(user_id)
        return json_response(200, {"id": channel_id, "type": 1, "last_message_id": None,
                                    "recipients": [user_payload(user_id, "Someone")]})

    def _channel_message(self, channel_id: str, body: dict[str, Any]) -> web.Response:
        dm_user = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if dm_user is None and channel_id not in (self.channel_id, self.other_channel_id):
            return error(404, 10003, "Unknown Channel")
        if dm_user is not None and dm_user in self.closed_dms:
            code = self.closed_dms[dm_user]
            return error(403, code, "Cannot send messages to this user")
        if channel_id in self.denied:
            return error(403, self.denied[channel_id], DENIED[self.denied[channel_id]])
        if problems := message_problems(body):
            return invalid(problems)
        flags = int(body.get("flags") or 0)
        if flags & EPHEMERAL:
            return invalid({"flags": "Only interaction responses can be ephemeral."})
        return json_response(200, self._public(self._store_message(channel_id, body, flags)))

    # Messages -------------------------------------------------------------------------------

    def _store_message(self, channel_id: str, body: dict[str, Any], flags: int,
                       record: Interaction | None = None, loading: bool = False
                       ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": snowflake(), "channel_id": channel_id, "author": self.bot_user,
            "content": body.get("content") or "", "components": body.get("components") or [],
            "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "type": 0, "flags": flags | (128 if loading else 0),
            "application_id": self.app_id, "_loading": loading,
            "_allowed_mentions": body.get("allowed_mentions"),
        }
        self._attach(message, body)
        if channel_id in (self.channel_id, self.other_channel_id):
            message["guild_id"] = self.guild_id
        if record is not None:
            message["webhook_id"] = self.app_id
            record.message_ids.append(message["id"])
            if record.original_id is None:
                record.original_id = message["id"]
        self.messages[message["id"]] = message
        return message

    def _edit(self, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if "content" in body:
            message["content"] = body["content"] or ""
        if "components" in body:
            message["components"] = body["components"] or []
        if "allowed_mentions" in body:
            message["_allowed_mentions"] = body["allowed_mentions"]
        if body.get("_files"):
            self._attach(message, body)
        message["edited_timestamp"] = now_iso()
        message["flags"] &= ~128
        message["_loading"] = False
        return message

    @staticmethod
    def _attach(message: dict[str, Any], body: dict[str, Any]) -> None:
        """The uploads as Discord lists them on the message; the bytes kept in `_files`."""
        files = body.get("_files") or []
        message["_files"] = files
        message["attachments"] = [
            {"id": snowflake(), "filename": f["filename"], "size": len(f["data"]),
             "content_type": f["content_type"], "url": f"https://cdn.invalid/{f['filename']}",
             "proxy_url": f"https://media.invalid/{f['filename']}"} for f in files]

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}


def buttons(message: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(label, custom_id or url) of every button on a message, in order."""
    return [(b.get("label", ""), b.get("custom_id") or b.get("url"))
            for row in message.get("components", []) for b in row.get("components", [])]


def button_id(messages: list[dict[str, Any]], label_prefix: str) -> tuple[dict[str, Any], str]:
    """The message carrying the one button labelled `label_prefix` (or starting so), and its
    custom_id."""
    every = [(m, b) for m in messages for row in m.get("components", [])
             for b in row.get("components", [])]
    found = [(m, b.get("custom_id")) for m, b in every if b.get("label") == label_prefix] or [
        (m, b.get("custom_id")) for m, b in every
        if b.get("label", "").startswith(label_prefix)]
    if len(found) != 1:
        shown = [label for m in messages for label, _ in buttons(m)]
        raise AssertionError(f"no single button {label_prefix!r} among {shown}")
    return found[0]  # type: ignore[return-value]


# Harness: the real adapter, on a temporary database, against this fake -------------------

def with_fake(config: Any, fake: FakeDiscord, *, guilds: bool = True) -> Any:
    """`config` pointed at `fake`; slash commands synced to its server, or global."""
    from bot.config import Discord

    return config.model_copy(update={"discord": Discord(
        api_base_url=fake.base_url, gateway_url=fake.gateway_url,
        guild_ids=(int(fake.guild_id),) if guilds else ())})


async def answer(fake: FakeDiscord, interaction: Interaction, count: int = 1
                 ) -> list[dict[str, Any]]:
    """The messages answering an interaction, once there are `count` of them."""
    await fake.until(lambda: fake.answered(interaction, count))
    return fake.messages_of(interaction)


def text(messages: list[dict[str, Any]]) -> str:
    return "\n\n".join(m["content"] for m in messages)


@asynccontextmanager
async def running(config: Any, clock: Any, fake: FakeDiscord,
                  token: str | None = None) -> AsyncIterator[Any]:
    """A started DiscordAdapter (and its own Dispatcher and database connection); stopped after."""
    from bot.adapters.discord import DiscordAdapter
    from bot.app import open_bot

    async with open_bot(config, clock) as bot:
        adapter = DiscordAdapter(bot, token or fake.token, asyncio.Event())
        await asyncio.wait_for(adapter.start(), 15)
        try:
            yield adapter
        finally:
            await asyncio.wait_for(adapter.stop(), 5)


def bounded(seconds: float) -> Callable[[Callable[..., Awaitable[None]]],
                                        Callable[..., Awaitable[None]]]:
    """Fail an async test that runs longer than `seconds` instead of hanging the suite."""
    def wrap(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> None:
            await asyncio.wait_for(test(*args, **kwargs), seconds)

        return run

    return wrap


@pytest.fixture
def dconfig(config: Any, fake: FakeDiscord) -> Any:
    """The test's config pointed at the `fake` Discord. (Each Discord test module starts its
    own `adapter` from it: that fixture name is the Telegram harness's in this plugin set.)"""
    return with_fake(config, fake)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A running fake Discord for one test; at the end it must have refused nothing the test
    did not provoke (tests that provoke a refusal check it and clear the list)."""
    server = await FakeDiscord().start()
    yield server
    await server.close()
    assert server.refusals == []

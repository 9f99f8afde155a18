"""Where a signature came from: the source tag of a `?start=sign_<source>` deep link.

A source names a channel (a flyer, a newsletter), never a person: it is stored on the
signature as it is and shown to organisers in /stats and the export."""

from __future__ import annotations

import re

PREFIX = "sign_"  # the deep link's payload: "sign_flyer" opens /sign with the source "flyer"
UNKNOWN = "unknown"  # a sign_ link whose tag is malformed: it still signs
SOURCE = re.compile(r"[a-z0-9-]{1,32}")
RULE = "a source is 1 to 32 characters of a-z, 0-9 and -"


def valid(tag: str) -> bool:
    return SOURCE.fullmatch(tag) is not None


def from_args(args: str) -> str | None:
    """The source a command's arguments carry: None (direct) unless they are a deep link's
    "sign_<source>"; a malformed tag is UNKNOWN, so the signature still counts."""
    args = args.strip()
    if args[:len(PREFIX)].lower() != PREFIX:
        return None
    tag = args[len(PREFIX):]
    return tag if valid(tag) else UNKNOWN


def sign_link(username: str, source: str | None = None) -> str:
    """The Telegram link that opens /sign in a private chat with the bot; with `source`,
    recording it on the signature."""
    payload = "sign" if source is None else PREFIX + source
    return f"https://t.me/{username}?start={payload}"

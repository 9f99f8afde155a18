"""What an announcement's report says, per platform: counted from the outbox rows' states, so
it says what happened to each row (a cancelled row is "cancelled", never "not sent")."""

from __future__ import annotations

from collections.abc import Collection

# Report parts, per platform (report_lines).
DELIVERED, LEFT, DMS_CLOSED = "{n:,} delivered", "{n:,} blocked or left", "{n:,} DMs closed"
FAILED, UNCERTAIN = "{n:,} failed", "{n:,} uncertain"
CANCELLED_ROWS, EXPIRED_ROWS = "{n:,} cancelled", "{n:,} expired"
TO_SEND, BEING_SENT = "{n:,} still to send", "{n:,} being sent"
WAITING = "{n:,} waiting for {platform}"


def report_lines(counts: dict[str, dict[str, int]], dms_closed: dict[str, int],
                 connected: tuple[str, ...] = (),
                 closable_dms: Collection[str] = ()) -> list[str]:
    """Per platform, what happened to each row: final outcomes, then cancelled and expired
    ones, then those still waiting (for their turn, or for a platform that is not connected).
    `closable_dms`: platforms where people can close their DMs without blocking the bot
    (Capabilities.closable_dms), whose line always says how many did."""
    lines = []
    for platform, states in sorted(counts.items()):
        count = states.get
        closed = dms_closed.get(platform, 0)
        parts = [DELIVERED.format(n=count("delivered", 0)),
                 LEFT.format(n=count("gone", 0) - closed)]
        if platform in closable_dms or closed:
            parts.append(DMS_CLOSED.format(n=closed))
        parts += [FAILED.format(n=count("failed", 0)), UNCERTAIN.format(n=count("uncertain", 0))]
        for state, text in (("cancelled", CANCELLED_ROWS), ("expired", EXPIRED_ROWS)):
            if count(state):
                parts.append(text.format(n=count(state)))
        if platform not in connected:
            waiting = count("pending", 0) + count("sending", 0)
            if waiting:
                parts.append(WAITING.format(n=waiting, platform=platform.title()))
        else:
            for state, text in (("pending", TO_SEND), ("sending", BEING_SENT)):
                if count(state):
                    parts.append(text.format(n=count(state)))
        lines.append(f"{platform.title()}: " + ", ".join(parts))
    return lines

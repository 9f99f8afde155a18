"""What an announcement's report says, per platform: counted from the outbox rows' states, so
it says what happened to each row (a cancelled row is "cancelled", never "not sent"). In the
moderator's language (`tr`), with its plural rules."""

from __future__ import annotations

from collections.abc import Collection

from ..i18n import N_, NP_, Translator, translator

# Report parts, per platform (report_lines): plural pairs, {count} formatted for the language.
DELIVERED = NP_("{count} delivered", "{count} delivered")
LEFT = NP_("{count} blocked or left", "{count} blocked or left")
DMS_CLOSED = NP_("{count} DMs closed", "{count} DMs closed")
FAILED = NP_("{count} failed", "{count} failed")
UNCERTAIN = NP_("{count} uncertain", "{count} uncertain")
CANCELLED_ROWS = NP_("{count} cancelled", "{count} cancelled")
EXPIRED_ROWS = NP_("{count} expired", "{count} expired")
TO_SEND = NP_("{count} still to send", "{count} still to send")
BEING_SENT = NP_("{count} being sent", "{count} being sent")
WAITING = NP_("{count} waiting for {platform}", "{count} waiting for {platform}")
# One platform's line: {counts} is the list of the parts above.
LINE = N_("{platform}: {counts}")


def report_lines(counts: dict[str, dict[str, int]], dms_closed: dict[str, int],
                 connected: tuple[str, ...] = (),
                 closable_dms: Collection[str] = (), tr: Translator | None = None) -> list[str]:
    """Per platform, what happened to each row: final outcomes, then cancelled and expired
    ones, then those still waiting (for their turn, or for a platform that is not connected).
    `closable_dms`: platforms where people can close their DMs without blocking the bot
    (Capabilities.closable_dms), whose line always says how many did."""
    tr = tr or translator()
    lines = []
    for platform, states in sorted(counts.items()):
        count = states.get
        closed = dms_closed.get(platform, 0)
        parts = [tr.n(*DELIVERED, count("delivered", 0)),
                 tr.n(*LEFT, count("gone", 0) - closed)]
        if platform in closable_dms or closed:
            parts.append(tr.n(*DMS_CLOSED, closed))
        parts += [tr.n(*FAILED, count("failed", 0)), tr.n(*UNCERTAIN, count("uncertain", 0))]
        for state, text in (("cancelled", CANCELLED_ROWS), ("expired", EXPIRED_ROWS)):
            if count(state):
                parts.append(tr.n(*text, count(state)))
        if platform not in connected:
            waiting = count("pending", 0) + count("sending", 0)
            if waiting:
                parts.append(tr.n(*WAITING, waiting, platform=platform.title()))
        else:
            for state, text in (("pending", TO_SEND), ("sending", BEING_SENT)):
                if count(state):
                    parts.append(tr.n(*text, count(state)))
        lines.append(tr.t(LINE, platform=platform.title(), counts=", ".join(parts)))
    return lines

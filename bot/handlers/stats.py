"""/stats for moderators: how the campaign is doing."""

from __future__ import annotations

from ..core import Bold, Reply
from ..routing import Context, Router

router = Router()

HEADING = "Campaign stats"
SIGNATURES = "\n\nSignatures: {total} (today {today}, last 7 days {week})"
PLATFORM = "\n  on {platform}: {count}"
UPDATES = "\nAsked for updates: {count}"
RSVPS = "\n\nRSVPs:"
EVENT = "\n  {title}: {count}"
SUBSCRIBERS = "\n\nActive daily-prompt subscribers: {count}"
CHATS = "\nGroups and channels with the daily post: {count}"
EXPIRED = "\n\nMessages that expired before they could be sent: {count}"


@router.command("stats", moderator=True)
async def stats(ctx: Context):
    """Signatures, RSVPs and subscribers at a glance."""
    s = await ctx.store.stats(ctx.now, ctx.config.zone)
    parts: list = [Bold(HEADING), SIGNATURES.format(
        total=s.signatures, today=s.signatures_today, week=s.signatures_7_days)]
    parts += [PLATFORM.format(platform=p, count=n) for p, n in s.per_platform.items()]
    parts.append(UPDATES.format(count=s.wants_updates))
    parts.append(RSVPS)
    parts += [EVENT.format(title=e.title, count=s.rsvps.get(e.id, 0)) for e in ctx.config.events]
    parts.append(SUBSCRIBERS.format(count=s.active_subscribers))
    parts.append(CHATS.format(count=s.subscribed_chats))
    parts.append(EXPIRED.format(count=s.expired))
    return Reply.of(*parts, private=True)

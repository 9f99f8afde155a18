"""/stats for moderators: how the campaign is doing."""

from __future__ import annotations

from ..core import Bold, Reply
from ..i18n import N_
from ..routing import Context, Router

router = Router()

# Every count is formatted for the moderator's language ("60,000" / "60.000"); the sentences
# carry no surrounding line breaks, which the handler lays out.
HEADING = N_("Campaign stats")
SIGNATURES = N_("Signatures: {total} (today {today}, last 7 days {week})")
PLATFORM = N_("on {platform}: {count}")
UPDATES = N_("Asked for updates: {count}")
RSVPS = N_("RSVPs:")
EVENT = N_("{title}: {count}")
SUBSCRIBERS = N_("Active daily-prompt subscribers: {count}")
CHATS = N_("Groups and channels with the daily post: {count}")
EXPIRED = N_("Messages that expired before they could be sent: {count}")
REFERRED = N_("Signed through an invite: {count}")
TOP_REFERRER = N_("signature #{number} brought {count}")


@router.command("stats", moderator=True)
async def stats(ctx: Context):
    """Signatures, RSVPs and subscribers at a glance."""
    s = await ctx.store.stats(ctx.now, ctx.config.zone)
    t, num = ctx.t, ctx.tr.number
    parts: list = [Bold(t(HEADING)), "\n\n" + t(
        SIGNATURES, total=num(s.signatures), today=num(s.signatures_today),
        week=num(s.signatures_7_days))]
    parts += ["\n  " + t(PLATFORM, platform=p, count=num(n)) for p, n in s.per_platform.items()]
    parts.append("\n" + t(UPDATES, count=num(s.wants_updates)))
    parts.append("\n\n" + t(RSVPS))
    parts += ["\n  " + t(EVENT, title=ctx.text(e.title), count=num(s.rsvps.get(e.id, 0)))
              for e in ctx.config.events]
    parts.append("\n\n" + t(SUBSCRIBERS, count=num(s.active_subscribers)))
    parts.append("\n" + t(CHATS, count=num(s.subscribed_chats)))
    parts.append("\n\n" + t(EXPIRED, count=num(s.expired)))
    # Referrers by their signature number, never their name.
    parts.append("\n\n" + t(REFERRED, count=num(s.referred)))
    parts += ["\n  " + t(TOP_REFERRER, number=number, count=num(n))
              for number, n in s.top_referrers]
    return Reply.of(*parts, private=True)

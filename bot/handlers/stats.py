"""/stats for moderators: how the campaign is doing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from .. import chart, sources
from ..core import Attachment, Bold, Reply
from ..i18n import N_, NP_
from ..routing import Context, Router
from ..storage import Storage

router = Router()
log = logging.getLogger(__name__)

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
MILESTONES = N_("Milestones reached:")
MILESTONE = NP_("{count} signature on {date}", "{count} signatures on {date}")
# Signatures by where they came from: a deep link's source tag (a channel's name, as the
# organisers chose it, shown as it is), or one of these two.
BY_SOURCE = N_("By source:")
SOURCE = N_("{source}: {count}")
DIRECT = N_("direct")  # signed without a sign_<source> link
UNKNOWN = N_("unknown")  # a sign_ link with a malformed source tag


async def by_source(ctx: Context) -> list:
    named = {None: DIRECT, sources.UNKNOWN: UNKNOWN}
    rows = await ctx.store.signatures_by_source()
    if not rows:
        return []
    return ["\n" + ctx.t(BY_SOURCE)] + [
        "\n  " + ctx.t(SOURCE, source=ctx.t(named[s]) if s in named else s,
                      count=ctx.tr.number(n))
        for s, n in rows]
# The chart is the same for every moderator reading in one language; drawing it costs a fifth
# of a second of CPU, so one drawn in the last minute is sent again. Per database (a test, or
# a second bot in one process, has its own), then per language.
CHART_FRESH = timedelta(minutes=1)
_charts: WeakKeyDictionary[Storage, dict[str, tuple[datetime, bytes]]] = WeakKeyDictionary()


async def growth_chart(ctx: Context) -> tuple[Attachment, ...]:
    """The chart as the reply's attachment; none when drawing it failed (a font or a library
    error), so the moderator still gets every number."""
    cached = _charts.setdefault(ctx.store, {})
    drawn = cached.get(ctx.lang)
    if drawn is None or not drawn[0] <= ctx.now < drawn[0] + CHART_FRESH:
        try:
            png = await chart.growth_png(ctx.store, ctx.config, ctx.now, ctx.tr)  # off the loop
        except Exception as exc:  # the numbers matter more than the picture
            log.error("the growth chart could not be drawn: %s", type(exc).__name__)
            return ()
        drawn = cached[ctx.lang] = (ctx.now, png)
    return (Attachment("growth.png", "image/png", drawn[1]),)


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
    parts += await by_source(ctx)
    # (Referrals: the count that came through them and the top referrers go here.)
    parts.append("\n" + t(UPDATES, count=num(s.wants_updates)))
    parts.append("\n\n" + t(RSVPS))
    parts += ["\n  " + t(EVENT, title=ctx.text(e.title), count=num(s.rsvps.get(e.id, 0)))
              for e in ctx.config.events]
    parts.append("\n\n" + t(SUBSCRIBERS, count=num(s.active_subscribers)))
    parts.append("\n" + t(CHATS, count=num(s.subscribed_chats)))
    parts.append("\n\n" + t(EXPIRED, count=num(s.expired)))
    if s.milestones:  # the day each was first reached, in the campaign's timezone
        parts.append("\n\n" + t(MILESTONES))
        parts += ["\n  " + ctx.n(*MILESTONE, n, date=ctx.tr.day(at.astimezone(
            ctx.config.zone).date())) for n, at in s.milestones]
    # Referrers by their signature number, never their name.
    parts.append("\n\n" + t(REFERRED, count=num(s.referred)))
    parts += ["\n  " + t(TOP_REFERRER, number=number, count=num(n))
              for number, n in s.top_referrers]
    return Reply.of(*parts, private=True, attachments=await growth_chart(ctx))

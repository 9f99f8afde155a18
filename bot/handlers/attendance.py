"""After an event: "Did you make it?", asked by the scheduler through the outbox (rendered when
sent, in the recipient's language), and its two answer buttons. The answer is stored on the
person's RSVP row (bot/store/attendance.py), so it goes wherever the RSVP goes."""

from __future__ import annotations

from ..config import Event
from ..core import Bold, Button, Reply
from ..i18n import N_, Translator, translator
from ..routing import STALE, Context, Router

router = Router()

# {title}: the event's title, in bold.
ASK = N_("Did you make it to {title}?")
THERE_LABEL, MISSED_LABEL = N_("I was there"), N_("Couldn't make it")
THANKS_THERE = N_("Thank you for coming to {title}! We've noted it.")
THANKS_MISSED = N_("Thanks for letting us know. We hope to see you at the next one.")
NO_RSVP = N_("You no longer have an RSVP for {title}, so there is nothing to record.")


def attendance_reply(event: Event, tr: Translator | None = None) -> Reply:
    tr = tr or translator()
    return Reply.of(*tr.spans(ASK, title=Bold(tr.text(event.title))), buttons=[[
        Button(tr.t(THERE_LABEL), "attended", (event.id, "yes")),
        Button(tr.t(MISSED_LABEL), "attended", (event.id, "no"))]])


@router.action("attended")
async def attended_pressed(ctx: Context):
    # Client-controlled: only a configured event that has ended, and yes or no, is an answer.
    payload = ctx.incoming.payload
    event = ctx.config.event(payload[0]) if len(payload) == 2 else None
    if event is None or payload[1] not in ("yes", "no") or event.ends_at > ctx.now:
        return Reply.of(ctx.t(STALE), private=True)
    there = payload[1] == "yes"
    title = ctx.text(event.title)
    # Stored only while they hold the RSVP: after cancelling or /forget nothing is recorded.
    if not await ctx.store.set_attendance(ctx.user.platform, ctx.user.id, event.id, there,
                                          ctx.now):
        return Reply.of(ctx.t(NO_RSVP, title=title), private=True)
    return Reply.of(ctx.t(THANKS_THERE, title=title) if there else ctx.t(THANKS_MISSED),
                    private=True)

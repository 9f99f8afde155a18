"""/progress: a supporter's own part in the campaign so far, and what is next for them."""

from __future__ import annotations

from datetime import date

from ..config import Event
from ..core import Bold, Button, Reply
from ..i18n import N_, NP_
from ..routing import Context, Router
from ..streaks import local_today, streak
from ..text import shorten
from .countdown import today_reply, user_zone
from .events import ELSEWHERE, GOING_LABEL, TITLE_IN_LABEL, when

router = Router()

HEADING = N_("Your part in the campaign")
NOTHING_YET = N_("Nothing here yet, and that's easy to change: sign the petition with /sign, "
                 "join a Week of Action event with /rsvp, and get one small action a day with "
                 "/subscribe.")
SIGNED = N_("You signed the petition as #{number} on {date}.")
NOT_SIGNED = N_("You haven't signed the petition yet: /sign takes a minute.")
EVENTS = NP_("You RSVPed to {count} event.", "You RSVPed to {count} events.")
# One line per event RSVPed to: its title, its date, and where the person stands.
GOING = N_("{title} ({date}): you're going")
THERE = N_("{title} ({date}): you were there ✓")
MISSED = N_("{title} ({date}): you couldn't make it")
UNANSWERED = N_("{title} ({date}): no answer yet")
ACTIONS = NP_("You've marked {count} daily action done.",
              "You've marked {count} daily actions done.")
CURRENT = NP_("Current streak: {count} day in a row.", "Current streak: {count} days in a row.")
BEST = NP_("Best streak: {count} day.", "Best streak: {count} days.")
NEXT_EVENT = N_("Next event: {title}, {when}.")
YOU_GO = N_("You're going.")
RSVP_HINT = N_("Send /rsvp to join it.")
STATUS = {True: THERE, False: MISSED, None: UNANSWERED}


def para(text: str) -> str:
    return "\n\n" + text


def item(text: str) -> str:
    return "\n  " + text


@router.command("progress", private=True, deep_link_safe=True)
async def progress(ctx: Context):
    """See your part in the campaign so far, and what's next."""
    store, user = ctx.store, ctx.user
    signature = await store.signature_of(user.platform, user.id)
    answers = await store.attendance_of(user.platform, user.id)  # the RSVPs, answered or not
    done = {date.fromisoformat(d) for d in await store.actions_done(user.platform, user.id)}
    subscribed = await store.subscription_of(user.platform, user.id)
    if signature is None and not answers and not done and not (subscribed and subscribed.active):
        return Reply.of(ctx.t(NOTHING_YET), private=True)
    zone = await user_zone(ctx)
    today = local_today(ctx.now, zone)
    parts: list = [Bold(ctx.t(HEADING))]
    if signature:
        parts.append(para(ctx.t(SIGNED, number=ctx.tr.number(signature.number),
                                date=ctx.tr.day(local_today(signature.signed_at, zone)))))
    else:
        parts.append(para(ctx.t(NOT_SIGNED)))
    events = [e for e in ctx.config.events if e.id in answers]
    if events:
        parts.append(para(ctx.n(*EVENTS, len(events))))
        for event in events:
            status = GOING if event.ends_at > ctx.now else STATUS[answers[event.id]]
            parts.append(item(ctx.t(status, title=ctx.text(event.title),
                                    date=ctx.tr.day(local_today(event.starts_at, zone)))))
    parts.append(para(ctx.n(*ACTIONS, len(done))))
    if done:
        run = streak(done, today)
        parts.append(item(ctx.n(*CURRENT, run.current) + " " + ctx.n(*BEST, run.best)))
    # What is next: today's action while the campaign runs and it is not done (with its Done
    # button), then the next event (and how to join it).
    buttons: list = []
    if ctx.now < ctx.config.campaign.deadline and today not in done:
        action = today_reply(ctx, today)
        parts += ["\n\n", *action.body]
        buttons += [list(row) for row in action.buttons]
    upcoming = sorted((e for e in ctx.config.events if e.starts_at > ctx.now),
                      key=lambda e: e.starts_at)
    if upcoming:
        parts += next_event(ctx, upcoming[0], zone, upcoming[0].id in answers, buttons)
    return Reply.of(*parts, buttons=buttons, private=True)


def next_event(ctx: Context, event: Event, zone, going: bool, buttons: list) -> list:
    """The next event's line, and the hint and button to join it when they are not going."""
    line = ["\n\n", *ctx.tr.spans(NEXT_EVENT, title=ctx.text(event.title),
                                   when=when(event, zone, ctx.tr))]
    if going:
        return [*line, " " + ctx.t(YOU_GO)]
    title = shorten(ctx.text(event.title), TITLE_IN_LABEL)
    # ELSEWHERE: pressed under this summary, the answer is the event list as a new message
    # (an edit would replace the summary with it).
    buttons.append([Button(ctx.t(GOING_LABEL, title=title), "rsvp", (event.id, ELSEWHERE))])
    return [*line, " " + ctx.t(RSVP_HINT)]

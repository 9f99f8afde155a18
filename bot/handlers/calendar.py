"""Add to calendar: an event's .ics file and its Google Calendar link, or one file with every
upcoming event the person is going to. The buttons are offered by bot/handlers/events.py on
RSVP confirmations and /rsvp (add_buttons, add_mine_button)."""

from __future__ import annotations

from ..calendar_invite import MEDIA_TYPE, filename, google_link, invite
from ..config import Event
from ..core import Attachment, Bold, Button, Reply
from ..i18n import N_, NP_, Translator
from ..routing import STALE, Context, Router

router = Router()

ADD = N_("Add to calendar")
ADD_MINE = N_("Add my events to calendar")
GOOGLE_LABEL = N_("Google Calendar")
# {title}: the event's title, in bold. The file comes with this text (its caption).
ONE = N_("{title}: open the file to add it to your calendar, or use the Google Calendar button.")
MINE = NP_("Your upcoming event, in one file: open it to add it to your calendar.",
           "Your {count} upcoming events, in one file: open it to add them to your calendar.")


def add_buttons(event: Event, tr: Translator) -> list[Button]:
    """The row an RSVP confirmation carries: the .ics file, and the Google Calendar link."""
    return [Button(tr.t(ADD), "cal", (event.id,)), google_button(event, tr)]


def google_button(event: Event, tr: Translator) -> Button:
    return Button(tr.t(GOOGLE_LABEL), url=google_link(event, tr))


def add_mine_button(ctx: Context) -> Button:
    return Button(ctx.t(ADD_MINE), "calmine")


def _upcoming(ctx: Context) -> list[Event]:
    return [e for e in ctx.config.events if e.ends_at > ctx.now]


@router.action("cal")
async def event_file(ctx: Context):
    # The payload is client-controlled: only a configured event that is not over gets a file.
    if not ctx.incoming.chat.is_direct:
        # As /rsvp there: an answer about a person's events is given in private only.
        return ctx.bot.go_private(ctx.user.platform, "rsvp", ctx.tr)
    payload = ctx.incoming.payload
    event = ctx.config.event(payload[0]) if len(payload) == 1 else None
    if event is None or event.ends_at <= ctx.now:
        return Reply.of(ctx.t(STALE), private=True)
    title = ctx.text(event.title)
    data = invite(ctx.config, [event], ctx.tr, ctx.now)
    return Reply.of(*ctx.tr.spans(ONE, title=Bold(title)),
                    buttons=[[google_button(event, ctx.tr)]], private=True,
                    attachments=(Attachment(filename(title, event.id), MEDIA_TYPE, data),))


@router.action("calmine")
async def my_events_file(ctx: Context):
    if not ctx.incoming.chat.is_direct:
        return ctx.bot.go_private(ctx.user.platform, "rsvp", ctx.tr)
    if ctx.incoming.payload:
        return Reply.of(ctx.t(STALE), private=True)
    mine = await ctx.store.rsvps_of(ctx.user.platform, ctx.user.id)
    events = [e for e in _upcoming(ctx) if e.id in mine]
    if not events:  # an old button: every event since cancelled or over
        return Reply.of(ctx.t(STALE), private=True)
    data = invite(ctx.config, events, ctx.tr, ctx.now)
    name = filename(ctx.text(ctx.config.campaign.name), "events")
    return Reply.of(ctx.n(*MINE, len(events)), private=True,
                    attachments=(Attachment(name, MEDIA_TYPE, data),))

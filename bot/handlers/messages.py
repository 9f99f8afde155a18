"""What the services (the scheduler, the outbox worker, the announcement runner) take from the
handlers: the bodies they send, rendered, and when an announcement stops being worth sending
(`expiry`, as its moderator was told). The one module of this package they import; the handler
modules behind it stay free to change.

Scheduled messages are rendered when they are SENT, from the config as it is then.

The scheduler stores only what identifies a message (a spec: the prompt's local date; the
reminder's event, kind and the start time it was planned for) and the outbox worker calls
`render` just before each send. So a config edit (a new action text, a moved event, a new link)
reaches every row still queued after the restart that loads it, and the countdown is counted
from the moment of sending. Rendering at send time was chosen over re-rendering stored bodies
when the config's hash changes: there is no second copy of the text to keep in step, and no
start-up pass over the queue.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..config import Config, Event, Petition
from ..core import Reply
from ..i18n import Translator, translator
from .announce import announcement_reply, expiry
from .announce_report import report_lines
from .attendance import attendance_reply
from .events import reminder_reply
from .milestones import milestone_reply
from .panel_view import shown_on as panel_fingerprint  # noqa: F401  (bot/panels.py)
from .panel_view import render as render_panel  # noqa: F401
from .prompts import chat_paused_reply, closing_reply, prompt_reply
from .referral import notice_reply

__all__ = [
    "RENDER", "announcement_reply", "attendance_spec", "chat_paused_reply", "chat_paused_spec",
    "closing_reply",
    "closing_spec", "expiry", "milestone_specs", "prompt_reply", "prompt_spec", "reminder_reply",
    "reminder_spec", "render", "report_lines",
]

RENDER = "render"  # the key that marks a stored body as a spec, not a finished reply


def prompt_spec(local_date: date) -> dict:
    return {RENDER: "prompt", "date": local_date.isoformat()}


def closing_spec() -> dict:
    return {RENDER: "closing"}


def chat_paused_spec(chat_id: str) -> dict:
    return {RENDER: "chat_paused", "chat_id": chat_id}


def milestone_specs(petition: Petition) -> dict[int, dict]:
    """Every count celebrated (the milestones and the goal) -> the spec queued on reaching it;
    the goal's is its own message."""
    counts = {*petition.milestones, *((petition.goal,) if petition.goal else ())}
    return {n: {RENDER: "milestone", "count": n, "goal": n == petition.goal} for n in counts}


def reminder_spec(event: Event, kind: str) -> dict:
    return {RENDER: "reminder", "event": event.id, "kind": kind,
            "starts_at": event.starts_at.isoformat()}


def attendance_spec(event: Event) -> dict:
    return {RENDER: "attendance", "event": event.id}


def render(config: Config, spec: dict, now: datetime, zone: ZoneInfo,
           tr: Translator | None = None) -> Reply | None:
    """The reply for one recipient (`zone`: theirs; `tr`: their language) at `now`; None when
    the message no longer applies and must not be sent: its event is gone from the config, or
    has moved (the moved event has reminders of its own, keyed by its new start)."""
    kind, tr = spec[RENDER], tr or translator(config.languages[0])
    if kind == "prompt":
        return prompt_reply(config, now, date.fromisoformat(spec["date"]), tr)
    if kind == "closing":
        return closing_reply(config, tr)
    if kind == "milestone":
        return milestone_reply(config, spec, tr)
    if kind == "chat_paused":
        return chat_paused_reply(spec["chat_id"], tr)
    if kind == "referral":  # to a referrer: the count only, never who signed
        return notice_reply(int(spec["count"]), tr)
    if kind == "reminder":
        event = config.event(spec["event"])
        if event is None or event.starts_at != datetime.fromisoformat(spec["starts_at"]):
            return None
        return reminder_reply(config, event, spec["kind"], now, zone, tr)
    if kind == "attendance":  # only about an event that is in the config and has ended
        event = config.event(spec["event"])
        return attendance_reply(event, tr) if event and event.ends_at <= now else None
    raise ValueError(f"unknown scheduled message kind {kind!r}")

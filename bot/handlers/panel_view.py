"""What a campaign panel shows (/panel: bot/handlers/panel.py; kept current by bot/panels.py):
the campaign's name and ask, the live count against its target, the countdown, the next event,
and buttons; after the deadline, the closing message and nothing left to sign.

Where the platform can answer one person privately inside a group (Capabilities.ephemeral),
the buttons are actions answered privately to whoever presses; where it cannot, a private form
cannot start from a group, so they are links that open a private chat with the bot running the
command (Dispatcher.deep_links). Nothing here names a platform."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..config import Config
from ..core import Bold, Button, Moment, Reply, reply_to_dict
from ..i18n import N_, NP_, Translator, translator
from ..routing import DispatcherView
from ..storage import Storage
from .events import when

ACTION = "panel"  # the panel's buttons: panel:sign, panel:rsvp, panel:subscribe
SIGN_LABEL, RSVP_LABEL = N_("Sign"), N_("RSVP")
DAILY_LABEL, DONATE_LABEL = N_("Daily actions"), N_("Donate")
SIGNED = NP_("{count} person has signed.", "{count} people have signed.")
GOAL = N_("Our goal: {target}.")
NEXT_MILESTONE = N_("Next milestone: {target}.")
COUNTDOWN = N_("Countdown to {deadline}: {when}")
IN = N_("in {left}")  # the countdown where the platform cannot show a live one
NEXT_EVENT = N_("Next event: {title}, {when}")


def group_link(bot: DispatcherView, platform: str) -> Callable[[str], str] | None:
    """For a button in a group on `platform`: command -> the URL that opens a private chat
    with the bot running it, where a press there could only be answered in the group (no
    private answers in a group: Capabilities.ephemeral); None where it can be answered
    privately to the presser, so the button can be an action (or no link is known)."""
    known = bot.capabilities.get(platform)
    return None if known is not None and known.ephemeral else bot.deep_links.get(platform)


def panel_reply(config: Config, now: datetime, total: int, tr: Translator,
                link: Callable[[str], str] | None = None, actions: bool = True) -> Reply:
    """The panel as it stands at `now` with `total` signatures. `link`: command -> URL that
    opens a private chat running it, for a platform whose group buttons cannot answer
    privately; else `actions`: buttons answered privately to the presser; neither: the donate
    button only (a platform whose adapter has not said how to reach the bot)."""
    campaign = config.campaign
    parts: list = [Bold(tr.text(campaign.name)), "\n", tr.text(config.petition.title), "\n\n",
                   tr.n(*SIGNED, total)]
    donate = Button(tr.t(DONATE_LABEL), url=campaign.donate_url)
    closed = campaign.deadline <= now
    aim = None if closed else config.petition.aim(total)
    if aim is not None:
        parts.append(" " + tr.t(GOAL if aim[1] else NEXT_MILESTONE, target=tr.number(aim[0])))
    if closed:  # the closing message, and nothing left to sign
        parts += ["\n\n", tr.text(config.prompts.closing_message)]
        return Reply.of(*parts, buttons=[[donate]])
    # Whole days while a day is left: where the platform shows this text, not a live
    # countdown, the panel then changes once a day for it (hourly in the last day).
    left = tr.t(IN, left=tr.duration(campaign.deadline - now, whole_days=True))
    parts += ["\n", *tr.spans(COUNTDOWN, deadline=tr.text(campaign.deadline_label),
                              when=Moment(campaign.deadline, left, style="relative"))]
    upcoming = sorted((e for e in config.events if e.ends_at > now), key=lambda e: e.starts_at)
    if upcoming:
        event = upcoming[0]
        parts += ["\n", *tr.spans(NEXT_EVENT, title=Bold(tr.text(event.title)),
                                  when=when(event, config.zone, tr))]
    labels = (("sign", SIGN_LABEL), ("rsvp", RSVP_LABEL), ("subscribe", DAILY_LABEL))
    if link is not None:
        buttons = [Button(tr.t(label), url=link(command)) for command, label in labels]
    elif actions:
        buttons = [Button(tr.t(label), ACTION, (command,)) for command, label in labels]
    else:
        return Reply.of(*parts, buttons=[[donate]])
    return Reply.of(*parts, buttons=[buttons[:2], [buttons[2], donate]])


def fingerprint(reply: Reply, moments: bool = False) -> str:
    """What decides whether a panel needs an edit: a hash of what the platform shows of it.
    `moments`: the platform shows a Moment itself (Capabilities.moments), so its fallback
    text, never seen there, is left out: an hour passing alone edits nothing."""
    if moments:
        reply = replace(reply, body=tuple(
            replace(s, fallback="") if isinstance(s, Moment) else s for s in reply.body))
    data = json.dumps(reply_to_dict(reply), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def shown_on(bot: DispatcherView, platform: str, reply: Reply) -> str:
    """The fingerprint of `reply` as `platform` shows it (stored with each panel)."""
    known = bot.capabilities.get(platform)
    return fingerprint(reply, moments=known is not None and known.moments)


async def render(bot: DispatcherView, store: Storage, now: datetime, platform: str) -> Reply:
    """The panel for a chat on `platform` as it stands now, in the campaign's default language
    (a chat's, like a group's daily post): for /panel and for the service's edits."""
    config = bot.config
    tr = translator(config.languages[0])
    known = bot.capabilities.get(platform)
    return panel_reply(config, now, await store.signature_total(), tr,
                       link=group_link(bot, platform),
                       actions=known is not None and known.ephemeral)


"""Petition milestones: the celebration every subscriber and subscribed chat gets when the
signature count first reaches one (rendered when sent, in the recipient's language), and the
line that tells the signer who reached it. Queued by the store in the signing transaction
(specs: handlers/messages.py)."""

from __future__ import annotations

from ..config import Config, Petition
from ..core import Reply
from ..i18n import N_, NP_, Translator, translator

MILESTONE = NP_(
    "The petition has just reached {count} signature! Thank you to everyone who signed. "
    "Not signed yet? Send /sign.",
    "The petition has just reached {count} signatures! Thank you to everyone who signed. "
    "Not signed yet? Send /sign.")
GOAL = NP_(
    "We did it: the petition has reached its goal of {count} signature! Thank you to "
    "everyone who signed.",
    "We did it: the petition has reached its goal of {count} signatures! Thank you to "
    "everyone who signed.")
# Added to the signer's thank-you when their signature is the one that reached it.
CROSSED = N_("You're signature #{number}: a milestone!")
CROSSED_GOAL = N_("You're signature #{number}: the one that reached our goal!")


def milestone_reply(config: Config, spec: dict, tr: Translator | None = None) -> Reply:
    tr = tr or translator(config.languages[0])
    count = spec["count"]
    return Reply.of(tr.n(*(GOAL if spec.get("goal") else MILESTONE), count))


def crossed_line(petition: Petition, number: int, tr: Translator) -> str:
    return tr.t(CROSSED_GOAL if number == petition.goal else CROSSED, number=number)

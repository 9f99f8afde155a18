"""Every router, in the order /help lists their commands; and what adapters may read of the
handlers (SETTINGS_CHOICES). The services read bot/handlers/messages.py."""

from . import (
               announce,
               countdown,
               events,
               help,
               language,
               panel,
               petition,
               privacy,
               prompts,
               referral,
               settings,
               stats,
)
from .prompts import SETTINGS_CHOICES

__all__ = ["ROUTERS", "SETTINGS_CHOICES"]

ROUTERS = (
    help.router,
    petition.router,
    events.router,
    countdown.router,
    prompts.router,
    settings.router,
    language.router,
    referral.router,
    privacy.router,
    help.tail,
    stats.router,
    announce.router,
    panel.router,
)

"""Every router, in the order /help lists their commands; and what adapters may read of the
handlers (SETTINGS_CHOICES). The services read bot/handlers/messages.py."""

from . import (
               announce,
               attendance,
               calendar,
               countdown,
               events,
               help,
               language,
               panel,
               petition,
               privacy,
               progress,
               prompts,
               referral,
               settings,
               stats,
               welcome,
)
from .prompts import SETTINGS_CHOICES

__all__ = ["ROUTERS", "SETTINGS_CHOICES"]

ROUTERS = (
    help.router,
    welcome.router,
    petition.router,
    events.router,
    attendance.router,
    calendar.router,
    countdown.router,
    prompts.router,
    settings.router,
    language.router,
    referral.router,
    progress.router,
    privacy.router,
    help.tail,
    stats.router,
    announce.router,
    panel.router,
)

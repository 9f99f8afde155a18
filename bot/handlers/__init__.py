"""Every router, in the order /help lists their commands."""

from . import announce, countdown, events, help, petition, privacy, prompts, stats

ROUTERS = (
    help.router,
    petition.router,
    events.router,
    countdown.router,
    prompts.router,
    privacy.router,
    help.tail,
    stats.router,
    announce.router,
)

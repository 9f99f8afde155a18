"""/subscribe and /unsubscribe: the daily countdown-and-action prompt, and its buttons.

This module stores subscriptions (/settings: bot/handlers/settings.py); the scheduler sends the
prompts, rendered here in each recipient's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..config import Config
from ..core import Button, Plain, Reply
from ..i18n import N_, Translator, translator
from ..routing import STALE, Context, Router
from ..streaks import local_today, reached, streak
from .countdown import DONE_LABEL, action_for, countdown_reply, user_zone
from .events import app_language
from .settings import KEYS, SETTINGS_CHOICES, effective, over

# KEYS and SETTINGS_CHOICES: /settings' words, read from here by the adapters and tests.
__all__ = ["KEYS", "SETTINGS_CHOICES", "router"]

router = Router()

SUBSCRIBED = N_("You're subscribed. Every day at {time} ({zone}) I'll send the countdown and "
                "the day's action.")
ALREADY = N_("You're already subscribed: every day at {time} ({zone}).")
HOW = N_("Change the time or timezone with /settings; stop with /unsubscribe.")
UNSUBSCRIBED = N_("Done: no more daily prompts. /subscribe brings them back.")
NOT_SUBSCRIBED = N_("You weren't subscribed to daily prompts.")
CHAT_SUBSCRIBED = N_("This chat will get the countdown and the day's action every day at {time} "
                     "({zone}). /unsubscribe here stops it.")
CHAT_ALREADY = N_("This chat already gets the daily post at {time} ({zone}).")
CHAT_UNSUBSCRIBED = N_("Done: this chat gets no more daily posts.")
CHAT_NOT_SUBSCRIBED = N_("This chat isn't subscribed to the daily post.")
ADMINS_ONLY = N_("Only the people who manage this chat can subscribe or unsubscribe it. To get "
                 "the daily prompt yourself, send /subscribe in a private chat.")
DEADLINE_PASSED = N_("The campaign's deadline has passed, so there are no more daily prompts. "
                     "Thank you for wanting to take part!")
CHAT_DEADLINE_PASSED = N_("The campaign's deadline has passed, so there are no more daily "
                          "posts for this chat.")

STOP_LABEL = N_("Stop daily prompts")
DONE = N_("Thank you for taking action today!")
ALREADY_DONE = N_("You already marked this day's action as done. Thank you!")
# Said after DONE when the press brings the streak (bot/streaks.py) to exactly that many days.
CHEER = {3: N_("That's 3 days in a row. Nice rhythm!"),
         7: N_("A whole week: 7 days in a row. Thank you for sticking with it!"),
         14: N_("14 days in a row! You're one of the campaign's steadiest supporters.")}
STOPPED = N_("Daily prompts stopped. /subscribe brings them back.")
# What a deep link (t.me/<bot>?start=subscribe) shows: a link is anyone's to send, so only
# the press subscribes or unsubscribes.
ASK_SUBSCRIBE = N_("Get the countdown and the day's action every day at {time} ({zone})?")
ASK_CHAT_SUBSCRIBE = N_("Post the countdown and the day's action in this chat every day at "
                        "{time} ({zone})?")
ASK_UNSUBSCRIBE = N_("Stop your daily prompts?")
ASK_CHAT_UNSUBSCRIBE = N_("Stop this chat's daily post?")
YES_SUBSCRIBE, YES_CHAT_SUBSCRIBE = N_("Yes, subscribe me"), N_("Yes, post it here")
YES_UNSUBSCRIBE, YES_CHAT_UNSUBSCRIBE = N_("Yes, stop them"), N_("Yes, stop it")
CHAT_PAUSED = N_("I can no longer post the daily prompt in a chat you subscribed (id {chat_id}): "
                 "I was removed from it or lost the permission to send messages there. Its "
                 "daily post is paused. Once I may post there again, subscribe it again with "
                 "/subscribe.")
GROUP_STOP = N_("Only the people who manage this chat can stop its daily post. To stop your "
                "own prompts, send /unsubscribe in a private chat.")

async def chat_subscription(ctx: Context, on: bool):
    """/subscribe or /unsubscribe in a group or channel: the chat's own daily post, decided by
    the people the platform says manage it."""
    chat, campaign = ctx.incoming.chat, ctx.config.campaign
    if not ctx.incoming.can_manage_chat:
        return [Reply.of(ctx.t(ADMINS_ONLY)), ctx.bot.go_private(chat.platform, "subscribe",
                                                                  ctx.tr)]
    if on:
        # Who subscribed it (never shown to others): told if the bot can no longer post there.
        created = await ctx.store.subscribe_chat(chat.platform, chat.id, ctx.now,
                                                 subscribed_by=ctx.user.id,
                                                 subscriber_language=app_language(ctx))
        if over(ctx):
            return Reply.of(ctx.t(CHAT_DEADLINE_PASSED))
        template = CHAT_SUBSCRIBED if created else CHAT_ALREADY
        return Reply.of(ctx.t(template, time=ctx.config.prompts.send_at, zone=campaign.timezone))
    if await ctx.store.unsubscribe_chat(chat.platform, chat.id, ctx.now):
        return Reply.of(ctx.t(CHAT_UNSUBSCRIBED))
    return Reply.of(ctx.t(CHAT_NOT_SUBSCRIBED))


async def ask_subscribe(ctx: Context) -> Reply:
    if ctx.incoming.chat.is_direct:
        zone, time, _, _ = await effective(ctx)
        question, label = ctx.t(ASK_SUBSCRIBE, time=time, zone=zone), YES_SUBSCRIBE
    else:
        question = ctx.t(ASK_CHAT_SUBSCRIBE, time=ctx.config.prompts.send_at,
                         zone=ctx.config.campaign.timezone)
        label = YES_CHAT_SUBSCRIBE
    return Reply.of(question, buttons=[[Button(ctx.t(label), "subscribe")]])


async def ask_unsubscribe(ctx: Context) -> Reply:
    direct = ctx.incoming.chat.is_direct
    return Reply.of(ctx.t(ASK_UNSUBSCRIBE if direct else ASK_CHAT_UNSUBSCRIBE), buttons=[[Button(
        ctx.t(YES_UNSUBSCRIBE if direct else YES_CHAT_UNSUBSCRIBE), "unsubscribe")]])


@router.command("subscribe", confirm_deep_link=ask_subscribe)
async def subscribe(ctx: Context):
    """Get the countdown and the day's action every day."""
    user, chat = ctx.user, ctx.incoming.chat
    if not chat.is_direct:
        return await chat_subscription(ctx, on=True)
    created = await ctx.store.subscribe(user.platform, user.id, chat.id, ctx.now,
                                        language=app_language(ctx))
    if over(ctx):  # kept, in case the deadline moves; but nothing is promised
        return Reply.of(ctx.t(DEADLINE_PASSED))
    zone, time, _, _ = await effective(ctx)
    return Reply.of(ctx.t(SUBSCRIBED if created else ALREADY, time=time, zone=zone),
                    "\n" + ctx.t(HOW))


@router.command("unsubscribe", confirm_deep_link=ask_unsubscribe)
async def unsubscribe(ctx: Context):
    """Stop the daily prompts."""
    if not ctx.incoming.chat.is_direct:
        return await chat_subscription(ctx, on=False)
    if await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id, ctx.now):
        return Reply.of(ctx.t(UNSUBSCRIBED))
    return Reply.of(ctx.t(NOT_SUBSCRIBED))


@router.action("subscribe")
async def subscribe_pressed(ctx: Context):
    # The press does what typing the command does (in a group: for its admins only).
    return await subscribe(ctx) if not ctx.incoming.payload else Reply.of(ctx.t(STALE),
                                                                          private=True)


@router.action("unsubscribe")
async def unsubscribe_pressed(ctx: Context):
    return await unsubscribe(ctx) if not ctx.incoming.payload else Reply.of(ctx.t(STALE),
                                                                            private=True)



def prompt_reply(config: Config, now: datetime, local_date: date,
                 tr: Translator | None = None) -> Reply:
    """The daily prompt: the countdown, the day's action, and two buttons; in `tr`'s language
    (the recipient's)."""
    tr = tr or translator()
    countdown, action = countdown_reply(config, now, tr), action_for(config, local_date, tr)
    buttons = [[Button(tr.t(DONE_LABEL), "done", (local_date.isoformat(),)),
                Button(tr.t(STOP_LABEL), "stop")]]
    return Reply(countdown.body + (Plain("\n\n"),) + action.body, tuple(map(tuple, buttons)))


def chat_paused_reply(chat_id: str, tr: Translator | None = None) -> Reply:
    """For the person who subscribed a chat the bot can no longer post in (queued by the
    outbox when it pauses that chat's subscription)."""
    return Reply.of((tr or translator()).t(CHAT_PAUSED, chat_id=chat_id))


def closing_reply(config: Config, tr: Translator | None = None) -> Reply:
    return Reply.of((tr or translator()).text(config.prompts.closing_message))


@router.action("done")
async def done_pressed(ctx: Context):
    payload = ctx.incoming.payload
    try:
        day = date.fromisoformat(payload[0]) if len(payload) == 1 else None
    except ValueError:
        day = None
    today = ctx.now.date()
    # A prompt's own date, pressed that day or within the week after; anything else is tampered.
    if day is None or not today - timedelta(days=7) <= day <= today + timedelta(days=1):
        return Reply.of(ctx.t(STALE), private=True)
    created = await ctx.store.mark_action_done(ctx.user.platform, ctx.user.id, day.isoformat(),
                                               ctx.now)
    if not created:  # a repeated press: thanks again, never a second cheer
        return Reply.of(ctx.t(ALREADY_DONE), private=True)
    cheer = await streak_cheer(ctx, day)
    return Reply.of(ctx.t(DONE) + (" " + ctx.t(CHEER[cheer]) if cheer else ""), private=True)


async def streak_cheer(ctx: Context, day: date) -> int | None:
    """The streak length just reached by marking `day`, when it is one we cheer: the current
    streak (in the person's zone, now) grew onto 3, 7 or 14. Marking an old day that leaves the
    current streak as it was says nothing."""
    days = {date.fromisoformat(d) for d in await ctx.store.actions_done(ctx.user.platform,
                                                                         ctx.user.id)}
    today = local_today(ctx.now, await user_zone(ctx))
    return reached(streak(days - {day}, today), streak(days, today))


@router.action("stop")
async def stop_pressed(ctx: Context):
    if not ctx.incoming.chat.is_direct:  # under a group's daily post: the group's subscription
        if not ctx.incoming.can_manage_chat:
            return Reply.of(ctx.t(GROUP_STOP), private=True)
        await ctx.store.unsubscribe_chat(ctx.incoming.chat.platform, ctx.incoming.chat.id,
                                         ctx.now)
        return Reply.of(ctx.t(CHAT_UNSUBSCRIBED))
    await ctx.store.unsubscribe(ctx.user.platform, ctx.user.id, ctx.now)
    return Reply.of(ctx.t(STOPPED), private=True)

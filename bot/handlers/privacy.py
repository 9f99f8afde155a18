"""/mydata and /forget: a supporter sees, and can erase, everything we hold about them."""

from __future__ import annotations

from ..core import Bold, Button, Reply
from ..housekeeping import RETENTION
from ..i18n import language_name
from ..routing import STALE, Context, Router
from ..sender import DMS_CLOSED
from ..timefmt import moment

router = Router()

HEADING = "What we hold about you"
NOTHING = "We hold nothing about you: no signature, RSVPs, subscription, settings or forms."
SIGNATURE = "\n\nPetition signature #{number}, {when}, on {platform}"
FIELD = "\n  {label}: {value}"
NOT_GIVEN = "(not given)"
CONSENT = "\n  Consent: “{choice}”, consent text version {version}:\n  {text}"
# Signed since the bot speaks several languages: the language the texts were shown in.
CONSENT_IN = ("\n  Consent: “{choice}”, consent text version {version}, shown in {language}:"
              "\n  {text}")
UPDATES, NO_UPDATES = "keep me updated", "sign only, no updates"
RSVPS = "\n\nWeek of Action RSVPs:"
SUBSCRIPTION = "\n\nDaily prompts: {state} since {when}"
ACTIVE, PAUSED = "subscribed", "paused"
SETTINGS = "\n\nSettings: timezone {zone}, daily prompt time {time}, language {language}"
UNSET = "default"
FORM = "\n\nAn unfinished {form} form with: {fields}"
DONE = "\n\nDaily actions you marked done: {days}"
PAUSED_BECAUSE = "\n  Paused because {why}."
UNREACHABLE = ("\n\nYour private chat is marked unreachable since {when} ({why}): nothing is "
               "sent to you there until you come back.")
WHY = {
    "blocked": "you blocked the bot",
    DMS_CLOSED: "the platform would not let us send you direct messages",
}
WHY_OTHER = "messages to you could not be delivered"
MESSAGES = "\n\nMessages to you that we keep a record of:"
MESSAGE_KIND = "\n  {kind}: {counts}"
KINDS = {"prompt": "Daily prompts", "closing": "Closing message", "reminder": "Event reminders",
         "announcement": "Announcements"}
KIND_OTHER = "Other messages"
# Outbox states in the words /mydata uses. "uncertain": the request went out and may have
# arrived, so it counts as sent.
BUCKETS = (("{n} sent", ("delivered", "uncertain")),
           ("{n} waiting to be sent", ("pending", "sending")))
NOT_SENT = "{n} not sent"
MESSAGES_KEPT = ("\n  (We delete the record of each message {days} days after it was sent or "
                 "given up.)")
CHATS = ("\n\nGroups or channels you subscribed to the daily post: {n} (we keep that it was "
         "you, to tell you if we can no longer post there).")
WRITTEN = "\n\nAnnouncements you wrote (your name is kept with them): {ids}"
FOOTER = "\n\nTo erase all of this, send /forget."
CONFIRM = ("This erases everything we hold about you: your signature (the petition total drops), "
           "RSVPs, daily prompts, settings and any unfinished form. It can't be undone. Erase?")
YES, NO = "Yes, erase everything", "No, keep it"
KEPT = "Nothing was erased."
ERASED_NOTHING = "There was nothing to erase: we hold nothing about you."
ERASED = "Erased: {what}. We no longer hold anything about you."
WHAT = {
    "signatures": ("your signature", "your signature"),
    "rsvps": ("1 RSVP", "{n} RSVPs"),
    "subscriptions": ("your daily-prompt subscription", "your daily-prompt subscription"),
    "user_settings": ("your settings", "your settings"),
    "form_sessions": ("an unfinished form", "an unfinished form"),
    "actions_done": ("1 daily action marked done", "{n} daily actions marked done"),
    "outbox": ("1 message waiting to be sent to you", "{n} messages sent or waiting for you"),
    "unreachable": ("the note that your private chat could not be reached",
                    "the note that your private chat could not be reached"),
    "announcements": ("your name on 1 announcement", "your name on {n} announcements"),
    "chat_subscriptions": ("the record that you subscribed 1 chat",
                           "the record that you subscribed {n} chats"),
}


@router.command("mydata", private=True, keeps_form=True, deep_link_safe=True)
async def mydata(ctx: Context):
    """See everything we store about you."""
    store, user, zone = ctx.store, ctx.user, ctx.config.zone
    parts: list = [Bold(HEADING)]
    signature = await store.signature_of(user.platform, user.id)
    if signature:
        parts.append(SIGNATURE.format(number=signature.number, platform=signature.platform,
                                      when=moment(signature.signed_at, zone)))
        for label, value in (("Name", signature.name), ("Email", signature.email),
                             ("Postcode", signature.postcode)):
            parts.append(FIELD.format(label=label, value=value or NOT_GIVEN))
        parts.append((CONSENT_IN if signature.language else CONSENT).format(
            choice=UPDATES if signature.wants_updates else NO_UPDATES,
            version=signature.consent_version, text=signature.consent_text,
            language=language_name(signature.language) if signature.language else ""))
    going = await store.rsvps_of(user.platform, user.id)
    if going:
        parts.append(RSVPS)
        for event_id in sorted(going):
            event = ctx.config.event(event_id)
            parts.append(f"\n  {event.title if event else event_id}")
    subscription = await store.subscription_of(user.platform, user.id)
    held = await store.held_about(user.platform, user.id)
    if subscription:
        parts.append(SUBSCRIPTION.format(state=ACTIVE if subscription.active else PAUSED,
                                         when=moment(subscription.since, zone)))
        if not subscription.active and held.paused_reason:
            parts.append(PAUSED_BECAUSE.format(why=why(held.paused_reason)))
    if held.unreachable:
        reason, since = held.unreachable
        parts.append(UNREACHABLE.format(when=moment(since, zone), why=why(reason)))
    settings = await store.settings_of(user.platform, user.id)
    if settings.timezone or settings.send_at or settings.language:
        parts.append(SETTINGS.format(
            zone=settings.timezone or UNSET, time=settings.send_at or UNSET,
            language=language_name(settings.language) if settings.language else UNSET))
    done = await store.actions_done(user.platform, user.id)
    if done:
        parts.append(DONE.format(days=", ".join(done)))
    session = await store.form_session(user.platform, user.id)
    if session:
        given = ", ".join(f"{k} = {v if v is not None else NOT_GIVEN}"
                          for k, v in session.values.items()) or "no answers yet"
        parts.append(FORM.format(form=session.form_id, fields=given))
    if held.messages:
        parts.append(MESSAGES)
        order = list(KINDS)
        for kind, states in sorted(held.messages.items(), key=lambda item: (
                order.index(item[0]) if item[0] in order else len(order), item[0])):
            parts.append(MESSAGE_KIND.format(kind=KINDS.get(kind, KIND_OTHER),
                                             counts=message_counts(states)))
        parts.append(MESSAGES_KEPT.format(days=RETENTION.days))
    if held.chats_subscribed:
        parts.append(CHATS.format(n=held.chats_subscribed))
    if held.announcements:
        parts.append(WRITTEN.format(ids=", ".join(f"#{i}" for i in held.announcements)))
    if len(parts) == 1:
        return Reply.of(NOTHING, private=True)
    parts.append(FOOTER)
    return Reply.of(*parts, private=True)


def why(reason: str) -> str:
    return WHY.get(reason, WHY_OTHER)


def message_counts(states: dict[str, int]) -> str:
    counts, left = [], dict(states)
    for words, members in BUCKETS:
        n = sum(left.pop(state, 0) for state in members)
        if n:
            counts.append(words.format(n=n))
    if n := sum(left.values()):
        counts.append(NOT_SENT.format(n=n))
    return ", ".join(counts)


@router.command("forget", private=True, keeps_form=True, deep_link_safe=True)
async def forget(ctx: Context):
    """Erase everything we store about you."""
    buttons = [[Button(YES, "forget", ("yes",)), Button(NO, "forget", ("no",))]]
    return Reply.of(CONFIRM, buttons=buttons, private=True)


@router.action("forget")
async def forget_pressed(ctx: Context):
    payload = ctx.incoming.payload
    if payload == ("no",):
        return Reply.of(KEPT, private=True)
    if payload != ("yes",):
        return Reply.of(STALE, private=True)
    erased = await ctx.bot.forget(ctx.user.platform, ctx.user.id)
    what = [(one if n == 1 else many).format(n=n)
            for table, (one, many) in WHAT.items() if (n := erased.get(table, 0))]
    if not what:
        return Reply.of(ERASED_NOTHING, private=True)
    return Reply.of(ERASED.format(what=", ".join(what)), private=True)

"""/mydata and /forget: a supporter sees, and can erase, everything we hold about them."""

from __future__ import annotations

from ..core import Bold, Button, Reply
from ..housekeeping import RETENTION
from ..i18n import N_, NP_, language_name
from ..routing import STALE, Context, Router
from ..sender import DMS_CLOSED
from .petition import EMAIL, NAME, POSTCODE

router = Router()

# Sentences carry no surrounding line breaks (translators need not keep them): para() and
# item() below lay them out.
HEADING = N_("What we hold about you")
NOTHING = N_("We hold nothing about you: no signature, RSVPs, subscription, settings or forms.")
SIGNATURE = N_("Petition signature #{number}, {when}, on {platform}")
FIELD = N_("{label}: {value}")
NOT_GIVEN = N_("(not given)")
CONSENT = N_("Consent: “{choice}”, consent text version {version}:\n  {text}")
# Signed since the bot speaks several languages: the language the texts were shown in, and
# {text} is the consent text exactly as it was shown, in that language.
CONSENT_IN = N_("Consent: “{choice}”, consent text version {version}, shown in {language}:"
                "\n  {text}")
UPDATES, NO_UPDATES = N_("keep me updated"), N_("sign only, no updates")
RSVPS = N_("Week of Action RSVPs:")
# An RSVP with the person's answer to "Did you make it?" (bot/handlers/attendance.py).
ATTENDED = {True: N_("{title}: you said you were there"),
            False: N_("{title}: you said you couldn't make it")}
SUBSCRIBED = N_("Daily prompts: subscribed since {when}")
PAUSED = N_("Daily prompts: paused since {when}")
SETTINGS = N_("Settings: timezone {zone}, daily prompt time {time}, language {language}")
UNSET = N_("default")
FORM = N_("An unfinished {form} form with: {fields}")
NO_ANSWERS = N_("no answers yet")
DONE = N_("Daily actions you marked done: {days}")
PAUSED_BECAUSE = N_("Paused because {why}.")
UNREACHABLE = N_("Your private chat is marked unreachable since {when} ({why}): nothing is "
                 "sent to you there until you come back.")
WHY = {
    "blocked": N_("you blocked the bot"),
    DMS_CLOSED: N_("the platform would not let us send you direct messages"),
}
WHY_OTHER = N_("messages to you could not be delivered")
MESSAGES = N_("Messages to you that we keep a record of:")
MESSAGE_KIND = N_("{kind}: {counts}")
KINDS = {"prompt": N_("Daily prompts"), "closing": N_("Closing message"),
         "reminder": N_("Event reminders"), "attendance": N_("Attendance questions"),
         "announcement": N_("Announcements")}
KIND_OTHER = N_("Other messages")
# Outbox states in the words /mydata uses. "uncertain": the request went out and may have
# arrived, so it counts as sent.
BUCKETS = ((NP_("{count} sent", "{count} sent"), ("delivered", "uncertain")),
           (NP_("{count} waiting to be sent", "{count} waiting to be sent"),
            ("pending", "sending")))
NOT_SENT = NP_("{count} not sent", "{count} not sent")
MESSAGES_KEPT = N_("(We delete the record of each message {days} days after it was sent or "
                   "given up.)")
CHATS = N_("Groups or channels you subscribed to the daily post: {n} (we keep that it was "
           "you, to tell you if we can no longer post there).")
WRITTEN = N_("Announcements you wrote (your name is kept with them): {ids}")
INVITES = NP_("Your invite code: {code}. Your link has brought {count} signature.",
              "Your invite code: {code}. Your link has brought {count} signatures.")
REFERRED = N_("You signed through someone's invite (we don't show whose).")
SIGNED_BEFORE = N_("You signed before and withdrew: we keep only that, so signing again "
                   "through someone's invite does not count for them.")
# Where there is no start message, the welcome comes before the first command, once.
WELCOMED = N_("You first used the bot here on {when}: we keep that date so that the welcome "
              "is shown only once.")
FOOTER = N_("To erase all of this, send /forget.")
CONFIRM = N_("This erases everything we hold about you: your signature (the petition total "
             "drops), RSVPs, daily prompts, settings and any unfinished form. It can't be "
             "undone. Erase?")
YES, NO = N_("Yes, erase everything"), N_("No, keep it")
KEPT = N_("Nothing was erased.")
ERASED_NOTHING = N_("There was nothing to erase: we hold nothing about you.")
ERASED = N_("Erased: {what}. We no longer hold anything about you.")
WHAT = {
    "signatures": NP_("your signature", "your signature"),
    "rsvps": NP_("{count} RSVP", "{count} RSVPs"),
    "subscriptions": NP_("your daily-prompt subscription", "your daily-prompt subscription"),
    "user_settings": NP_("your settings", "your settings"),
    "form_sessions": NP_("an unfinished form", "an unfinished form"),
    "actions_done": NP_("{count} daily action marked done", "{count} daily actions marked done"),
    "outbox": NP_("{count} message waiting to be sent to you",
                  "{count} messages sent or waiting for you"),
    "unreachable": NP_("the note that your private chat could not be reached",
                       "the note that your private chat could not be reached"),
    "announcements": NP_("your name on {count} announcement",
                         "your name on {count} announcements"),
    "chat_subscriptions": NP_("the record that you subscribed {count} chat",
                              "the record that you subscribed {count} chats"),
    "referral_codes": NP_("your invite code", "your invite code"),
    "referral_credits": NP_("{count} invite record", "{count} invite records"),
}


def para(text: str) -> str:
    return "\n\n" + text


def item(text: str) -> str:
    return "\n  " + text


@router.command("mydata", private=True, keeps_form=True, deep_link_safe=True)
async def mydata(ctx: Context):
    """See everything we store about you."""
    store, user, zone, t = ctx.store, ctx.user, ctx.config.zone, ctx.t
    parts: list = [Bold(t(HEADING))]
    signature = await store.signature_of(user.platform, user.id)
    if signature:
        parts.append(para(t(SIGNATURE, number=signature.number, platform=signature.platform,
                            when=ctx.tr.moment(signature.signed_at, zone))))
        for label, value in ((NAME, signature.name), (EMAIL, signature.email),
                             (POSTCODE, signature.postcode)):
            parts.append(item(t(FIELD, label=t(label), value=value or t(NOT_GIVEN))))
        # The consent text as stored: the words the person was shown, in their language then.
        parts.append(item(t(
            CONSENT_IN if signature.language else CONSENT,
            choice=t(UPDATES if signature.wants_updates else NO_UPDATES),
            version=signature.consent_version, text=signature.consent_text,
            language=language_name(signature.language) if signature.language else "")))
        if signature.referred:
            parts.append(item(t(REFERRED)))
    code = await store.existing_code(user.platform, user.id)
    if code:
        brought = await store.referral_count(user.platform, user.id)
        parts.append(para(ctx.n(*INVITES, brought, code=code)))
        if signature is None and await store.has_signed(user.platform, user.id):
            parts.append(item(t(SIGNED_BEFORE)))
    going = await store.attendance_of(user.platform, user.id)  # event id -> answer or None
    if going:
        parts.append(para(t(RSVPS)))
        for event_id, answer in sorted(going.items()):
            event = ctx.config.event(event_id)
            title = ctx.text(event.title) if event else event_id
            parts.append(item(title if answer is None else t(ATTENDED[answer], title=title)))
    subscription = await store.subscription_of(user.platform, user.id)
    held = await store.held_about(user.platform, user.id)
    if subscription:
        parts.append(para(t(SUBSCRIBED if subscription.active else PAUSED,
                            when=ctx.tr.moment(subscription.since, zone))))
        if not subscription.active and held.paused_reason:
            parts.append(item(t(PAUSED_BECAUSE, why=why(ctx, held.paused_reason))))
    if held.unreachable:
        reason, since = held.unreachable
        parts.append(para(t(UNREACHABLE, when=ctx.tr.moment(since, zone), why=why(ctx, reason))))
    settings = await store.settings_of(user.platform, user.id)
    if settings.timezone or settings.send_at or settings.language:
        parts.append(para(t(
            SETTINGS, zone=settings.timezone or t(UNSET), time=settings.send_at or t(UNSET),
            language=language_name(settings.language) if settings.language else t(UNSET))))
    if settings.welcomed_at:
        parts.append(para(t(WELCOMED, when=ctx.tr.moment(settings.welcomed_at, zone))))
    done = await store.actions_done(user.platform, user.id)
    if done:
        parts.append(para(t(DONE, days=", ".join(done))))
    session = await store.form_session(user.platform, user.id)
    if session:
        given = ", ".join(f"{k} = {v if v is not None else t(NOT_GIVEN)}"
                          for k, v in session.values.items()) or t(NO_ANSWERS)
        parts.append(para(t(FORM, form=session.form_id, fields=given)))
    if held.messages:
        parts.append(para(t(MESSAGES)))
        order = list(KINDS)
        for kind, states in sorted(held.messages.items(), key=lambda item: (
                order.index(item[0]) if item[0] in order else len(order), item[0])):
            parts.append(item(t(MESSAGE_KIND, kind=t(KINDS.get(kind, KIND_OTHER)),
                                counts=message_counts(ctx, states))))
        parts.append(item(t(MESSAGES_KEPT, days=RETENTION.days)))
    if held.chats_subscribed:
        parts.append(para(t(CHATS, n=held.chats_subscribed)))
    if held.announcements:
        parts.append(para(t(WRITTEN, ids=", ".join(f"#{i}" for i in held.announcements))))
    if len(parts) == 1:
        return Reply.of(t(NOTHING), private=True)
    parts.append(para(t(FOOTER)))
    return Reply.of(*parts, private=True)


def why(ctx: Context, reason: str) -> str:
    return ctx.t(WHY.get(reason, WHY_OTHER))


def message_counts(ctx: Context, states: dict[str, int]) -> str:
    counts, left = [], dict(states)
    for words, members in BUCKETS:
        n = sum(left.pop(state, 0) for state in members)
        if n:
            counts.append(ctx.n(*words, n))
    if n := sum(left.values()):
        counts.append(ctx.n(*NOT_SENT, n))
    return ", ".join(counts)


@router.command("forget", private=True, keeps_form=True, deep_link_safe=True)
async def forget(ctx: Context):
    """Erase everything we store about you."""
    buttons = [[Button(ctx.t(YES), "forget", ("yes",)), Button(ctx.t(NO), "forget", ("no",))]]
    return Reply.of(ctx.t(CONFIRM), buttons=buttons, private=True)


@router.action("forget")
async def forget_pressed(ctx: Context):
    payload = ctx.incoming.payload
    if payload == ("no",):
        return Reply.of(ctx.t(KEPT), private=True)
    if payload != ("yes",):
        return Reply.of(ctx.t(STALE), private=True)
    erased = await ctx.bot.forget(ctx.user.platform, ctx.user.id)
    if erased.get("signatures"):
        ctx.signatures_changed()
    what = [ctx.n(*pair, n) for table, pair in WHAT.items() if (n := erased.get(table, 0))]
    if not what:
        return Reply.of(ctx.t(ERASED_NOTHING), private=True)
    return Reply.of(ctx.t(ERASED, what=", ".join(what)), private=True)

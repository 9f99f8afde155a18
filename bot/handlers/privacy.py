"""/mydata and /forget: a supporter sees, and can erase, everything we hold about them."""

from __future__ import annotations

from ..core import Bold, Button, Reply
from ..registry import STALE, Context, Router
from .timefmt import moment

router = Router()

HEADING = "What we hold about you"
NOTHING = "We hold nothing about you: no signature, RSVPs, subscription, settings or forms."
SIGNATURE = "\n\nPetition signature #{number}, {when}, on {platform}"
FIELD = "\n  {label}: {value}"
NOT_GIVEN = "(not given)"
CONSENT = "\n  Consent: “{choice}”, consent text version {version}:\n  {text}"
UPDATES, NO_UPDATES = "keep me updated", "sign only, no updates"
RSVPS = "\n\nWeek of Action RSVPs:"
SUBSCRIPTION = "\n\nDaily prompts: {state} since {when}"
ACTIVE, PAUSED = "subscribed", "paused"
SETTINGS = "\n\nSettings: timezone {zone}, daily prompt time {time}"
UNSET = "default"
FORM = "\n\nAn unfinished {form} form with: {fields}"
DONE = "\n\nDaily actions you marked done: {days}"
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
        parts.append(CONSENT.format(
            choice=UPDATES if signature.wants_updates else NO_UPDATES,
            version=signature.consent_version, text=signature.consent_text))
    going = await store.rsvps_of(user.platform, user.id)
    if going:
        parts.append(RSVPS)
        for event_id in sorted(going):
            event = ctx.config.event(event_id)
            parts.append(f"\n  {event.title if event else event_id}")
    subscription = await store.subscription_of(user.platform, user.id)
    if subscription:
        parts.append(SUBSCRIPTION.format(state=ACTIVE if subscription.active else PAUSED,
                                         when=moment(subscription.since, zone)))
    settings = await store.settings_of(user.platform, user.id)
    if settings.timezone or settings.send_at:
        parts.append(SETTINGS.format(zone=settings.timezone or UNSET,
                                     time=settings.send_at or UNSET))
    done = await store.actions_done(user.platform, user.id)
    if done:
        parts.append(DONE.format(days=", ".join(done)))
    session = await store.form_session(user.platform, user.id)
    if session:
        given = ", ".join(f"{k} = {v if v is not None else NOT_GIVEN}"
                          for k, v in session.values.items()) or "no answers yet"
        parts.append(FORM.format(form=session.form_id, fields=given))
    if len(parts) == 1:
        return Reply.of(NOTHING, private=True)
    parts.append(FOOTER)
    return Reply.of(*parts, private=True)


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
    erased = await ctx.store.forget(ctx.user.platform, ctx.user.id)
    what = [(one if n == 1 else many).format(n=n)
            for table, (one, many) in WHAT.items() if (n := erased.get(table, 0))]
    if not what:
        return Reply.of(ERASED_NOTHING, private=True)
    return Reply.of(ERASED.format(what=", ".join(what)), private=True)

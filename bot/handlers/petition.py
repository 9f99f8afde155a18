"""/sign and /unsign: the petition, the signing form and the consent record."""

from __future__ import annotations

from .. import validation
from ..core import Bold, Button, Choice, Field, Form, FormRequest, Italic, Reply
from ..routing import STALE, Context, Router
from ..timefmt import moment, plural

router = Router()

FORM_TITLE = "petition signature"
NAME_PROMPT = "What name should we put on the petition?"
EMAIL_PROMPT = "What's your email address?"
POSTCODE_PROMPT = "What's your postcode?"
OPTIONAL = " (optional)"
CONSENT_PROMPT = "{consent}\n\nHow would you like to sign?"
SIGN, SIGN_UPDATES = "Sign", "Sign and keep me updated"
TO = "\nTo: "
COUNT = "\n\nSignatures so far: {total}."
THANKS = "Thank you, {name}! You are signature #{number}. The petition now has {total}."
THANKS_ANON = "Thank you! You are signature #{number}. The petition now has {total}."
UPDATES = "\nWe'll keep you updated."
NEXT = "\nNext: /rsvp for the Week of Action, or /subscribe for one action a day."
ALREADY = "You signed on {when} (signature #{number}). Thank you! The petition has {total}."
NOT_SIGNED = "You haven't signed the petition, so there is nothing to withdraw."
CONFIRM_UNSIGN = "Withdraw your signature (#{number}) from the petition?"
YES_UNSIGN, NO_UNSIGN = "Yes, withdraw it", "No, keep it"
WITHDRAWN = "Your signature has been withdrawn. The petition now has {total}."
KEPT = "Good: your signature stays."


def sign_form(ctx: Context) -> Form:
    petition = ctx.config.petition
    fields = []
    if petition.name != "off":
        default = ctx.user.display_name
        try:
            default = validation.name(default) if default else None
        except ValueError:
            default = None  # a display name we couldn't store is no default to offer
        fields.append(Field("name", "Name", _prompt(NAME_PROMPT, petition.name), required=(
            petition.name == "required"), default=default, validate=validation.name))
    if petition.email != "off":
        fields.append(Field("email", "Email", _prompt(EMAIL_PROMPT, petition.email), required=(
            petition.email == "required"), max_length=254, validate=validation.email))
    if petition.postcode != "off":
        fields.append(Field("postcode", "Postcode", _prompt(POSTCODE_PROMPT, petition.postcode),
                            required=petition.postcode == "required", max_length=16,
                            validate=validation.postcode(petition.postcode_pattern)))
    fields.append(Field(
        "consent", "Consent", CONSENT_PROMPT.format(consent=ctx.text(petition.consent_text)),
        kind="choice", choices=(Choice(SIGN, "sign"), Choice(SIGN_UPDATES, "updates")),
    ))
    return Form("sign", FORM_TITLE, tuple(fields))


def _prompt(text: str, mode: str) -> str:
    return text + (OPTIONAL if mode == "optional" else "")


async def already_signed(ctx: Context) -> Reply | None:
    signature = await ctx.store.signature_of(ctx.user.platform, ctx.user.id)
    if signature is None:
        return None
    total = await ctx.store.signature_total()
    when = moment(signature.signed_at, ctx.config.zone)
    return Reply.of(ALREADY.format(when=when, number=signature.number,
                                total=plural(total, "signature")))


@router.command("sign", private=True, deep_link_safe=True)
async def sign(ctx: Context):
    """Sign the petition."""
    existing = await already_signed(ctx)
    if existing:
        return existing
    petition = ctx.config.petition
    total = await ctx.store.signature_total()
    intro = Reply.of(Bold(ctx.text(petition.title)), "\n\n", ctx.text(petition.text), TO,
                     Italic(ctx.text(petition.target)), COUNT.format(total=total))
    return [intro, FormRequest("sign")]


@router.form("sign", command="sign", build=sign_form)
async def signed(ctx: Context, values: dict):
    petition = ctx.config.petition
    result = await ctx.store.sign(
        ctx.user.platform, ctx.user.id,
        name=values.get("name"), email=values.get("email"), postcode=values.get("postcode"),
        wants_updates=values["consent"] == "updates",
        # Exactly what was shown, in the language it was shown in (the person's).
        consent_text=ctx.text(petition.consent_text), consent_version=petition.consent_version,
        now=ctx.now, language=ctx.lang,
    )
    if not result.created:
        return await already_signed(ctx)
    signature = result.signature
    template = THANKS if signature.name else THANKS_ANON
    text = template.format(name=signature.name, number=signature.number,
                           total=plural(result.total, "signature"))
    return Reply.of(text, UPDATES if signature.wants_updates else "", NEXT, private=True)


@router.command("unsign", private=True, deep_link_safe=True)
async def unsign(ctx: Context):
    """Withdraw your signature from the petition."""
    signature = await ctx.store.signature_of(ctx.user.platform, ctx.user.id)
    if signature is None:
        return Reply.of(NOT_SIGNED, private=True)
    return Reply.of(
        CONFIRM_UNSIGN.format(number=signature.number),
        buttons=[[Button(YES_UNSIGN, "unsign", ("yes",)), Button(NO_UNSIGN, "unsign", ("no",))]],
        private=True,
    )


@router.action("unsign")
async def unsign_pressed(ctx: Context):
    choice = ctx.incoming.payload
    if choice == ("no",):
        return Reply.of(KEPT, private=True)
    if choice != ("yes",):
        return Reply.of(STALE, private=True)
    if not await ctx.store.withdraw(ctx.user.platform, ctx.user.id, ctx.now):
        return Reply.of(NOT_SIGNED, private=True)
    total = await ctx.store.signature_total()
    return Reply.of(WITHDRAWN.format(total=plural(total, "signature")), private=True)

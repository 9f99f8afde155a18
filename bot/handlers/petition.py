"""/sign and /unsign: the petition, the signing form and the consent record."""

from __future__ import annotations

from .. import sources, validation
from ..core import Bold, Button, Choice, Field, Form, FormRequest, Italic, Reply
from ..i18n import N_, NP_
from ..routing import STALE, Context, Router
from .messages import milestone_specs
from .milestones import crossed_line
from .referral import arrived, credit, invite_parts

router = Router()

FORM_TITLE = N_("petition signature")
NAME, EMAIL, POSTCODE, CONSENT = N_("Name"), N_("Email"), N_("Postcode"), N_("Consent")
NAME_PROMPT = N_("What name should we put on the petition?")
EMAIL_PROMPT = N_("What's your email address?")
POSTCODE_PROMPT = N_("What's your postcode?")
OPTIONAL = N_("{question} (optional)")
CONSENT_PROMPT = N_("{consent}\n\nHow would you like to sign?")
SIGN, SIGN_UPDATES = N_("Sign"), N_("Sign and keep me updated")
# The petition as config.toml words it (title, text, target), in the person's language.
INTRO = N_("{title}\n\n{text}\nTo: {target}\n\nSignatures so far: {total}.")
THANKS = NP_(
    "Thank you, {name}! You are signature #{number}. The petition now has {count} signature.",
    "Thank you, {name}! You are signature #{number}. The petition now has {count} signatures.")
THANKS_ANON = NP_(
    "Thank you! You are signature #{number}. The petition now has {count} signature.",
    "Thank you! You are signature #{number}. The petition now has {count} signatures.")
UPDATES = N_("We'll keep you updated.")
NEXT = N_("Next: /rsvp for the Week of Action, or /subscribe for one action a day.")
ALREADY = NP_(
    "You signed on {when} (signature #{number}). Thank you! The petition has {count} signature.",
    "You signed on {when} (signature #{number}). Thank you! The petition has {count} signatures.")
NOT_SIGNED = N_("You haven't signed the petition, so there is nothing to withdraw.")
CONFIRM_UNSIGN = N_("Withdraw your signature (#{number}) from the petition?")
YES_UNSIGN, NO_UNSIGN = N_("Yes, withdraw it"), N_("No, keep it")
WITHDRAWN = NP_("Your signature has been withdrawn. The petition now has {count} signature.",
                "Your signature has been withdrawn. The petition now has {count} signatures.")
KEPT = N_("Good: your signature stays.")


def sign_form(ctx: Context) -> Form:
    petition = ctx.config.petition
    fields = []
    if petition.name != "off":
        default = ctx.user.display_name
        try:
            default = validation.name(default) if default else None
        except ValueError:
            default = None  # a display name we couldn't store is no default to offer
        fields.append(Field(
            "name", ctx.t(NAME), _prompt(ctx, NAME_PROMPT, petition.name),
            required=petition.name == "required", default=default, validate=validation.name))
    if petition.email != "off":
        fields.append(Field(
            "email", ctx.t(EMAIL), _prompt(ctx, EMAIL_PROMPT, petition.email),
            required=petition.email == "required", max_length=254, validate=validation.email))
    if petition.postcode != "off":
        fields.append(Field(
            "postcode", ctx.t(POSTCODE), _prompt(ctx, POSTCODE_PROMPT, petition.postcode),
            required=petition.postcode == "required", max_length=16,
            validate=validation.postcode(petition.postcode_pattern)))
    # The consent text in the person's language: the one signed() records as shown.
    fields.append(Field(
        "consent", ctx.t(CONSENT),
        ctx.t(CONSENT_PROMPT, consent=ctx.text(petition.consent_text)), kind="choice",
        choices=(Choice(ctx.t(SIGN), "sign"), Choice(ctx.t(SIGN_UPDATES), "updates")),
    ))
    return Form("sign", ctx.t(FORM_TITLE), tuple(fields))


def _prompt(ctx: Context, question: str, mode: str) -> str:
    text = ctx.t(question)
    return ctx.t(OPTIONAL, question=text) if mode == "optional" else text


async def already_signed(ctx: Context) -> Reply | None:
    signature = await ctx.store.signature_of(ctx.user.platform, ctx.user.id)
    if signature is None:
        return None
    total = await ctx.store.signature_total()
    when = ctx.tr.moment(signature.signed_at, ctx.config.zone)
    return Reply.of(ctx.n(*ALREADY, total, when=when, number=signature.number))


@router.command("sign", private=True, deep_link_safe=True)
async def sign(ctx: Context):
    """Sign the petition."""
    existing = await already_signed(ctx)
    if existing:
        return existing
    await arrived(ctx, ctx.incoming.args)  # /sign <code>: kept until they sign
    petition = ctx.config.petition
    total = await ctx.store.signature_total()
    intro = Reply.of(*ctx.tr.spans(
        INTRO, title=Bold(ctx.text(petition.title)), text=ctx.text(petition.text),
        target=Italic(ctx.text(petition.target)), total=ctx.tr.number(total)))
    # A deep link's "sign_<source>" (bot/handlers/help.py) rides along to the signature.
    source = sources.from_args(ctx.incoming.args)
    return [intro, FormRequest("sign", (("source", source),) if source else ())]


@router.form("sign", command="sign", build=sign_form)
async def signed(ctx: Context, values: dict):
    petition = ctx.config.petition
    result = await ctx.store.sign(
        ctx.user.platform, ctx.user.id,
        name=values.get("name"), email=values.get("email"), postcode=values.get("postcode"),
        wants_updates=values["consent"] == "updates",
        # Exactly what was shown, in the language it was shown in (the person's).
        consent_text=ctx.text(petition.consent_text), consent_version=petition.consent_version,
        now=ctx.now, language=ctx.lang, source=values.get("source"),
        milestones=milestone_specs(petition),
    )
    if not result.created:
        return await already_signed(ctx)
    ctx.signatures_changed()
    await credit(ctx)  # the referrer, if they came through one: once ever per signer
    signature = result.signature
    if signature.name:
        text = ctx.n(*THANKS, result.total, name=signature.name, number=signature.number)
    else:
        text = ctx.n(*THANKS_ANON, result.total, number=signature.number)
    if result.milestone is not None:  # theirs was the signature that reached it
        text += "\n" + crossed_line(petition, result.milestone, ctx.tr)
    updates = ("\n" + ctx.t(UPDATES)) if signature.wants_updates else ""
    # One message: the thanks, then their personal share message (/invite's) and its button.
    invite, buttons = await invite_parts(ctx)
    return Reply.of(text, updates, "\n" + ctx.t(NEXT), "\n\n", *invite, buttons=buttons,
                    private=True)


@router.command("unsign", private=True, deep_link_safe=True)
async def unsign(ctx: Context):
    """Withdraw your signature from the petition."""
    signature = await ctx.store.signature_of(ctx.user.platform, ctx.user.id)
    if signature is None:
        return Reply.of(ctx.t(NOT_SIGNED), private=True)
    return Reply.of(
        ctx.t(CONFIRM_UNSIGN, number=signature.number),
        buttons=[[Button(ctx.t(YES_UNSIGN), "unsign", ("yes",)),
                  Button(ctx.t(NO_UNSIGN), "unsign", ("no",))]],
        private=True,
    )


@router.action("unsign")
async def unsign_pressed(ctx: Context):
    choice = ctx.incoming.payload
    if choice == ("no",):
        return Reply.of(ctx.t(KEPT), private=True)
    if choice != ("yes",):
        return Reply.of(ctx.t(STALE), private=True)
    if not await ctx.store.withdraw(ctx.user.platform, ctx.user.id, ctx.now):
        return Reply.of(ctx.t(NOT_SIGNED), private=True)
    ctx.signatures_changed()
    total = await ctx.store.signature_total()
    return Reply.of(ctx.n(*WITHDRAWN, total), private=True)

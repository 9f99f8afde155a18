"""Forms as step-by-step conversations, for platforms without modals (Telegram, the console).

The state lives in SQLite (`form_sessions`), so a restart in the middle resumes at the same
question. Every button carries (form id, step, choice): a button from an earlier question or
another form no longer matches the stored session and changes nothing.

A moderator form (FormSpec.moderator) holds only while its author is a moderator: rights are
re-checked at its start, at every typed answer and button press, and at a modal's submit, since
they can go between two steps (the config changed, a Discord DM carries no roles, the console
restarted without --moderator). Refused: the form ends, nothing is stored or shown.

Forms are routes like any handler's (`router`: a form's buttons and the answer typed to its
question); the dispatcher collects this router with the others and calls `start` for a
FormRequest when the adapter has no modals. This module knows nothing of the dispatcher.
"""

from __future__ import annotations

import logging

from .core import Button, Field, Form, FormRequest, Reply
from .i18n import N_, Problem
from .routing import REFUSED, STALE, Context, FormSpec, Router, as_list
from .storage import FormSession
from .text import is_ascii_digits, shorten

log = logging.getLogger(__name__)
router = Router()

ACTION = "form"
DEFAULT, SKIP = "d", "s"

QUESTION = N_("{question}\nSend /cancel to stop.")
STEP = N_("({step} of {total}) {question}\nSend /cancel to stop.")
USE_DEFAULT = N_("Use “{value}”")
SKIP_LABEL = N_("Skip")
REQUIRED = N_("This one is required.")
CHOOSE = N_("Please choose one of the options: {labels}.")
TOO_LONG = N_("That is too long: at most {limit} characters.")


def spec_for(ctx: Context, session: FormSession) -> tuple[FormSpec, Form] | None:
    spec = ctx.bot.forms.get(session.form_id)
    if spec is None:
        return None
    form = spec.build(ctx)
    if not 0 <= session.step < len(form.fields):
        return None
    return spec, form


def question(ctx: Context, form: Form, step: int) -> Reply:
    """The form's question `step` (its words come translated from the form's builder)."""
    field = form.fields[step]
    buttons: list[Button] = []
    if field.kind == "choice":
        buttons = [Button(c.label, ACTION, (form.id, str(step), str(i)))
                   for i, c in enumerate(field.choices)]
    else:
        if field.default:
            # Button labels stay short on every platform; the full default is stored.
            label = ctx.t(USE_DEFAULT, value=shorten(field.default, 24))
            buttons.append(Button(label, ACTION, (form.id, str(step), DEFAULT)))
        if not field.required:
            buttons.append(Button(ctx.t(SKIP_LABEL), ACTION, (form.id, str(step), SKIP)))
    if len(form.fields) > 1:
        text = ctx.t(STEP, step=step + 1, total=len(form.fields), question=field.prompt)
    else:
        text = ctx.t(QUESTION, question=field.prompt)
    return Reply.of(text, buttons=[buttons], private=True)


def allowed(ctx: Context, spec: FormSpec) -> bool:
    return not spec.moderator or ctx.bot.is_moderator(ctx.incoming)


async def refuse(ctx: Context, spec: FormSpec) -> list:
    """A moderator form from someone who is not (or no longer) a moderator: end it, say no."""
    await ctx.store.end_form_session(ctx.user.platform, ctx.user.id, spec.id)
    log.warning("refused moderator form %s on %s", spec.id, ctx.user.platform)
    return [Reply.of(ctx.t(REFUSED, name=spec.command), private=True)]


async def start(ctx: Context, request: FormRequest) -> list:
    spec = ctx.bot.forms[request.form_id]
    if not allowed(ctx, spec):
        return await refuse(ctx, spec)
    form = spec.build(ctx)
    user = ctx.user
    await ctx.store.save_form_session(
        user.platform, user.id, FormSession(form.id, 0, dict(request.values)), ctx.now
    )
    return [question(ctx, form, 0)]


def clean(field: Field, raw: str) -> str:
    """The validated value, or ValueError with a one-line reason for the supporter (a
    Problem, or a validator's own: shown through ctx.explain, which translates Problems)."""
    value = raw.strip()
    if field.kind == "choice":
        for choice in field.choices:
            if value.casefold() == choice.label.casefold():
                return choice.value
        raise Problem(CHOOSE, labels=", ".join(c.label for c in field.choices))
    if not value:
        raise Problem(REQUIRED)
    if len(value) > field.max_length * 4:  # cheap guard before the validator sees huge input
        raise Problem(TOO_LONG, limit=field.max_length)
    return field.validate(value) if field.validate else value


@router.on_text
async def typed(ctx: Context) -> list | None:
    """A typed message that is no command: the answer to the open form's question, if any
    (None: no form is open, and the dispatcher says it did not understand)."""
    session = await ctx.store.form_session(ctx.user.platform, ctx.user.id)
    return await answer(ctx, session) if session else None


async def answer(ctx: Context, session: FormSession) -> list:
    """A typed message while a form is open answers the current question."""
    found = spec_for(ctx, session)
    if found is None:
        await ctx.store.end_form_session(ctx.user.platform, ctx.user.id)
        return [Reply.of(ctx.t(STALE), private=True)]
    spec, form = found
    if not allowed(ctx, spec):
        return await refuse(ctx, spec)
    try:
        value = clean(form.fields[session.step], ctx.incoming.args)
    except ValueError as reason:
        return [Reply.of(ctx.explain(reason), private=True), question(ctx, form, session.step)]
    return await advance(ctx, spec, form, session, value)


@router.action(ACTION)
async def press(ctx: Context) -> list:
    """A button of a form question: re-checked against the stored session before anything."""
    user, payload = ctx.user, ctx.incoming.payload
    session = await ctx.store.form_session(user.platform, user.id)
    found = spec_for(ctx, session) if session else None
    if found is not None and not allowed(ctx, found[0]):
        return await refuse(ctx, found[0])
    if found is None or len(payload) != 3 or payload[:2] != (session.form_id, str(session.step)):
        return [Reply.of(ctx.t(STALE), private=True)]
    spec, form = found
    field, pick = form.fields[session.step], payload[2]
    if field.kind == "choice" and is_ascii_digits(pick) and int(pick) < len(field.choices):
        value: str | None = field.choices[int(pick)].value
    elif field.kind == "text" and pick == DEFAULT and field.default:
        value = field.default
    elif field.kind == "text" and pick == SKIP and not field.required:
        value = None
    else:
        return [Reply.of(ctx.t(STALE), private=True)]
    return await advance(ctx, spec, form, session, value)


async def advance(ctx: Context, spec: FormSpec, form: Form, session: FormSession, value) -> list:
    user = ctx.user
    values = {**session.values, form.fields[session.step].name: value}
    step = session.step + 1
    if step < len(form.fields):
        await ctx.store.save_form_session(
            user.platform, user.id, FormSession(form.id, step, values), ctx.now
        )
        return [question(ctx, form, step)]
    # Only the call that removes the session completes the form: a double tap, or the same
    # button pressed on two devices, completes it once.
    if not await ctx.store.end_form_session(user.platform, user.id, form.id, session.step):
        return [Reply.of(ctx.t(STALE), private=True)]
    return as_list(await spec.submit(ctx, values))


async def submit_all(ctx: Context, form_id: str, raw: dict[str, str]) -> list:
    """For modal platforms: validate every text field at once; on success continue with any
    choice fields as a conversation. Returns the problems as one reply when there are any."""
    spec = ctx.bot.forms.get(form_id)
    if spec is None:
        return [Reply.of(ctx.t(STALE), private=True)]
    if not allowed(ctx, spec):
        return await refuse(ctx, spec)
    form = spec.build(ctx)
    values: dict[str, str | None] = {}
    problems = []
    for field in form.fields:
        if field.kind != "text":
            continue
        text = (raw.get(field.name) or "").strip()
        if not text and not field.required:
            values[field.name] = None
            continue
        try:
            values[field.name] = clean(field, text)
        except ValueError as reason:
            problems.append(f"{field.label}: {ctx.explain(reason)}")
    if problems:
        return [Reply.of("\n".join(problems), private=True)]
    step = sum(1 for f in form.fields if f.kind == "text")
    session = FormSession(form.id, step - 1, values)
    if step >= len(form.fields):
        await ctx.store.save_form_session(ctx.user.platform, ctx.user.id, session, ctx.now)
        return await advance(ctx, spec, form, session, values[form.fields[step - 1].name])
    await ctx.store.save_form_session(
        ctx.user.platform, ctx.user.id, FormSession(form.id, step, values), ctx.now
    )
    return [question(ctx, form, step)]

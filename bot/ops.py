"""Operator commands: export, backup, QR codes, the growth chart and the config summary of
`python -m bot check`."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator

import segno

from . import chart
from .config import Config
from .i18n import translator
from .storage import Storage
from .timefmt import day, duration, moment

EXPORT_COLUMNS = ("number", "name", "email", "postcode", "consent_choice", "consent_version",
                  "platform", "signed_at", "source", "referred")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


RSVP_COLUMNS = ("event_id", "event_title", "platform", "user_id", "display_name", "created_at",
                "attended")
MAILING_LIST_COLUMNS = ("name", "email", "postcode", "signed_at", "consent_version",
                        "consent_version_date")
OWNER_ONLY = 0o600


def _cell(value: str | None) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection); the
    # apostrophe makes it plain text without changing what people read.
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


async def _write_csv(out: Path, columns: tuple[str, ...], rows: AsyncIterator[tuple]) -> int:
    """Write `rows` under `columns` to `out`, owner-only (it holds personal data) whatever the
    umask. Written to a temporary file and renamed, so a failure never leaves half an export
    (nor a partial one beside it). Returns the number of rows."""
    partial = out.with_name(out.name + ".partial")
    count = 0
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
        os.fchmod(fd, OWNER_ONLY)  # the umask may have taken bits off; never adds any
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            async for row in rows:
                writer.writerow(row)
                count += 1
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


async def export_signatures(store: Storage, out: Path) -> int:
    """Write every signature to `out`, consent columns included: the campaign's record of
    who signed what. Returns the count."""
    async def rows() -> AsyncIterator[tuple]:
        async for s in store.iter_signatures():
            yield (s.number, _cell(s.name), _cell(s.email), _cell(s.postcode),
                   "sign and keep me updated" if s.wants_updates else "sign",
                   s.consent_version, s.platform, s.signed_at.isoformat(),
                   _cell(s.source or "direct"), "yes" if s.referred else "no")

    return await _write_csv(out, EXPORT_COLUMNS, rows())


async def export_mailing_list(store: Storage, out: Path, config: Config) -> tuple[int, int]:
    """Write to `out` only the signers who chose to be kept updated and gave an email: the one
    file meant for an email tool. Returns (rows written, signers left out for want of an
    email). The consent text's date is known only for the config's current consent_version;
    an older version's date stays empty rather than being guessed."""
    petition = config.petition
    current_date = petition.consent_version_date.isoformat() if (
        petition.consent_version_date) else ""
    no_email = 0

    async def rows() -> AsyncIterator[tuple]:
        nonlocal no_email
        async for s in store.iter_signatures():
            if not s.wants_updates:
                continue
            if not s.email:
                no_email += 1
                continue
            date = current_date if s.consent_version == petition.consent_version else ""
            yield (_cell(s.name), _cell(s.email), _cell(s.postcode), s.signed_at.isoformat(),
                   _cell(s.consent_version), date)

    written = await _write_csv(out, MAILING_LIST_COLUMNS, rows())
    return written, no_email


async def export_rsvps(store: Storage, out: Path, config: Config) -> int:
    """Write every RSVP to `out`, one row each: the event (its title in the default language;
    blank for an event no longer in the config), who, when, and their attendance answer. An RSVP
    stores no name, and must not start to: the display name is the one its holder gave when
    signing the petition, blank if they have not signed. Returns the count."""
    titles = {e.id: str(e.title) for e in config.events}
    answers = {True: "yes", False: "no", None: ""}

    async def rows() -> AsyncIterator[tuple]:
        async for r in store.iter_rsvps():
            yield (r.event_id, _cell(titles.get(r.event_id, "")), r.platform, _cell(r.user_id),
                   _cell(r.signed_name), r.created_at.isoformat(), answers[r.attended])

    return await _write_csv(out, RSVP_COLUMNS, rows())


async def write_chart(store: Storage, config: Config, now: datetime, out: Path) -> None:
    """The growth chart /stats sends, in the campaign's default language, to `out`."""
    png = await chart.growth_png(store, config, now, translator(config.languages[0]))
    write_owner_only(out, png)


def write_owner_only(out: Path, data: bytes) -> None:
    """`data` to `out`, owner-only like every file the operator commands write, renamed into
    place so a failure leaves no half file."""
    partial = out.with_name(out.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
        os.fchmod(fd, OWNER_ONLY)
        with open(fd, "wb") as handle:
            handle.write(data)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_qr(link: str, out: Path) -> None:
    """A QR code PNG of `link` for printed material: 10 pixels a module, so it prints sharp at
    a few centimetres, and the 4-module quiet zone the standard asks for, without which
    scanners miss it. Not personal data: readable by all (0644). Written beside `out` and
    renamed, so a failure leaves no half image."""
    partial = out.with_name(out.name + ".partial")
    try:
        segno.make_qr(link).save(str(partial), kind="png", scale=10, border=4)
        os.chmod(partial, 0o644)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def summary(config: Config, now: datetime, tokens: dict[str, str]) -> str:
    c, p, zone = config.campaign, config.petition, config.zone
    left = c.deadline - now
    deadline = moment(c.deadline, zone)
    deadline += f" ({duration(left)} from now)" if left.total_seconds() > 0 else " (passed)"
    fields = ", ".join(f"{f} {getattr(p, f)}" for f in ("name", "email", "postcode"))
    lines = [
        f"Config OK: {c.name} — {c.organisation}",
        f"Timezone:   {c.timezone}",
        "Languages:  " + ", ".join(f"{code} (default)" if i == 0 else code
                                   for i, code in enumerate(c.languages)),
        f"Deadline:   {c.deadline_label}, {deadline}",
        f"Petition:   {p.title} (to {p.target})",
        f"            fields: {fields}; consent version {p.consent_version}"
        + (f" of {p.consent_version_date.isoformat()}" if p.consent_version_date else ""),
        f"Events:     {len(config.events)}",
    ]
    lines += [f"  {e.id:<8} {moment(e.starts_at, zone)}  {e.title}" for e in config.events]
    if config.actions:
        first, last = config.actions[0].date, config.actions[-1].date
        lines.append(f"Actions:    {len(config.actions)} daily actions, "
                     f"{day(first)} to {day(last)}")
    else:
        lines.append("Actions:    none (the fallback action is used every day)")
    m = config.moderators
    lines += [
        f"Prompts:    daily at {config.prompts.send_at} by default",
        f"Moderators: {len(m.telegram_user_ids)} Telegram, {len(m.discord_user_ids)} Discord "
        f"users, {len(m.discord_role_ids)} Discord roles",
        f"Donate:     {c.donate_url}",
        f"Database:   {config.storage.path}",
        "Tokens:     " + (", ".join(f"{p} token set" for p in tokens) or "none set (console)"),
    ]
    return "\n".join(lines)

"""Operator commands: export, backup and the config summary of `python -m bot check`."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

from .config import Config
from .handlers.timefmt import day, duration, moment
from .storage import Storage

EXPORT_COLUMNS = ("number", "name", "email", "postcode", "consent_choice", "consent_version",
                  "platform", "signed_at")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection); the
    # apostrophe makes it plain text without changing what people read.
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


async def export_signatures(store: Storage, out: Path) -> int:
    """Write every signature to `out` (mode 0600: it holds personal data). Returns the count.
    Written to a temporary file and renamed, so a failure never leaves half an export."""
    partial = out.with_name(out.name + ".partial")
    count = 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            async for s in store.iter_signatures():
                writer.writerow((
                    s.number, _cell(s.name), _cell(s.email), _cell(s.postcode),
                    "sign and keep me updated" if s.wants_updates else "sign",
                    s.consent_version, s.platform, s.signed_at.isoformat(),
                ))
                count += 1
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def summary(config: Config, now: datetime, tokens: dict[str, str]) -> str:
    c, p, zone = config.campaign, config.petition, config.zone
    left = c.deadline - now
    deadline = moment(c.deadline, zone)
    deadline += f" ({duration(left)} from now)" if left.total_seconds() > 0 else " (passed)"
    fields = ", ".join(f"{f} {getattr(p, f)}" for f in ("name", "email", "postcode"))
    lines = [
        f"Config OK: {c.name} — {c.organisation}",
        f"Timezone:   {c.timezone}",
        f"Deadline:   {c.deadline_label}, {deadline}",
        f"Petition:   {p.title} (to {p.target})",
        f"            fields: {fields}; consent version {p.consent_version}",
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

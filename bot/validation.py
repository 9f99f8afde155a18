"""Checks for what supporters type. Each returns the cleaned value or raises ValueError with a
one-line reason that is shown to the supporter as it is."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

NAME_MAX = 100
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def name(raw: str) -> str:
    value = unicodedata.normalize("NFC", raw).strip()
    if not value:
        raise ValueError("Please type a name.")
    if len(value) > NAME_MAX:
        raise ValueError(f"That name is too long: at most {NAME_MAX} characters.")
    # Cc: control characters (newlines, escapes), Cf would allow invisible bidi overrides.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value):
        raise ValueError("A name can't contain control or invisible characters.")
    return value


def email(raw: str) -> str:
    try:
        # No DNS lookups: syntax only (and the machines running tests have no network).
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"That doesn't look like an email address: {exc}") from None
    return result.normalized


def postcode(pattern: str):
    compiled = re.compile(pattern, re.ASCII)  # \d is 0-9 here, not every script's digits

    def check(raw: str) -> str:
        value = " ".join(raw.split()).upper()
        if not compiled.fullmatch(value):
            raise ValueError("That doesn't look like a valid postcode.")
        return value

    return check


def timezone(raw: str) -> str:
    value = raw.strip()
    try:
        if not value or ".." in value or value.startswith("/"):
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise ValueError(
            f"I don't know the timezone “{value[:40]}”. Use a name like America/New_York "
            "or Europe/London."
        ) from None
    return value


def time_of_day(raw: str) -> str:
    match = HHMM.match(raw.strip())
    if not match:
        raise ValueError("Please give a time as HH:MM on a 24-hour clock, like 08:30 or 18:00.")
    return f"{int(match[1]):02d}:{match[2]}"

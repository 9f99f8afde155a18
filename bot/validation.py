"""Checks for what supporters type. Each returns the cleaned value or raises ValueError with a
one-line reason for the supporter: an i18n.Problem (a ValueError), which whoever shows it
translates with ctx.explain (bot/forms.py)."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import cache

from email_validator import EmailNotValidError, validate_email

from .i18n import N_, Problem

NAME_MAX = 100
MAX_MARKS = 4  # accents on one letter: Vietnamese needs 2, Tibetan stacks 3; zalgo piles dozens
# The one HH:MM pattern (24-hour clock, two-digit hour), used with fullmatch (a `$` would also
# match before a trailing newline): config.toml's times and stored send times must match it as
# they are; a supporter may leave out the hour's leading zero (time_of_day adds it).
HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

NAME_EMPTY = N_("Please type a name.")
NAME_TOO_LONG = N_("That name is too long: at most {limit} characters.")
NAME_BLANK = N_(
    "That name shows nothing: please type a name with at least one letter or number.")
NAME_HIDDEN = N_("A name can't contain control or invisible characters.")
NAME_UNASSIGNED = N_("A name can't contain unassigned or reserved characters.")
NAME_MARKS = N_(
    "An accent or mark must follow a letter, and one letter can carry at most {limit}.")
# {detail}: email_validator's own explanation, which it gives in English only.
BAD_EMAIL = N_("That doesn't look like an email address: {detail}")
BAD_POSTCODE = N_("That doesn't look like a valid postcode.")
UNKNOWN_ZONE = N_("I don't know the timezone “{value}”. Use a name like America/New_York or "
                  "Europe/London.")
BAD_TIME = N_("Please give a time as HH:MM on a 24-hour clock, like 08:30 or 18:00.")

# Letters and symbols that render as blank space: Unicode files them as Lo/So, so no category
# test catches them, and they are the usual way to get a "blank" name past a non-empty check.
FILLERS = frozenset(map(unicodedata.lookup, (
    "BRAILLE PATTERN BLANK", "HANGUL FILLER", "HANGUL CHOSEONG FILLER",
    "HANGUL JUNGSEONG FILLER", "HALFWIDTH HANGUL FILLER",
)))
# The two format characters real names need: ZWNJ keeps Persian "Mehr\u200cdad" apart without
# a space, ZWJ builds Indic half forms and emoji sequences (a family: man ZWJ woman ZWJ girl).
# Every other Cf (bidi overrides, zero-width spaces, tags, soft hyphens) can only hide or reorder
# text.
JOINERS = frozenset("\u200c\u200d")
# Cn: unassigned in this Python's Unicode database, which includes the non-characters
# (U+FDD0..U+FDEF and every U+xxFFFE/U+xxFFFF); Co: private use; Cs: lone surrogates.
NOT_CHARACTERS = frozenset(("Cn", "Co", "Cs"))
# Cc: control characters (newlines, escapes); Zl/Zp: U+2028/U+2029 break a name over lines.
HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp"))
VISIBLE = frozenset("LNSP")  # the first letter of the categories of letters, digits, symbols...


def name(raw: str) -> str:
    value = unicodedata.normalize("NFC", raw).strip()
    if not value:
        raise Problem(NAME_EMPTY)
    if len(value) > NAME_MAX:
        raise Problem(NAME_TOO_LONG, limit=NAME_MAX)
    categories = [unicodedata.category(ch) for ch in value]
    if any(c in NOT_CHARACTERS for c in categories):
        raise Problem(NAME_UNASSIGNED)
    if not any(c[0] in VISIBLE and ch not in FILLERS for ch, c in zip(value, categories)):
        raise Problem(NAME_BLANK)
    for i, (ch, category) in enumerate(zip(value, categories)):
        if ch in FILLERS or (category in HIDDEN and ch not in JOINERS):
            raise Problem(NAME_HIDDEN)
        if ch in JOINERS and not _joins(categories, i):
            raise Problem(NAME_HIDDEN)
    if not _marks_sit_on_letters(categories):
        raise Problem(NAME_MARKS, limit=MAX_MARKS)
    return value


def _joins(categories: list[str], i: int) -> bool:
    """A joiner must stand between two characters: after a letter, symbol or mark (the virama
    of a half form, the variation selector of the rainbow flag) and before a letter or symbol."""
    if i == 0 or i + 1 == len(categories):
        return False
    before, after = categories[i - 1], categories[i + 1]
    return before[0] in VISIBLE | {"M"} and after[0] in VISIBLE


def _marks_sit_on_letters(categories: list[str]) -> bool:
    """Every combining mark (category M: accents, viramas, variation selectors) follows a
    visible character, and at most MAX_MARKS of them follow one."""
    run, base = 0, False
    for category in categories:
        if category[0] == "M":
            run += 1
            if not base or run > MAX_MARKS:
                return False
        else:
            run, base = 0, category[0] in VISIBLE
    return True


def email(raw: str) -> str:
    try:
        # No DNS lookups: syntax only (and the machines running tests have no network).
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Problem(BAD_EMAIL, detail=str(exc)) from None
    return result.normalized


def postcode(pattern: str):
    compiled = re.compile(pattern, re.ASCII)  # \d is 0-9 here, not every script's digits

    def check(raw: str) -> str:
        value = " ".join(raw.split()).upper()
        if not compiled.fullmatch(value):
            raise Problem(BAD_POSTCODE)
        return value

    return check


@cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names, read once (it is a scan of the zoneinfo folders). The scan also
    finds files that are no zone names: `localtime` (the host's own zone, a different one on
    every machine), `Factory` (a placeholder whose abbreviation is "-00") and `posixrules`."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"})


def is_timezone(value: str) -> bool:
    return value in known_timezones()


def timezone(raw: str) -> str:
    value = raw.strip()
    if not is_timezone(value):
        raise Problem(UNKNOWN_ZONE, value=value[:40])
    return value


def increasing(values: tuple[int, ...]) -> tuple[int, ...]:
    """Positive whole numbers in strictly increasing order (config: petition milestones)."""
    if any(value <= 0 for value in values) or list(values) != sorted(set(values)):
        raise ValueError("must be positive whole numbers in strictly increasing order")
    return values


def is_hhmm(value: str) -> bool:
    return HHMM.fullmatch(value) is not None


def time_of_day(raw: str) -> str:
    value = raw.strip()
    if len(value) == 4:  # "9:30", the leading zero left out
        value = "0" + value
    match = HHMM.fullmatch(value)
    if not match:
        raise Problem(BAD_TIME)
    return f"{int(match[1]):02d}:{match[2]}"

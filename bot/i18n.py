"""Languages: gettext catalogs, Babel's formatting, and which language a person is answered in.

UI strings are module-level constants marked with `N_()` (plural pairs with `NP_()`), so
`pybabel extract` finds them, and translated where they are used: `ctx.t(SIGNED, number=n)`,
`ctx.n(*SIGNATURES, total)`. The catalogs are `bot/locales/<lang>/LC_MESSAGES/bot.po`, compiled
here with Babel the first time a language is needed (no compiled .mo files are kept, so none
can go stale). Campaign content from config.toml arrives as `Text`: the default language's
string, carrying the other languages' versions (`ctx.text(content)` picks one).

A person's language: their /settings choice, else their app's language (Telegram
`language_code`, Discord `interaction.locale`) negotiated against `[campaign] languages`, else
the first of those (see `language_for`).
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

from .text import merged

if TYPE_CHECKING:
    from .core import Incoming
    from .storage import Storage

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "bot"
DEFAULT = "en"  # the language of the msgids, and of a config without `languages`


def N_(message: str) -> str:
    """Marks a constant for extraction; it is translated where it is used: `ctx.t(X)`."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural pair for extraction, used as `ctx.n(*PAIR, count)`."""
    return singular, plural


LESS_THAN_AN_HOUR = N_("less than an hour")


class Problem(ValueError):
    """A reason shown to the person (a validator's, a form's), translated where it is shown:
    `raise Problem(TOO_LONG, limit=100)`, then `ctx.explain(error)`. str() is the English."""

    def __init__(self, message: str, /, **values: Any) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message, self.values = message, values


class Text(str):
    """Campaign content from config.toml. As a str it is the default language's version, so
    code that does not know about languages keeps working; `get(lang)` picks a version. A plain
    string in the config has no versions: the same text in every language."""

    versions: Mapping[str, str]

    def __new__(cls, text: str, versions: Mapping[str, str] | None = None) -> Self:
        self = super().__new__(cls, text)
        self.versions = dict(versions or {})
        return self

    def get(self, lang: str) -> str:
        return self.versions.get(lang, str(self))


class CatalogText(Text):
    """A content field's built-in default (a msgid marked with N_): the catalogs translate it."""

    def get(self, lang: str) -> str:
        return translator(lang).t(str(self))


def catalog_file(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_catalog(lang: str) -> bool:
    """Whether `lang` (or its base language: es for es_MX) has a catalog."""
    return any(catalog_file(code).is_file() for code in (lang, lang.split("_")[0]))


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` (falling back to its base language), compiled from its .po file;
    none: the msgids themselves (English). Fuzzy and untranslated entries fall back too."""
    for code in (lang, lang.split("_")[0]):
        try:
            with catalog_file(code).open("rb") as po:
                catalog = read_po(po, locale=code, domain=DOMAIN)
        except FileNotFoundError:
            continue
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        return gettext.GNUTranslations(compiled)
    return gettext.NullTranslations()


def parse_locale(code: str) -> Locale:
    """Raises ValueError for a code Babel does not know."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"{code!r} is not a known language code") from exc


def language_name(code: str, *, in_sentence: bool = False) -> str:
    """A language named in itself: "English", "Español" (a button, a list); in_sentence: as
    that language writes it mid-sentence ("español")."""
    name = parse_locale(code).display_name or code
    return name if in_sentence else name[:1].upper() + name[1:]


_FIELDS = string.Formatter()
REMEMBERED = 4096  # formatted dates and numbers a Translator keeps


class Translator:
    """One language's words and formats; handlers reach it as `ctx.tr` (and `ctx.t`, `ctx.n`,
    `ctx.text`...). Services that render for a recipient get one from `translator(lang)`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = parse_locale(lang)
        self.catalog = translations(lang)
        # Babel's formatting costs tens of microseconds a call, and the event list formats the
        # same few dates and counts on every press: remembered here (bounded: cleared when full).
        self._formatted: dict[tuple[str, object], str] = {}

    def t(self, message: str, /, **values: Any) -> str:
        """The translation of `message`, its {named} placeholders filled from `values`."""
        text = self.catalog.gettext(message) if message else message  # "": the header
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The form for `count` under the language's plural rules; {count} is the number
        formatted for the language ("60,000" / "60.000")."""
        key = (singular, count)  # "3 coming" on every press of the event list: remembered
        known = None if values else self._formatted.get(key)
        if known is None:
            known = self.catalog.ngettext(singular, plural, count).format(
                count=self.number(count), **values)
            return known if values else self._remember(key, known)
        return known

    def spans(self, message: str, /, **values: Any) -> list[Any]:
        """`t`, as parts for Reply.of: a value that is a Span (Bold, Link...) stays a span, at
        the place the translation puts it: `Reply.of(*ctx.tr.spans(MORE, link=Link(url, url)))`"""
        parts: list[Any] = []
        for literal, name, spec, _ in _FIELDS.parse(self.catalog.gettext(message)):
            parts.append(literal)
            if name is not None:
                value = values[name]
                parts.append(format(value, spec or "") if isinstance(value, (str, int, float))
                             else value)
        return merged(parts)

    def text(self, content: str) -> str:
        """Campaign content (config Text) in this language; a plain string as it is."""
        return content.get(self.lang) if isinstance(content, Text) else content

    def explain(self, error: Exception) -> str:
        """The reason a ValueError gives, in this language when it is a Problem."""
        if isinstance(error, Problem):
            return self.t(error.message, **error.values)
        return str(error)

    def _remember(self, key: tuple[str, object], text: str) -> str:
        if len(self._formatted) >= REMEMBERED:
            self._formatted.clear()
        self._formatted[key] = text
        return text

    def number(self, value: float) -> str:
        key = ("number", value)
        return self._formatted.get(key) or self._remember(key, format_decimal(value,
                                                                               locale=self.locale))

    def join(self, items: Iterable[str]) -> str:
        """"a, b and c" / "a, b y c"."""
        items = list(items)
        return format_list(items, locale=self.locale) if items else ""

    # Dates and times (bot/timefmt.py calls these; English keeps the bot's own house style)

    def day(self, d: date) -> str:
        """"Thu 10 Jun 2027" / "jue, 10 jun 2027"."""
        key = ("day", d)
        known = self._formatted.get(key)
        if known is not None:
            return known
        if self.locale.language == "en":
            return self._remember(key, format_date(d, "EEE d MMM y", locale=self.locale))
        return self._remember(key, format_skeleton("yMMMEd", d, locale=self.locale))

    def day_month(self, d: date) -> str:
        """"3 June" / "3 de junio": a date this year, in a sentence."""
        if self.locale.language == "en":
            return format_date(d, "d MMMM", locale=self.locale)
        return format_skeleton("MMMMd", d, locale=self.locale)

    def moment(self, at: datetime, zone: ZoneInfo) -> str:
        local = at.astimezone(zone)
        return f"{self.day(local.date())}, {local:%H:%M} {local.tzname()}"

    def span(self, start: datetime, end: datetime, zone: ZoneInfo) -> str:
        key = ("span", (start, end, zone))
        known = self._formatted.get(key)
        if known is not None:
            return known
        a, b = start.astimezone(zone), end.astimezone(zone)
        if a.date() == b.date():
            return self._remember(key, f"{self.day(a.date())}, {a:%H:%M}–{b:%H:%M} {b.tzname()}")
        return self._remember(key, f"{self.moment(start, zone)} – {self.moment(end, zone)}")

    def duration(self, delta: timedelta, *, whole_days: bool = False) -> str:
        """"12 days and 3 hours" / "12 días y 3 horas", rounded down to the hour; with
        `whole_days`, "12 days" while a day or more is left (a text that changes daily)."""
        days, hours = divmod(int(delta.total_seconds() // 3600), 24)
        if whole_days and days:
            return format_unit(days, "duration-day", length="long", locale=self.locale)
        parts = [format_unit(days, "duration-day", length="long", locale=self.locale)
                 ] if days else []
        if hours or days:
            parts.append(format_unit(hours, "duration-hour", length="long",
                                     locale=self.locale))
        return self.join(parts) if parts else self.t(LESS_THAN_AN_HOUR)


@cache
def translator(lang: str = DEFAULT) -> Translator:
    return Translator(lang)


def negotiate(platform_locale: str | None, languages: Sequence[str]) -> str:
    """The configured language closest to what the platform says the person reads ("es",
    "es-419", "es-ES" -> "es"); the first configured one (the default) when none is close.
    Asked several times per update with the same few locales: remembered."""
    return _negotiate(platform_locale, tuple(languages))


@lru_cache(maxsize=256)
def _negotiate(platform_locale: str | None, languages: tuple[str, ...]) -> str:
    default = languages[0] if languages else DEFAULT
    wanted = (platform_locale or "").strip().replace("-", "_")
    if not wanted:
        return default
    found = negotiate_locale([wanted], list(languages), sep="_") or ""
    if found.lower() not in (code.lower() for code in languages):
        # Only a regional variant is configured (es_MX): the same language is closest.
        base = wanted.split("_")[0].lower()
        found = next((code for code in languages if code.split("_")[0].lower() == base), "")
    return next((code for code in languages if code.lower() == found.lower()), default)


def pick_language(raw: str, languages: Sequence[str]) -> str | None:
    """What a person typed to choose a language: a code ("es", "es-MX") or the language's own
    name ("Español"). None when it names no configured language."""
    wanted = raw.strip().replace("-", "_").casefold()
    for code in languages:
        if wanted in (code.casefold(), language_name(code).casefold()):
            return code
    base = wanted.split("_")[0]
    return next((code for code in languages if code.casefold() == base), None)


async def language_for(store: Storage, languages: Sequence[str], incoming: Incoming) -> str:
    """The language of `languages` (the config's) to answer `incoming` in: the person's stored
    choice, else their app's, else the default. One read; none when there is one language."""
    saved = None
    if len(languages) > 1:
        saved = (await store.settings_of(incoming.user.platform, incoming.user.id)).language
    return language_of(saved, languages, incoming)


def language_of(saved: str | None, languages: Sequence[str], incoming: Incoming) -> str:
    """language_for, given the person's stored choice (for a caller that read their settings
    anyway: the dispatcher reads them once per update)."""
    if len(languages) > 1 and saved in languages:
        return saved
    return negotiate(incoming.locale, languages)

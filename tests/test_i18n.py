"""Languages, the machinery: the catalogs (complete, consistent, covering every marked string
in bot/), how they are compiled and read, negotiation, and Babel's formatting per language.

The conversations in Spanish are in tests/test_i18n_flows.py; the config's languages and
content tables in tests/test_i18n_config.py."""

from __future__ import annotations

import gettext
import re
import string
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import Problem, Text, negotiate, pick_language, translator

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ROOT / "bot" / "locales" / "es" / "LC_MESSAGES" / "bot.po"


def spanish():
    with SPANISH.open("rb") as po:
        return read_po(po, locale="es")


def extracted() -> dict[str, set[str]]:
    """file -> the msgids pybabel extracts from it, with the project's babel.cfg (the same
    extraction method and keywords as the documented `pybabel extract`)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, set[str]] = defaultdict(set)
    for filename, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map):
        found[Path(filename).as_posix()].add(message[0] if isinstance(message, tuple)
                                             else message)
    return found


EXTRACTED = extracted()


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def entries():
    return [m for m in spanish() if m.id]


# The Spanish catalog ---------------------------------------------------------------------------

def test_every_spanish_entry_is_translated_and_not_fuzzy():
    problems = []
    for message in entries():
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(form.strip() for form in forms):
            problems.append(message.id)
    assert problems == [], f"untranslated or fuzzy: {problems}"


def test_every_spanish_entry_keeps_the_placeholders_of_its_msgid():
    problems = []
    for message in entries():
        if isinstance(message.id, tuple):  # form 0 is the singular (Spanish: n == 1)
            singular, plural = message.id
            wanted = [fields(singular)] + [fields(plural)] * (len(message.string) - 1)
            got = [fields(form) for form in message.string]
        else:
            wanted, got = [fields(message.id)], [fields(message.string)]
        if wanted != got:
            problems.append(f"{message.id!r}: {got} instead of {wanted}")
    assert problems == []


def test_each_msgid_appears_once():
    # gettext keeps one translation per msgid: a block appended for a new module must not
    # repeat one (read_po would silently keep only one of them).
    text = SPANISH.read_text(encoding="utf-8")
    count = len(re.findall(r"^msgid ", text, flags=re.MULTILINE)) - 1  # the header
    assert count == len(entries())


def test_every_spanish_entry_is_still_said_by_the_code():
    used = set().union(*EXTRACTED.values())
    assert [m.id for m in entries() if (m.id[0] if isinstance(m.id, tuple) else m.id)
            not in used] == []


@pytest.mark.parametrize("module", sorted(EXTRACTED))
def test_every_marked_string_has_its_spanish(module):
    catalog = spanish()
    missing = sorted(m for m in EXTRACTED.get(module, ()) if not (
        (found := catalog.get(m)) is not None and found.string and not found.fuzzy))
    assert missing == [], f"{module}: no Spanish for {missing}"


def test_command_docstrings_are_extracted_as_help_lines():
    # The help lists each command's docstring translated: the extractor must find them.
    assert "Every command, one line each." in EXTRACTED["bot/handlers/help.py"]
    assert "Sign the petition." in EXTRACTED["bot/handlers/petition.py"]


# Compiling and reading catalogs -----------------------------------------------------------------

def test_catalogs_ship_as_po_files_only():
    # Compiled when loaded: a committed .mo could disagree with its .po.
    files = [p.relative_to(ROOT / "bot" / "locales").as_posix()
             for p in (ROOT / "bot" / "locales").rglob("*") if p.is_file()]
    assert {"en/LC_MESSAGES/bot.po", "es/LC_MESSAGES/bot.po"} <= set(files)
    assert [f for f in files if not f.endswith((".po", ".pot"))] == []
    assert isinstance(i18n.translations("es"), gettext.GNUTranslations)


@pytest.fixture
def catalogs(tmp_path, monkeypatch):
    """A locales folder of the test's own, read afresh."""
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.translations.cache_clear()
    i18n.translator.cache_clear()

    def write(lang: str, body: str, plural_forms: str = "nplurals=2; plural=(n != 1);"):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "bot.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n"Plural-Forms: {plural_forms}\\n"\n'
            f'"Content-Type: text/plain; charset=utf-8\\n"\n\n{body}', encoding="utf-8")

    yield write
    i18n.translations.cache_clear()
    i18n.translator.cache_clear()


def test_fuzzy_and_empty_entries_fall_back_to_the_msgid(catalogs):
    catalogs("es", '#, fuzzy\nmsgid "Skip"\nmsgstr "Saltar"\n\n'
                   'msgid "Sign"\nmsgstr ""\n\nmsgid "Done"\nmsgstr "Hecho"\n')
    es = translator("es")
    assert (es.t("Skip"), es.t("Sign"), es.t("Done")) == ("Skip", "Sign", "Hecho")


def test_plurals_follow_the_catalogs_rules_and_format_the_count(catalogs):
    catalogs("es", 'msgid "{count} signature"\nmsgid_plural "{count} signatures"\n'
                   'msgstr[0] "{count} firma"\nmsgstr[1] "{count} firmas"\n')
    catalogs("pl", 'msgid "{count} signature"\nmsgid_plural "{count} signatures"\n'
                   'msgstr[0] "{count} podpis"\nmsgstr[1] "{count} podpisy"\n'
                   'msgstr[2] "{count} podpisów"\n',
             "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20)"
             " ? 1 : 2);")
    pair = i18n.NP_("{count} signature", "{count} signatures")
    es, en, pl = translator("es"), translator("en"), translator("pl")
    assert [es.n(*pair, n) for n in (1, 2, 0, 60000)] == [
        "1 firma", "2 firmas", "0 firmas", "60.000 firmas"]
    assert [en.n(*pair, n) for n in (1, 2, 60000)] == [
        "1 signature", "2 signatures", "60,000 signatures"]
    assert [pl.n(*pair, n) for n in (1, 3, 5, 22)] == [
        "1 podpis", "3 podpisy", "5 podpisów", "22 podpisy"]


def test_a_language_without_its_own_catalog_uses_its_base_language(catalogs):
    catalogs("es", 'msgid "Skip"\nmsgstr "Omitir"\n')
    assert translator("es_MX").t("Skip") == "Omitir"
    assert translator("fr").t("Skip") == "Skip"  # none at all: the msgid (English)


# The translator ---------------------------------------------------------------------------------

def test_t_fills_named_placeholders_after_translating():
    es = translator("es")
    assert es.t("Sorry, /{name} is only for campaign moderators.", name="stats") == (
        "Lo siento, /stats es solo para el equipo de moderación de la campaña.")
    assert translator("en").t("Not in any catalog {x}", x=1) == "Not in any catalog 1"
    assert es.t("") == ""  # never the catalog's header


def test_spans_keep_a_span_where_the_translation_puts_it():
    from bot.core import Link

    link = Link("https://example.org", "https://example.org")
    assert translator("es").spans("More: {website}", website=link) == ["Más información: ",
                                                                       link]
    assert translator("en").spans("{a} and {b}!", a="x", b=3) == ["x and 3!"]


def test_problems_are_explained_in_the_persons_language():
    problem = Problem("That is too long: at most {limit} characters.", limit=100)
    assert str(problem) == "That is too long: at most 100 characters."
    assert translator("es").explain(problem) == "Es demasiado largo: como máximo 100 caracteres."
    assert translator("es").explain(ValueError("plain")) == "plain"


def test_config_text_gives_each_language_its_version():
    text = Text("Sign here", {"en": "Sign here", "es": "Firma aquí"})
    assert (translator("es").text(text), translator("en").text(text)) == ("Firma aquí",
                                                                         "Sign here")
    assert translator("es").text(Text("#EyesOnAmazon")) == "#EyesOnAmazon"  # the same in all
    assert translator("es").text("plain str") == "plain str"


# Negotiation ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("platform", "expected"), [
    ("es", "es"), ("es-419", "es"), ("es-ES", "es"), ("es_MX", "es"), ("ES", "es"),
    ("en-US", "en"), ("en-GB", "en"), ("pt-br", "en"), ("fr", "en"), ("", "en"), (None, "en"),
    ("not a locale!", "en"),
])
def test_the_platform_locale_picks_the_closest_configured_language(platform, expected):
    assert negotiate(platform, ("en", "es")) == expected


def test_nothing_close_gets_the_first_configured_language():
    assert negotiate("pt-br", ("es", "en")) == "es"
    assert negotiate("en-US", ("es",)) == "es"


def test_a_configured_regional_variant_is_close_to_its_language():
    assert [negotiate(code, ("en", "es_MX")) for code in ("es", "es-419", "es-MX", "en-US")] == [
        "es_MX", "es_MX", "es_MX", "en"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("es", "es"), (" ES ", "es"), ("es-MX", "es"), ("Español", "es"), ("español", "es"),
    ("english", "en"), ("fr", None), ("", None), ("e", None),
])
def test_a_typed_language_choice(typed, expected):
    assert pick_language(typed, ("en", "es")) == expected


# Formatting -------------------------------------------------------------------------------------

NY = ZoneInfo("America/New_York")


def test_numbers_lists_and_dates_follow_the_language():
    en, es = translator("en"), translator("es")
    assert (en.number(60000), es.number(60000)) == ("60,000", "60.000")
    assert (en.join(["a", "b", "c"]), es.join(["a", "b", "c"])) == ("a, b, and c", "a, b y c")
    assert (en.day(date(2027, 6, 10)), es.day(date(2027, 6, 10))) == (
        "Thu 10 Jun 2027", "jue, 10 jun 2027")
    at = datetime(2027, 6, 10, 23, 0, tzinfo=UTC)
    assert es.moment(at, NY) == "jue, 10 jun 2027, 19:00 EDT"
    assert es.span(at, at + timedelta(hours=1), NY) == "jue, 10 jun 2027, 19:00–20:00 EDT"


def test_durations_use_the_languages_units_and_plurals():
    en, es = translator("en"), translator("es")
    assert [en.duration(timedelta(days=d, hours=h)) for d, h in ((12, 3), (1, 1), (2, 0))] == [
        "12 days and 3 hours", "1 day and 1 hour", "2 days and 0 hours"]
    assert [es.duration(timedelta(days=d, hours=h)) for d, h in ((12, 3), (1, 1), (0, 5))] == [
        "12 días y 3 horas", "1 día y 1 hora", "5 horas"]
    assert (en.duration(timedelta(minutes=5)), es.duration(timedelta(minutes=5))) == (
        "less than an hour", "menos de una hora")


def test_timefmt_takes_the_locale_and_keeps_english_as_it_was():
    from bot import timefmt

    at = datetime(2027, 6, 7, 23, 0, tzinfo=UTC)
    assert timefmt.moment(at, NY) == "Mon 7 Jun 2027, 19:00 EDT"
    assert timefmt.moment(at, NY, "es") == "lun, 7 jun 2027, 19:00 EDT"
    assert timefmt.day(date(2027, 9, 3), "es") == "vie, 3 sept 2027"

"""`[campaign] languages` and content in several languages: every content string may be a plain
string (the same in every language) or a table keyed by language code; `check` names each key a
configured language lacks. Built like tests/test_config.py: the shipped config's dict, mutated,
through `parse`; the format is the issue's, written as TOML where it matters."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, load, parse
from bot.i18n import Text
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parent.parent
# An English-only config, as every campaign's was before languages (the shipped config.toml was
# this before its Spanish was added): what "configs without languages keep working" is about.
ENGLISH_ONLY = ROOT / "tests" / "data" / "config_en.toml"
SHIPPED_DATA = tomllib.loads(ENGLISH_ONLY.read_text(encoding="utf-8"))

TITLE_ES = "Amazon: deja de vender vigilancia a la policía y a ICE, para siempre"
# The issue's own format: an inline table, and a sub-table whose keys are the languages.
TITLE = (f'title = {{ en = "Amazon: stop selling surveillance to police and ICE, permanently",'
         f' es = "{TITLE_ES}" }}')
TEXT = '''
[petition.text]
en = """
Amazon's moratorium is a pause, \\
not a ban."""
es = """
La moratoria de Amazon es una pausa, \\
no una prohibición."""

'''


def bilingual_toml() -> str:
    """The English-only config with `languages = ["en", "es"]` and the petition's title and
    text in both languages, written as the issue shows."""
    text = ENGLISH_ONLY.read_text(encoding="utf-8")
    start = text.index('text = """', text.index("[petition]"))
    text = text[:start] + text[text.index('"""', start + 10) + 4:]  # the English-only text
    text = text.replace(
        'title = "Amazon: stop selling surveillance to police and ICE, permanently"', TITLE)
    text = text.replace("# The Week of Action", TEXT + "# The Week of Action", 1)
    return text.replace('website = "https://mediajustice.org/eyesonamazon/"',
                        'website = "https://mediajustice.org/eyesonamazon/"\n'
                        'languages = ["en", "es"]')


@pytest.fixture
def data() -> dict:
    data = copy.deepcopy(SHIPPED_DATA)
    data["campaign"]["languages"] = ["en", "es"]
    return data


def refused(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(data, ROOT)
    return caught.value.problems


def both(data: dict, section: str, key: str, es: str, index: int | None = None) -> None:
    """Turn one content string into a table {en: as it was, es: `es`}."""
    table = data[section] if index is None else data[section][index]
    table[key] = {"en": table[key], "es": es}


def test_a_config_without_languages_works_as_before():
    data = copy.deepcopy(SHIPPED_DATA)
    config = parse(data, ROOT)
    assert config.languages == ("en",)
    assert config.petition.title == SHIPPED_DATA["petition"]["title"]
    assert isinstance(config.petition.title, Text) and config.petition.title.versions == {}
    assert config.petition.title.get("es") == config.petition.title  # the same everywhere


def test_content_tables_in_the_issues_format(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(bilingual_toml(), encoding="utf-8")
    config = load(path)
    title, body = config.petition.title, config.petition.text
    assert config.languages == ("en", "es")
    assert title.startswith("Amazon: stop selling") and title.get("es") == TITLE_ES
    assert body == "Amazon's moratorium is a pause, not a ban."
    assert body.get("es") == "La moratoria de Amazon es una pausa, no una prohibición."


def test_every_content_field_may_be_a_table(data):
    both(data, "campaign", "summary", "Resumen")
    both(data, "campaign", "donate_text", "Dona")
    both(data, "petition", "consent_text", "Consentimiento")
    both(data, "events", "title", "Llamada de apertura", index=0)
    both(data, "events", "description", "Abre la Semana de Acción", index=0)
    both(data, "actions", "text", "Firma la petición", index=0)
    both(data, "prompts", "fallback_action", "Comparte la petición")
    data["prompts"]["closing_message"] = {"en": "Thanks!", "es": "¡Gracias!"}
    config = parse(data, ROOT)
    assert [config.campaign.summary.get("es"), config.campaign.donate_text.get("es"),
            config.petition.consent_text.get("es"), config.events[0].title.get("es"),
            config.events[0].description.get("es"), config.actions[0].text.get("es"),
            config.prompts.fallback_action.get("es"), config.prompts.closing_message.get("es"),
            ] == ["Resumen", "Dona", "Consentimiento", "Llamada de apertura",
                  "Abre la Semana de Acción", "Firma la petición", "Comparte la petición",
                  "¡Gracias!"]
    assert config.prompts.closing_message == "Thanks!"  # str: the default language's


def test_a_plain_string_is_the_same_in_every_language(data):
    config = parse(data, ROOT)
    assert config.campaign.name.get("es") == "#EyesOnAmazon"


def test_the_default_closing_message_comes_translated():
    config = parse(copy.deepcopy(SHIPPED_DATA), ROOT)
    assert config.prompts.closing_message.startswith("The countdown is over.")
    assert config.prompts.closing_message.get("es").startswith("La cuenta regresiva terminó.")


def test_the_first_language_is_the_default(data):
    data["campaign"]["languages"] = ["es", "en"]
    both(data, "petition", "title", TITLE_ES)
    assert parse(data, ROOT).petition.title == TITLE_ES


def test_each_missing_version_is_named_on_its_own_line(data):
    data["petition"]["text"] = {"en": "The text"}
    data["events"][1]["title"] = {"es": "Taller"}
    data["actions"][2]["text"] = {"en": "Act", "es": "Actúa", "fr": "Agis"}
    assert refused(data) == [
        'petition.text: no "es" version',
        'events[2].title: no "en" version',
        'actions[3].text: "fr" is not one of campaign.languages',
    ]


def test_a_table_in_a_config_without_languages_names_the_language():
    data = copy.deepcopy(SHIPPED_DATA)
    data["petition"]["title"] = {"en": "Title", "es": TITLE_ES}
    assert refused(data) == ['petition.title: "es" is not one of campaign.languages']


@pytest.mark.parametrize(("value", "problem"), [
    ({"en": "", "es": "x"}, "petition.title: the 'en' version must be a non-empty string"),
    ({"en": "x", "es": 3}, "petition.title: the 'es' version must be a non-empty string"),
    ({}, "petition.title: must be a string, or a table of one string per language"),
    ("", "petition.title: must not be empty"),
])
def test_bad_content_is_refused_naming_the_key(data, value, problem):
    data["petition"]["title"] = value
    assert refused(data) == [problem]


@pytest.mark.parametrize(("languages", "problem"), [
    (["en", "xx"], "campaign.languages: 'xx' is not a known language code"),
    (["en", "fr"], ("campaign.languages: no translation of the bot into 'fr' yet: add "
                    "bot/locales/fr/LC_MESSAGES/bot.po")),
    (["en", "en"], "campaign.languages: 'en' is listed twice"),
    ([], "campaign.languages: list at least one language (the first is the default)"),
])
def test_languages_must_be_known_and_translated(data, languages, problem):
    data["campaign"]["languages"] = languages
    problems = refused(data)
    assert problems[0].startswith(problem), problems


def test_a_regional_variant_uses_its_base_languages_catalog(data):
    data["campaign"]["languages"] = ["en", "es-MX"]
    both(data, "petition", "title", TITLE_ES)
    data["petition"]["title"]["es_MX"] = data["petition"]["title"].pop("es")
    config = parse(data, ROOT)
    assert config.languages == ("en", "es_MX")
    assert config.petition.title.get("es_MX") == TITLE_ES


def test_check_fails_naming_the_missing_version(workdir):
    path = workdir / "config.toml"
    text = bilingual_toml()
    path.write_text(text.replace('es = """\nLa moratoria', 'fr = """\nLa moratoria'),
                    encoding="utf-8")
    result = invoke(workdir, "check")
    assert result.returncode == 2, result.stdout
    assert result.stderr.splitlines() == ['petition.text: no "es" version',
                                          'petition.text: "fr" is not one of campaign.languages']
    path.write_text(text, encoding="utf-8")
    result = invoke(workdir, "check")
    assert result.returncode == 0, result.stderr
    assert "Languages:  en (default), es" in result.stdout

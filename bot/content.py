"""Campaign content in config.toml, in every configured language.

Every content string may be a plain string (the same in every language) or a table keyed by
language code (`title = { en = "...", es = "..." }`, or a `[petition.text]` table whose `en`
and `es` keys hold multi-line strings). Either becomes an i18n.Text: a str that is the default
language's version, so every consumer that knows nothing of languages keeps working, carrying
the others.
The whole config is then checked at once (`missing_versions`): a table must have a version for
each configured language and no other, each problem on its own line naming the key.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, PlainValidator, ValidationInfo

from .i18n import DEFAULT, Text, has_catalog, parse_locale


def language_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    """`[campaign] languages`: known locales, each with a catalog, once each; "-" is read as
    "_" (es-MX -> es_MX, as the catalogs' folders are named)."""
    if not codes:
        raise ValueError("list at least one language (the first is the default)")
    problems, clean = [], []
    for code in codes:
        normal = code.replace("-", "_")
        try:
            parse_locale(normal)
        except ValueError as exc:
            problems.append(f"{exc} (use one like \"en\", \"es\" or \"pt_BR\")")
            continue
        if not has_catalog(normal):
            problems.append(f"no translation of the bot into {code!r} yet: add "
                            f"bot/locales/{normal}/LC_MESSAGES/bot.po")
        if normal in clean:
            problems.append(f"{code!r} is listed twice")
        clean.append(normal)
    if problems:
        raise ValueError("\n".join(problems))
    return tuple(clean)


def _content(value: Any, info: ValidationInfo, *, empty: bool) -> Text:
    if isinstance(value, str):
        if not value and not empty:
            raise ValueError("must not be empty")
        return Text(value)
    if not isinstance(value, dict) or not value:
        raise ValueError("must be a string, or a table of one string per language")
    versions = {}
    for code, text in value.items():
        if not isinstance(text, str) or not (text or empty):
            raise ValueError(f"the {code!r} version must be a non-empty string")
        versions[code.replace("-", "_")] = text
    languages = (info.context or {}).get("languages") or (DEFAULT,)
    # The default's version is the str value; missing, any (missing_versions reports it).
    return Text(versions.get(languages[0], next(iter(versions.values()))), versions)


# A content field: a non-empty string or table (Content), or one that may be empty.
Content = Annotated[str, PlainValidator(lambda v, info: _content(v, info, empty=False))]
MaybeContent = Annotated[str, PlainValidator(lambda v, info: _content(v, info, empty=True))]


def at_most(limit: int) -> PlainValidator:
    """Content (may be empty) whose every version fits a platform's limit, in characters."""
    def check(value: Any, info: ValidationInfo) -> Text:
        text = _content(value, info, empty=True)
        for code, version in (text.versions or {"": str(text)}).items():
            if len(version) > limit:
                which = f'the "{code}" version' if code else "it"
                raise ValueError(f"at most {limit} characters: {which} has {len(version)}")
        return text

    return PlainValidator(check)


def missing_versions(model: BaseModel, languages: tuple[str, ...], where: str = "") -> list[str]:
    """One line per content table that lacks a configured language (`petition.text: no "es"
    version`) or has one that is not configured; entries counted from 1, as errors are."""
    problems = []
    for name in type(model).model_fields:
        value, key = getattr(model, name), f"{where}.{name}" if where else name
        items = ([(f"{key}[{i}]", item) for i, item in enumerate(value, start=1)]
                 if isinstance(value, tuple) else [(key, value)])
        for path, item in items:
            if isinstance(item, BaseModel):
                problems += missing_versions(item, languages, path)
            elif isinstance(item, Text) and item.versions:
                problems += [f'{path}: no "{code}" version' for code in languages
                             if code not in item.versions]
                problems += [f'{path}: "{code}" is not one of campaign.languages'
                             for code in item.versions if code not in languages]
    return problems

"""config.toml -> validated, frozen settings. Every problem is reported on its own line, naming the
key (`events[2].ends_at: ...`, entries counted from 1 in file order), before anything starts.

Tokens never live here: they come from TELEGRAM_BOT_TOKEN and DISCORD_BOT_TOKEN only.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .config_errors import format_errors
from .content import Content, MaybeContent, at_most, language_codes, missing_versions
from .i18n import N_, CatalogText
from .validation import increasing, is_hhmm, is_timezone

DEFAULT_CONFIG = "config.toml"
EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_URL = TypeAdapter(HttpUrl)


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _timezone(name: str) -> str:
    # The same list /settings accepts: IANA names only, not `localtime` (whatever zone the host
    # happens to be in) or `Factory`, which ZoneInfo would load.
    if not is_timezone(name):
        raise ValueError(f"unknown timezone {name!r} (use an IANA name such as Europe/London)")
    return name


def _url(value: str) -> str:
    if not re.match(r"^https?://", value) or re.search(r"\s", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    _URL.validate_python(value)  # raises on a malformed host, port or path
    return value


def _hhmm(value: str) -> str:
    if not is_hhmm(value):  # the same pattern as stored send times (bot/validation.py)
        raise ValueError(f"{value!r} is not a time as HH:MM (00:00-23:59)")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}")
    return value


NonEmpty = Annotated[str, Field(min_length=1)]
Url = Annotated[str, AfterValidator(_url)]
TimeOfDay = Annotated[str, AfterValidator(_hhmm)]
Timezone = Annotated[str, AfterValidator(_timezone)]
Moment = Annotated[AwareDatetime, Field(strict=False)]  # TOML datetimes or ISO 8601 strings
Day = Annotated[date, Field(strict=False)]
Many = Field(strict=False)  # TOML arrays arrive as lists; items stay strict
FieldMode = Literal["required", "optional", "off"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Campaign(Section):
    name: Content
    organisation: Content
    summary: Content
    # The campaign's ask in one line, the welcome's first (/start); "": the petition's title.
    ask: MaybeContent = ""
    timezone: Timezone
    deadline: Moment
    deadline_label: Content
    deadline_text: MaybeContent = ""
    donate_url: Url
    donate_text: Content
    website: Url
    # The languages the bot speaks; the first is the default (bot/i18n.py, bot/content.py).
    languages: Annotated[tuple[str, ...], Many, AfterValidator(language_codes)] = ("en",)


class Petition(Section):
    title: Content
    text: Content
    target: Content
    consent_text: Content
    consent_version: NonEmpty
    # When the consent_version's wording took effect (a date): exported with the mailing list.
    consent_version_date: Day | None = None
    name: FieldMode = "required"
    email: FieldMode = "required"
    postcode: FieldMode = "off"
    postcode_pattern: Annotated[str, AfterValidator(_regex)] = r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$"
    # Signature counts celebrated once each; `goal` (the number aimed for) is one too.
    milestones: Annotated[tuple[int, ...], Many, AfterValidator(increasing)] = (
        100, 250, 500, 1000, 2500, 5000, 10000)
    goal: Annotated[int, Field(gt=0)] | None = None

    def aim(self, total: int) -> tuple[int, bool] | None:
        """What a count of `total` signatures is measured against (the panel, the chart):
        (the goal, True); without a goal, (the next milestone not yet reached, False); None
        once past every milestone."""
        if self.goal is not None:
            return self.goal, True
        ahead = [m for m in self.milestones if m > total]
        return (ahead[0], False) if ahead else None


class Event(Section):
    id: Annotated[str, Field(pattern=EVENT_ID.pattern)]
    title: Content
    starts_at: Moment
    ends_at: Moment
    location: MaybeContent = ""
    url: Url | None = None
    description: MaybeContent = ""

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and value <= starts:
            raise ValueError("must be after starts_at")
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> Event:
        if not self.location and not self.url:
            raise ValueError("an event needs a location or a url")
        return self


class Action(Section):
    date: Day
    text: Content
    url: Url | None = None


class Prompts(Section):
    send_at: TimeOfDay = "09:00"
    fallback_action: Content
    # A prompt missed while the bot was down goes out on restart if it is less late than this.
    catch_up_hours: Annotated[float, Field(strict=False, gt=0, le=24)] = 3
    closing_message: Content = CatalogText(N_(
        "The countdown is over. Thank you for taking action every day: we'll be in touch about "
        "what comes next."))


class Reminders(Section):
    day_before_at: TimeOfDay = "18:00"  # campaign timezone, the day before each event
    morning_at: TimeOfDay = "08:00"  # campaign timezone, the morning of the event


class Moderators(Section):
    telegram_user_ids: Annotated[tuple[int, ...], Many] = ()
    discord_user_ids: Annotated[tuple[int, ...], Many] = ()
    discord_role_ids: Annotated[tuple[int, ...], Many] = ()


class Storage(Section):
    path: NonEmpty = "campaign.db"


class Telegram(Section):
    base_url: Url = "https://api.telegram.org/bot"
    # Telegram: about 30 messages per second overall; we stay below it by default.
    broadcast_rate: Annotated[float, Field(strict=False, gt=0, le=1000)] = 25
    # The bot's profile text, set at each start per language (empty: left as BotFather set it).
    description: Annotated[str, at_most(512)] = ""  # the empty chat's "What can this bot do?"
    short_description: Annotated[str, at_most(120)] = ""  # its profile page and shared links
    # The bot's @username without the @, for `python -m bot link` (no network call there);
    # empty: that command refuses, naming this key.
    username: Annotated[str, Field(pattern=r"^(|[A-Za-z][A-Za-z0-9_]{4,31})$")] = ""


class Discord(Section):
    api_base_url: Url = "https://discord.com/api/v10"
    gateway_url: Annotated[str, Field(pattern=r"^wss?://\S+$")] = "wss://gateway.discord.gg/"
    # Servers to sync slash commands to at once; empty: global commands (which Discord may
    # take up to an hour to show everywhere).
    guild_ids: Annotated[tuple[int, ...], Many] = ()
    broadcast_rate: Annotated[float, Field(strict=False, gt=0, le=1000)] = 5  # DMs per second
    # Discord bans an IP after 10,000 invalid requests in 10 minutes: pause well before that.
    invalid_request_budget: Annotated[int, Field(gt=0, le=9000)] = 1000
    # The server's invite link, shown by /invite with the code to sign with there (optional).
    invite_url: Url | None = None


class Config(Section):
    campaign: Campaign
    petition: Petition
    events: Annotated[tuple[Event, ...], Many] = ()
    actions: Annotated[tuple[Action, ...], Many] = ()
    prompts: Prompts
    reminders: Reminders = Reminders()
    moderators: Moderators = Moderators()
    storage: Storage = Storage()
    telegram: Telegram = Telegram()
    discord: Discord = Discord()

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        problems = _duplicates("events", "id", [e.id for e in self.events])
        problems += _duplicates("actions", "date", [a.date for a in self.actions])
        problems += missing_versions(self, self.campaign.languages)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def languages(self) -> tuple[str, ...]:
        return self.campaign.languages

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.campaign.timezone)

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)


def _duplicates(section: str, key: str, values: list) -> list[str]:
    seen, problems = set(), []
    for index, value in enumerate(values, start=1):
        if value in seen:
            problems.append(f"{section}[{index}].{key}: duplicate {key} {str(value)!r}")
        seen.add(value)
    return problems


def parse(data: dict, base_dir: Path) -> Config:
    # Content tables take the default language's version as their str value: the validators
    # need the languages before [campaign] itself is validated.
    campaign = data.get("campaign")
    languages = campaign.get("languages") if isinstance(campaign, dict) else None
    if not (isinstance(languages, list) and languages
            and all(isinstance(code, str) for code in languages)):
        languages = ["en"]
    try:
        config = Config.model_validate(
            data, context={"languages": [code.replace("-", "_") for code in languages]})
    except ValidationError as exc:
        raise ConfigError(format_errors(exc)) from None
    db = Path(config.storage.path)
    if not db.is_absolute():  # relative to the config file, not to wherever the bot was started
        db = base_dir / db
    return config.model_copy(update={"storage": Storage(path=str(db))})


def load(path: str | Path = DEFAULT_CONFIG) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    return parse(data, path.resolve().parent)

"""config.toml -> Config: the shipped seed config loads, and every bad config is refused with one
line per problem that names the key (`events[2].ends_at: ...`, entries counted from 1).

Bad configs are built by mutating the shipped config's dict and calling `parse` directly (the
same path `load` takes after tomllib); only TOML-syntax cases are written out as files.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from pydantic import ValidationError

from bot.config import Config, ConfigError, load, parse

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config.toml"
SHIPPED_DATA = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


@pytest.fixture
def data() -> dict:
    """A fresh, mutable copy of the shipped config as tomllib returns it (arrays are lists)."""
    return copy.deepcopy(SHIPPED_DATA)


def refused(data: dict, base_dir: Path = ROOT) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(data, base_dir)
    problems = caught.value.problems
    assert str(caught.value) == "\n".join(problems)
    return problems


def keys(problems: list[str]) -> list[str]:
    """The key each problem line names: everything before the first ': '."""
    return [line.split(": ", 1)[0] for line in problems]


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped config ------------------------------------------------------------------------


def test_shipped_config_loads():
    config = load(SHIPPED)
    assert isinstance(config, Config)
    assert config.campaign.name == "#EyesOnAmazon"
    assert config.campaign.timezone == "America/New_York"
    assert config.storage.path == str(ROOT / "campaign.db")


def test_shipped_config_matches_the_campaign_plan():
    config = load(SHIPPED)
    edt = timezone(timedelta(hours=-4))
    assert config.campaign.deadline == datetime(2027, 6, 10, 12, 0, tzinfo=edt)
    assert config.petition.consent_version == "2027-01"
    assert (config.petition.name, config.petition.email, config.petition.postcode) == (
        "required",
        "optional",
        "optional",
    )
    assert config.moderators.telegram_user_ids == ()

    # Week of Action: one event a day, June 7-11, each online or somewhere.
    assert [e.id for e in config.events] == ["day1", "day2", "day3", "day4", "day5"]
    assert [e.starts_at.astimezone(config.zone).date() for e in config.events] == [
        date(2027, 6, day) for day in range(7, 12)
    ]
    assert all(e.url or e.location for e in config.events)

    # A daily action for each of the ten days up to and including the deadline.
    dates = {a.date for a in config.actions}
    assert {date(2027, 6, day) for day in range(1, 11)} <= dates


@pytest.mark.parametrize(
    ("postcode", "ok"),
    [("02139", True), ("02139-4307", True), ("2139", False), ("SW1A 1AA", False), ("", False)],
)
def test_shipped_postcode_pattern_is_a_us_zip(postcode, ok):
    import re

    pattern = load(SHIPPED).petition.postcode_pattern
    assert bool(re.match(pattern, postcode)) is ok


# --- one problem, one line naming the key -------------------------------------------------------


def _set(*path, value) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        *parents, last = path
        for part in parents:
            data = data[part]
        data[last] = value

    return mutate


def _pop(*path) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        *parents, last = path
        for part in parents:
            data = data[part]
        del data[last]

    return mutate


def _ends_before_start(data: dict) -> None:
    event = data["events"][1]
    event["ends_at"] = event["starts_at"] - timedelta(hours=1)


def _ends_at_start(data: dict) -> None:
    event = data["events"][2]
    event["ends_at"] = event["starts_at"]


def _duplicate_event_id(data: dict) -> None:
    data["events"][2]["id"] = data["events"][0]["id"]


def _duplicate_action_date(data: dict) -> None:
    data["actions"][3]["date"] = data["actions"][1]["date"]


def _nowhere(data: dict) -> None:
    event = data["events"][1]
    event.pop("url", None)
    event.pop("location", None)


CASES = [
    # (id, mutation, the key named, a fragment of the message)
    ("unknown top-level table", _set("colour", value={"x": 1}), "colour", "unknown key"),
    ("unknown key in a section", _set("campaign", "colour", value="red"), "campaign.colour",
     "unknown key"),
    ("unknown key in an event", _set("events", 0, "colour", value="red"), "events[1].colour",
     "unknown key"),
    ("name is a number", _set("campaign", "name", value=5), "campaign.name", "string"),
    ("moderator id is a string", _set("moderators", "telegram_user_ids", value=["12"]),
     "moderators.telegram_user_ids[1]", "integer"),
    ("moderator ids not an array", _set("moderators", "discord_role_ids", value=12),
     "moderators.discord_role_ids", ""),
    ("field mode", _set("petition", "email", value="yes"), "petition.email", "required"),
    ("unknown timezone", _set("campaign", "timezone", value="Mars/Olympus_Mons"),
     "campaign.timezone", "unknown timezone"),
    # A zone *directory*: ZoneInfo raises IsADirectoryError, not ZoneInfoNotFoundError.
    ("timezone is a zone directory", _set("campaign", "timezone", value="America"),
     "campaign.timezone", "unknown timezone"),
    ("deadline ISO string without offset",
     _set("campaign", "deadline", value="2027-06-10T12:00:00"), "campaign.deadline",
     "UTC offset"),
    ("event start ISO string without offset",
     _set("events", 0, "starts_at", value="2027-06-07T19:00:00"), "events[1].starts_at",
     "UTC offset"),
    ("deadline is a date", _set("campaign", "deadline", value=date(2027, 6, 10)),
     "campaign.deadline", ""),
    ("event ends before it starts", _ends_before_start, "events[2].ends_at",
     "must be after starts_at"),
    ("event ends as it starts", _ends_at_start, "events[3].ends_at", "must be after starts_at"),
    ("duplicate event id", _duplicate_event_id, "events[3].id", "duplicate id 'day1'"),
    ("duplicate action date", _duplicate_action_date, "actions[4].date",
     "duplicate date '2027-06-02'"),
    ("event id with capitals", _set("events", 0, "id", value="Day1"), "events[1].id", ""),
    ("event id too long", _set("events", 0, "id", value="d" * 33), "events[1].id", ""),
    ("donate_url not a url", _set("campaign", "donate_url", value="not a url"),
     "campaign.donate_url", "not an http(s) URL"),
    ("donate_url without host", _set("campaign", "donate_url", value="https://"),
     "campaign.donate_url", "URL"),
    ("website not http(s)", _set("campaign", "website", value="ftp://mediajustice.org/"),
     "campaign.website", "not an http(s) URL"),
    ("optional event url malformed", _set("events", 0, "url", value="https://"),
     "events[1].url", "URL"),
    ("optional action url malformed", _set("actions", 0, "url", value="not a url"),
     "actions[1].url", "not an http(s) URL"),
    ("telegram base_url", _set("telegram", value={"base_url": "api.telegram.org"}),
     "telegram.base_url", "not an http(s) URL"),
    ("discord gateway_url", _set("discord", value={"gateway_url": "https://gateway.discord.gg"}),
     "discord.gateway_url", ""),
    ("send_at 9am", _set("prompts", "send_at", value="9am"), "prompts.send_at", "HH:MM"),
    ("send_at 24:00", _set("prompts", "send_at", value="24:00"), "prompts.send_at", "HH:MM"),
    ("send_at trailing newline", _set("prompts", "send_at", value="09:00\n"), "prompts.send_at",
     "HH:MM"),
    ("event with neither location nor url", _nowhere, "events[2]",
     "needs a location or a url"),
    ("postcode_pattern not a regex", _set("petition", "postcode_pattern", value="^(\\d{5}$"),
     "petition.postcode_pattern", "regular expression"),
    ("empty required text", _set("petition", "title", value=""), "petition.title", ""),
    ("missing required key", _pop("campaign", "name"), "campaign.name",
     "required key is missing"),
    ("missing required key in an event", _pop("events", 4, "starts_at"), "events[5].starts_at",
     "required key is missing"),
    ("missing required table", _pop("prompts"), "prompts", "required key is missing"),
]


@pytest.mark.parametrize(("mutate", "key", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_bad_value_is_refused_with_one_line_naming_the_key(data, mutate, key, fragment):
    mutate(data)
    problems = refused(data)
    assert keys(problems) == [key], problems
    assert fragment in problems[0]


def test_several_problems_give_several_lines(data):
    data["campaign"]["timezone"] = "Nowhere/Special"
    data["campaign"]["colour"] = "red"
    data["petition"]["name"] = 5
    _ends_before_start(data)
    data["prompts"]["send_at"] = "9am"
    data["moderators"]["discord_user_ids"] = [1, "2", 3, "4"]
    problems = refused(data)
    assert sorted(keys(problems)) == sorted([
        "campaign.timezone",
        "campaign.colour",
        "petition.name",
        "events[2].ends_at",
        "prompts.send_at",
        "moderators.discord_user_ids[2]",
        "moderators.discord_user_ids[4]",
    ]), problems


def test_duplicates_are_each_reported(data):
    _duplicate_event_id(data)
    data["events"][3]["id"] = "day1"
    _duplicate_action_date(data)
    problems = refused(data)
    assert keys(problems) == ["events[3].id", "events[4].id", "actions[4].date"], problems


def test_a_valid_change_is_accepted(data):
    """The mutations above fail for the reason they name, not because the dict is odd."""
    data["campaign"]["deadline"] = "2027-06-10T16:00:00+00:00"  # ISO strings with offset are fine
    data["actions"][0]["date"] = "2027-06-01"
    data["moderators"]["telegram_user_ids"] = [123456789]
    data["events"][0].pop("url")
    data["events"][0]["location"] = "Online and in person"
    config = parse(data, ROOT)
    assert config.campaign.deadline == load(SHIPPED).campaign.deadline
    assert config.moderators.telegram_user_ids == (123456789,)
    assert config.actions[0].date == date(2027, 6, 1)


# --- TOML syntax and files ----------------------------------------------------------------------


SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")


def test_toml_local_datetime_is_refused(tmp_path):
    line = "deadline = 2027-06-10T12:00:00-04:00"
    assert SHIPPED_TEXT.count(line) == 1
    path = write(tmp_path, SHIPPED_TEXT.replace(line, "deadline = 2027-06-10T12:00:00"))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert keys(caught.value.problems) == ["campaign.deadline"]
    assert "UTC offset" in caught.value.problems[0]


def test_toml_local_datetime_in_an_event_is_refused(tmp_path):
    line = "ends_at = 2027-06-09T13:00:00-04:00"
    assert SHIPPED_TEXT.count(line) == 1
    path = write(tmp_path, SHIPPED_TEXT.replace(line, "ends_at = 2027-06-09T13:00:00"))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert keys(caught.value.problems) == ["events[3].ends_at"]


def test_invalid_toml_is_refused(tmp_path):
    path = write(tmp_path, '[campaign\nname = "#EyesOnAmazon"\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path}: not valid TOML")


def test_a_duplicate_toml_key_is_invalid_toml(tmp_path):
    path = write(tmp_path, SHIPPED_TEXT.replace('[prompts]\n', '[prompts]\nsend_at = "08:00"\n'))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path}: not valid TOML")


def test_a_missing_file_is_refused(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.problems == [f"{path}: config file not found"]


def test_an_empty_file_names_each_missing_table(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, ""))
    assert sorted(keys(caught.value.problems)) == ["campaign", "petition", "prompts"]


# --- storage.path -------------------------------------------------------------------------------


def test_relative_storage_path_resolves_next_to_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "deploy"
    folder.mkdir()
    write(folder, SHIPPED_TEXT.replace('path = "campaign.db"', 'path = "data/bot.db"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load(Path("..") / "deploy" / "config.toml")
    assert Path(config.storage.path) == folder.resolve() / "data" / "bot.db"
    assert Path(config.storage.path).is_absolute()


def test_storage_path_defaults_next_to_the_config_file(data, tmp_path):
    del data["storage"]
    assert parse(data, tmp_path).storage.path == str(tmp_path / "campaign.db")


def test_absolute_storage_path_is_kept(data, tmp_path):
    db = tmp_path / "somewhere" / "campaign.db"
    data["storage"]["path"] = str(db)
    assert parse(data, ROOT).storage.path == str(db)


def test_config_is_frozen():
    config = load(SHIPPED)
    name = config.campaign.name
    with pytest.raises(ValidationError, match="Instance is frozen"):
        config.campaign.name = "changed"  # type: ignore[misc]
    assert config.campaign.name == name

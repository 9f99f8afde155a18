"""The operator's view: `python -m bot ...` as the README shows it. What only a process shows
(its exit status and output when the shell runs it, standard input from a pipe, the run
command's fallback to the console) runs in a subprocess; what a command does runs through the
same entry point in this process (tests/support/cli.py)."""

from __future__ import annotations

import csv
import sqlite3

from tests.support.cli import SIGN_SCRIPT, invoke, run


def test_piped_console_signs_and_exits_at_end_of_input(workdir):
    result = run(workdir, "console", "--name", "Grace", stdin=SIGN_SCRIPT + "/mydata\n")
    assert result.returncode == 0, result.stderr
    assert "You are signature #1" in result.stdout
    assert "Email: grace@example.org" in result.stdout
    assert "[1] Sign   [2] Sign and keep me updated" in result.stdout
    with sqlite3.connect(workdir / "campaign.db") as db:
        assert db.execute("SELECT name, wants_updates FROM signatures").fetchall() == [
            ("Grace Hopper", 1)]


def test_numbers_press_buttons_and_the_display_name_is_offered(workdir):
    result = invoke(workdir, "console", "--name", "Grace", stdin="/sign\n1\n1\nskip\n2\n")
    assert result.returncode == 0, result.stderr
    assert "[1] Use “Grace”" in result.stdout
    assert "Thank you, Grace! You are signature #1" in result.stdout
    assert "keep you updated" in result.stdout  # 2 pressed the second choice


def test_run_without_tokens_says_so_in_one_line_and_opens_the_console(workdir):
    result = run(workdir, stdin="/countdown\n")
    assert result.returncode == 0, result.stderr
    notice = [line for line in result.stderr.splitlines() if "TOKEN" in line]
    assert len(notice) == 1 and "console" in notice[0]
    assert "left until" in result.stdout or "passed" in result.stdout


def test_config_flag_works_before_and_after_the_subcommand(workdir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    config = str(workdir / "config.toml")
    for args in (("--config", config, "check"), ("check", "--config", config)):
        result = invoke(elsewhere, *args)
        assert result.returncode == 0, result.stderr
        assert "Config OK: #EyesOnAmazon" in result.stdout


def test_check_summarises_without_showing_tokens(workdir):
    result = invoke(workdir, "check", env={"TELEGRAM_BOT_TOKEN": "123:SECRET-TOKEN"})
    assert result.returncode == 0
    assert "Events:     5" in result.stdout
    assert "telegram token set" in result.stdout
    assert "SECRET-TOKEN" not in result.stdout + result.stderr


def test_bad_config_exits_non_zero_naming_each_key(workdir):
    path = workdir / "config.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('timezone = "America/New_York"', 'timezone = "Mars/Olympus"', 1)
    text = text.replace("[campaign]", "[campaign]\ncolour = \"red\"", 1)
    path.write_text(text, encoding="utf-8")
    for command in ((), ("console",), ("check",), ("backup", "x.db")):
        result = invoke(workdir, *command, stdin="/help\n")
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert any(line.startswith("campaign.timezone: unknown timezone") for line in lines)
        assert any(line.startswith("campaign.colour: unknown key") for line in lines)
        assert result.stdout == ""
    assert not (workdir / "campaign.db").exists()  # nothing started


def test_missing_config_file(tmp_path):
    result = run(tmp_path, "check")
    assert result.returncode == 2
    assert "config file not found" in result.stderr


def test_export_signatures_has_only_what_supporters_gave(workdir):
    invoke(workdir, "console", stdin=SIGN_SCRIPT)
    formula = "/sign\n=HYPERLINK(\"x\")\nSkip\n12345\nSign\n"
    invoke(workdir, "console", stdin=formula)  # same console user: already signed, no new row
    out = workdir / "signatures.csv"
    result = invoke(workdir, "export", "signatures", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Exported 1 signature to" in result.stdout
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows == [{
        "number": "1", "name": "Grace Hopper", "email": "grace@example.org", "postcode": "",
        "consent_choice": "sign and keep me updated", "consent_version": "2027-01",
        "platform": "console", "signed_at": rows[0]["signed_at"], "source": "direct",
        "referred": "no",
    }]
    assert rows[0]["signed_at"].endswith("+00:00")


def test_export_neutralises_spreadsheet_formulas(workdir):
    invoke(workdir, "console", stdin="/sign\n=HYPERLINK(\"http://x\")\nSkip\nSkip\nSign\n")
    out = workdir / "s.csv"
    assert invoke(workdir, "export", "signatures", "--out", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")"


def test_backup_copies_the_database(workdir):
    invoke(workdir, "console", stdin=SIGN_SCRIPT)
    result = invoke(workdir, "backup", "copy.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(workdir / "copy.db") as db:
        assert db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] == 1


def test_backup_and_export_refuse_when_there_is_no_database(workdir):
    assert invoke(workdir, "backup", "copy.db").returncode == 1
    assert invoke(workdir, "export", "signatures", "--out", "x.csv").returncode == 1
    assert not (workdir / "campaign.db").exists()


def test_moderator_console_sees_stats(workdir):
    result = invoke(workdir, "console", "--moderator", stdin=SIGN_SCRIPT + "/stats\n")
    assert "Signatures: 1 (today 1, last 7 days 1)" in result.stdout
    refused = invoke(workdir, "console", stdin="/stats\n")
    assert "only for campaign moderators" in refused.stdout

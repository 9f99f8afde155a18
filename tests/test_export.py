"""`python -m bot export mailing-list` (issue 8, item 12), through the operator's entry point
(bot.__main__.main, in this process: tests/support/cli.py): only the signers who asked to be
kept updated, owner-only, formulas neutralised; `export signatures` unchanged beside it."""

from __future__ import annotations

import asyncio
import csv
import stat
from datetime import UTC, datetime

from bot.storage import Storage
from tests.support.cli import SIGN_SCRIPT, invoke

CONSENT = "We store the name, email address and ZIP code you give us."


def seed(path) -> None:
    """Beside the console signer (Grace, updates, version 2027-01): four more signers."""
    async def sign() -> None:
        async with await Storage.open(path) as store:
            for user_id, name, email, updates, version in (
                ("11", "Ada Lovelace", "ada@example.com", False, "2027-01"),  # sign only
                ("12", "=HYPERLINK(\"x\")", "+1@example.com", True, "2027-01"),
                ("13", "Alan Turing", None, True, "2027-01"),  # updates, but no email
                ("14", "Katherine Johnson", "kj@example.com", True, "2026-06"),  # older text
            ):
                await store.sign("telegram", user_id, name=name, email=email, postcode="12345",
                                 wants_updates=updates, consent_text=CONSENT,
                                 consent_version=version,
                                 now=datetime(2027, 6, 2, 9, 0, tzinfo=UTC))

    asyncio.run(sign())


def dated(workdir) -> None:
    path = workdir / "config.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('consent_version = "2027-01"',
                        'consent_version = "2027-01"\nconsent_version_date = 2027-01-15', 1)
    path.write_text(text, encoding="utf-8")


def test_mailing_list_has_only_those_who_asked_for_updates(workdir):
    dated(workdir)
    assert invoke(workdir, "console", stdin=SIGN_SCRIPT).returncode == 0
    seed(workdir / "campaign.db")
    out = workdir / "mailing.csv"
    result = invoke(workdir, "export", "mailing-list", "--out", str(out), umask=0)

    assert result.returncode == 0, result.stderr
    assert "Exported 3 signers who asked for updates" in result.stdout
    assert "import only this file into an email tool" in result.stdout
    assert "Left out 1 who asked for updates but gave no email." in result.stdout
    assert oct(stat.S_IMODE(out.stat().st_mode)) == "0o600"
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["name", "email", "postcode", "signed_at", "consent_version",
                       "consent_version_date"]
    body = [row[:3] + row[4:] for row in rows[1:]]
    assert body == [
        ["Grace Hopper", "grace@example.org", "", "2027-01", "2027-01-15"],
        ["'=HYPERLINK(\"x\")", "'+1@example.com", "12345", "2027-01", "2027-01-15"],
        ["Katherine Johnson", "kj@example.com", "12345", "2026-06", ""],  # date not known
    ]
    assert rows[2][3] == "2027-06-02T09:00:00+00:00"
    assert "Ada Lovelace" not in out.read_text(encoding="utf-8")
    assert not list(workdir.glob("*.partial"))


def test_signatures_export_is_unchanged_beside_it(workdir):
    dated(workdir)
    assert invoke(workdir, "console", stdin=SIGN_SCRIPT).returncode == 0
    seed(workdir / "campaign.db")
    out = workdir / "signatures.csv"

    result = invoke(workdir, "export", "signatures", "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert "Exported 5 signatures" in result.stdout
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["number", "name", "email", "postcode", "consent_choice",
                             "consent_version", "platform", "signed_at", "source",
                             "referred"]
    assert [r["consent_choice"] for r in rows] == [
        "sign and keep me updated", "sign", "sign and keep me updated",
        "sign and keep me updated", "sign and keep me updated"]


def test_a_bad_consent_version_date_is_refused_naming_the_key(workdir):
    path = workdir / "config.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('consent_version = "2027-01"',
                                 'consent_version = "2027-01"\nconsent_version_date = "soon"',
                                 1), encoding="utf-8")

    result = invoke(workdir, "check")

    assert result.returncode == 2
    assert result.stderr.startswith("petition.consent_version_date:")

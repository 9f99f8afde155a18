"""`python -m bot chart` and `python -m bot export rsvps` (issue 13, "Organisers"), through the
operator's entry point in this process (tests/support/cli.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import stat
from datetime import UTC, datetime

import pytest
from matplotlib.image import imread

from bot.storage import Storage
from tests.support.cli import SIGN_SCRIPT, invoke

AT = datetime(2027, 6, 2, 9, 0, tzinfo=UTC)


def owner_only(path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.real_chart
def test_chart_writes_the_png_owner_only(workdir):
    assert invoke(workdir, "console", stdin=SIGN_SCRIPT).returncode == 0
    out = workdir / "growth.png"
    result = invoke(workdir, "chart", "--out", str(out), umask=0)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Chart of 1 signature written to {out}")
    assert owner_only(out)
    assert imread(io.BytesIO(out.read_bytes())).shape[:2] == (1500, 1080)
    assert not list(workdir.glob("*.partial"))


def test_chart_and_rsvp_export_refuse_without_a_database(workdir):
    for args in (("chart", "--out", "g.png"), ("export", "rsvps", "--out", "r.csv")):
        result = invoke(workdir, *args)
        assert result.returncode == 1
        assert "No database at" in result.stderr
    assert not (workdir / "g.png").exists() and not (workdir / "r.csv").exists()


def seed(path) -> None:
    """Grace (the console signer) and a signer named like a formula RSVP; 99 RSVPs unsigned."""
    async def go() -> None:
        async with await Storage.open(path) as store:
            await store.sign("telegram", "12", name="=HYPERLINK(\"x\")", email=None,
                             postcode=None, wants_updates=False, consent_text="c",
                             consent_version="v", now=AT)
            await store.set_rsvps("console", "local", {"day1", "day2"}, set(), AT)
            await store.set_rsvps("telegram", "12", {"day1"}, set(), AT.replace(hour=10))
            await store.set_rsvps("discord", "99", {"day3"}, set(), AT.replace(hour=11))
            await store.set_attendance("console", "local", "day1", True, AT)
            await store.set_attendance("telegram", "12", "day1", False, AT)

    asyncio.run(go())


def test_export_rsvps_one_row_each_owner_only_formulas_neutralised(workdir):
    assert invoke(workdir, "console", stdin=SIGN_SCRIPT).returncode == 0
    seed(workdir / "campaign.db")
    out = workdir / "rsvps.csv"
    result = invoke(workdir, "export", "rsvps", "--out", str(out), umask=0)

    assert result.returncode == 0, result.stderr
    assert "Exported 4 RSVPs" in result.stdout
    assert owner_only(out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["event_id", "event_title", "platform", "user_id", "display_name", "created_at",
         "attended"],
        ["day1", "Kick-off call: why we have our eyes on Amazon", "console", "local",
         "Grace Hopper", "2027-06-02T09:00:00+00:00", "yes"],
        ["day2", "Teach-in: facial recognition and policing", "console", "local",
         "Grace Hopper", "2027-06-02T09:00:00+00:00", ""],
        ["day1", "Kick-off call: why we have our eyes on Amazon", "telegram", "12",
         "'=HYPERLINK(\"x\")", "2027-06-02T10:00:00+00:00", "no"],
        ["day3", "Call-in day: tell Amazon's leadership", "discord", "99", "",
         "2027-06-02T11:00:00+00:00", ""],
    ]

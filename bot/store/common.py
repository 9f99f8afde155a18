"""Helpers every storage module shares."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """Times are stored as UTC ISO 8601 text to the second, so they sort and compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")

"""The README's promises that code can check."""

from __future__ import annotations

import re
from pathlib import Path

from bot.handlers import ROUTERS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    command = ci_lines[-1]
    assert "pytest" in command
    assert f"\n{command}\n" in README


def test_every_command_is_documented():
    for router in ROUTERS:
        for name in router.commands:
            assert re.search(rf"`/{name}\b", README), f"/{name} is not in the README"


def test_every_config_key_is_documented():
    import tomllib

    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    from bot.config import Config

    for section, model in Config.model_fields.items():
        annotation = model.annotation
        fields = getattr(annotation, "model_fields", None)
        if fields is None:  # tuple[Event, ...] behind Annotated
            inner = getattr(annotation, "__args__", (None,))[0]
            fields = getattr(inner, "model_fields", {})
        for key in fields:
            assert f"`{key}`" in README, f"{section}.{key} is not in the README"
    assert shipped  # the shipped file parses

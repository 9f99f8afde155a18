"""`python -m bot ...` as the operator runs it, in a subprocess (the `workdir` fixture, in
conftest.py, holds a copy of the shipped config whose database lands beside it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# A whole /sign in the console: Grace, with an email, asking to be kept updated.
SIGN_SCRIPT = "\n".join([
    "/sign", "Grace Hopper", "grace@example.org", "Skip", "Sign and keep me updated",
]) + "\n"


def run(workdir: Path, *args: str, stdin: str = "", env: dict | None = None):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=workdir, input=stdin,
                          capture_output=True, text=True, env=environment, timeout=60,
                          check=False)

"""`python -m bot ...` as the operator runs it: `run` starts it in a subprocess (the `workdir`
fixture, in conftest.py, holds a copy of the shipped config whose database lands beside it);
`invoke` calls the same entry point, bot.__main__.main, in this process, for tests about what
a command does rather than about the process (a fresh interpreter costs 0.4 s of CPU)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import app, logs
from bot.__main__ import main

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


@dataclass
class Result:
    """What `run` returns, for `invoke`: the exit status and the two outputs."""

    returncode: int
    stdout: str
    stderr: str


def invoke(workdir: Path, *args: str, stdin: str = "", env: dict | None = None,
           umask: int | None = None) -> Result:
    """`python -m bot *args` in this process, as `run` would start it: in `workdir`, with no
    token in the environment but those in `env`, `stdin` as its input, and `umask` if given
    (0: a file made with the default mode would be world-readable, so an owner-only file
    proves it was made so). The process-wide state main() touches (the root logger, the
    current directory, sys.stdin, the umask) is put back after."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level
                                            for name in logs.QUIET}
    console = app.console

    async def console_on_this_stdin(config, stdin=None, stdout=None, **options) -> int:
        # app.console and app.run bound sys.stdin and sys.stdout when bot.app was imported.
        return await console(config, sys.stdin, sys.stdout, **options)

    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.chdir(workdir)
        for variable in logs.TOKEN_VARIABLES:
            patch.delenv(variable, raising=False)
        for variable, value in (env or {}).items():
            patch.setenv(variable, value)
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        patch.setattr(app, "console", console_on_this_stdin)
        old_umask = os.umask(umask) if umask is not None else None
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse refusing the arguments
            status = exc.code if isinstance(exc.code, int) else 1
        finally:
            if old_umask is not None:
                os.umask(old_umask)
            root.handlers[:], level, levels = saved
            root.setLevel(level)
            for name, quiet in levels.items():
                logging.getLogger(name).setLevel(quiet)
    return Result(status, out.getvalue(), err.getvalue())

"""Logging that never carries tokens or personal data.

httpx logs every request URL at INFO and the Telegram token is part of that URL; aiosqlite logs
bound parameters (names, emails) at DEBUG. Both are pinned to WARNING, and every record passes a
filter that replaces the tokens we know with a placeholder."""

from __future__ import annotations

import logging
import os

TOKEN_VARIABLES = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN")
QUIET = ("httpx", "httpcore", "aiosqlite", "asyncio")


class RedactTokens(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            message = message.replace(secret, "[token]")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[token]")
        record.msg, record.args = message, None
        return True


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens([os.environ.get(v, "") for v in TOKEN_VARIABLES]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

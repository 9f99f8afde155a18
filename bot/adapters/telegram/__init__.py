"""The Telegram front end (python-telegram-bot): adapter.py runs it, render.py turns a Reply into
Telegram HTML, sending.py delivers and classifies, updates.py orders and reads incoming updates,
capabilities.py tells the core what Telegram can do.

TelegramAdapter is imported on first use, not with the package: app.py reads capabilities.py of
every platform at start, and that must not load python-telegram-bot where Telegram is not
configured."""

from __future__ import annotations

from typing import Any

__all__ = ["TelegramAdapter"]


def __getattr__(name: str) -> Any:
    if name == "TelegramAdapter":
        from .adapter import TelegramAdapter

        return TelegramAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

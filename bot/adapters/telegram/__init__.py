"""The Telegram front end (python-telegram-bot): adapter.py runs it, render.py turns a Reply into
Telegram HTML, sending.py delivers and classifies, updates.py orders and reads incoming updates."""

from .adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]

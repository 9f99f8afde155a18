"""Waiting for a state, never for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

BOUND = 10.0  # seconds: a state that has not come by then is not coming


async def wait_until(predicate: Callable[[], Any], timeout: float = BOUND,
                     what: str = "condition", every: float = 0.01) -> None:
    """Check `predicate` (plain, or returning an awaitable) every `every` seconds until it is
    true; after `timeout` seconds fail, naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(every)

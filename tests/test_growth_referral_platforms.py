"""Issue 12, tier 3: referrals through the real libraries against the fakes. A Telegram user
follows another's `?start=r_<code>` link and signs, and the referrer's message arrives through
the fake Bot API; a Discord user signs with `/sign code:<code>` through the fake Discord."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlparse

import pytest

from bot.config import Telegram
from bot.outbox import OutboxWorker, Pacing
from tests.fakes.telegram_harness import BOUND, USERNAME

ADA, GRACE = 1001, 1002
LINK = re.compile(r"https://t\.me/\S+\?start=(r_[a-z0-9]+)")


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


async def step(api, chat_id: int, push, count: int = 1) -> list[str]:
    before = len(api.sent(chat_id))
    push()
    await api.wait_for(lambda: len(api.sent(chat_id)) >= before + count, BOUND)
    await api.wait_idle()
    return api.texts(chat_id)[before:]


async def test_a_telegram_user_follows_anothers_link_signs_and_the_referrer_is_told(
        adapter, api, bot):
    (invite,) = await step(api, ADA, lambda: api.send_text(ADA, "/invite"))
    found = LINK.search(invite)
    assert found and found.group(0).startswith(f"https://t.me/{USERNAME}?start=r_")
    [share] = [b for b in api.buttons(ADA) if b["text"] == "Share"]
    assert parse_qs(urlparse(share["url"]).query)["url"] == [found.group(0)]

    await step(api, GRACE, lambda: api.send_text(GRACE, f"/start {found.group(1)}",
                                                 first_name="Grace"), 2)
    await step(api, GRACE, lambda: api.press_label(GRACE, "Use"))
    await step(api, GRACE, lambda: api.press_label(GRACE, "Skip"))
    await step(api, GRACE, lambda: api.press_label(GRACE, "Skip"))
    (thanks,) = await step(api, GRACE, lambda: api.press_label(GRACE, "Sign"))
    assert "You are signature #1" in thanks
    assert (await bot.store.signature_of("telegram", str(GRACE))).referred

    worker = OutboxWorker(bot, adapter, Pacing(rate=50), concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await api.wait_for(lambda: len(api.sent(ADA)) == 2, BOUND)
    finally:
        stop.set()
        await asyncio.wait_for(task, BOUND)
    notice = api.texts(ADA)[1]
    assert notice.startswith("Someone you invited just signed. Your link has brought 1 "
                             "signature.")
    assert "Grace" not in notice

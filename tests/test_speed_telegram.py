"""Issue 15, tier 3: a button press in a private chat has one Bot API call in flight at a time.

The answer to the press goes out first, then the reply: two calls in flight per update kept
twice the connections open in httpx's pool, which checks every idle one on each request, and
that cost the bot 2-3x the CPU per press of a bare PTB bot (README "Performance")."""

from __future__ import annotations

import pytest

from bot.config import Telegram
from tests.fakes.telegram_harness import BOUND

ADA = 1001


@pytest.fixture
def config(config, api):
    return config.model_copy(update={"telegram": Telegram(base_url=api.base_url)})


async def test_a_press_is_answered_before_the_reply_is_sent(adapter, api, bot):
    api.send_text(ADA, "/rsvp")
    await api.wait_for(lambda: api.sent(ADA), BOUND)
    await api.wait_idle()
    # The answer's trip back takes a while: a reply sent alongside it would start meanwhile.
    api.answer_delay["answerCallbackQuery"] = 0.3
    api.press_label(ADA, "Going: Kick-off call")
    await api.wait_for(lambda: any(c.status for c in api.calls_to("editMessageText")), BOUND)
    await api.wait_idle()
    (answer,) = api.calls_to("answerCallbackQuery")
    (reply,) = api.calls_to("editMessageText")  # the list, updated in place
    assert answer.status == reply.status == 200
    assert answer.finished <= reply.started
    assert "you're going ✓" in reply.params["text"]
    assert await bot.store.rsvps_of("telegram", str(ADA)) == {"day1"}

"""Issue 14, campaign panels (tier 1): the stored row, /panel and /panel remove, the content,
and the service that keeps each panel current (frozen clock, fake senders, no sleeps)."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import NOT_PERSONAL, PERSONAL_TABLES


async def test_one_panel_per_chat_is_stored_and_replaced(bot, clock):
    store = bot.store
    assert await store.save_panel("telegram", "-100", "7", "h1", clock.now()) is None
    old = await store.save_panel("telegram", "-100", "9", "h2", clock.now())
    assert old is not None and old.message_id == "7"
    [panel] = await store.all_panels()
    assert (panel.message_id, panel.shown, panel.edited_at) == ("9", "h2", None)
    # An edit of the replaced message records nothing; of the current one, its hash and time.
    assert not await store.panel_shown(old, "x", clock.now())
    later = clock.now() + timedelta(minutes=1)
    assert await store.panel_shown(panel, "h3", later)
    assert (await store.panel_of("telegram", "-100")).edited_at == later
    assert await store.drop_panel("telegram", "-100", "7") is None  # not that one any more
    assert (await store.drop_panel("telegram", "-100")).message_id == "9"
    assert await store.all_panels() == []
    assert "panels" in NOT_PERSONAL and "panels" not in PERSONAL_TABLES

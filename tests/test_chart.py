"""The organisers' growth chart (issue 13, "Organisers"): signatures per local day in one
grouped query, a PNG that is sane and changes with the data, built with 0, 1 and 100,000
signatures, and /stats sending it to moderators, rendered off the event loop and cached for a
minute per language."""

from __future__ import annotations

import io
import sqlite3
import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread

from bot import chart
from bot.i18n import translator

PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.real_chart  # these tests draw the real chart (conftest: quick_chart)


def pixels(png: bytes):
    assert png.startswith(PNG)
    assert 20_000 < len(png) < 2_000_000, len(png)
    image = imread(io.BytesIO(png))
    assert image.shape[:2] == (1500, 1080)  # 7.2 x 10 in at 150 dpi: a phone's width
    return image


async def sign(store, user_id: str, at: datetime, platform: str = "telegram") -> None:
    await store.sign(platform, user_id, name="Ada", email=None, postcode=None,
                     wants_updates=False, consent_text="c", consent_version="v", now=at)


async def test_signatures_per_day_are_local_days_by_platform(bot):
    store = bot.store
    await sign(store, "1", datetime(2027, 6, 2, 3, 59, tzinfo=UTC))  # 23:59 on 1 June in NY
    await sign(store, "2", datetime(2027, 6, 2, 4, 0, tzinfo=UTC))  # 00:00 on 2 June
    await sign(store, "3", datetime(2027, 6, 2, 5, 0, tzinfo=UTC), platform="discord")
    await sign(store, "4", datetime(2027, 6, 2, 18, 14, tzinfo=UTC))  # Kathmandu: 23:59
    await sign(store, "5", datetime(2027, 6, 2, 18, 15, tzinfo=UTC))  # Kathmandu: 00:00, 3rd

    assert await store.signatures_per_day(ZoneInfo("America/New_York")) == [
        (date(2027, 6, 1), "telegram", 1), (date(2027, 6, 2), "discord", 1),
        (date(2027, 6, 2), "telegram", 3)]
    assert await store.signatures_per_day(ZoneInfo("Asia/Kathmandu")) == [
        (date(2027, 6, 2), "discord", 1), (date(2027, 6, 2), "telegram", 3),
        (date(2027, 6, 3), "telegram", 1)]


async def test_the_chart_is_a_sane_png_whose_pixels_follow_the_data(bot, clock):
    tr = translator("en")
    empty = await chart.growth_png(bot.store, bot.config, clock.now(), tr)
    await sign(bot.store, "1", clock.now())
    one = await chart.growth_png(bot.store, bot.config, clock.now(), tr)

    before, after = pixels(empty), pixels(one)
    assert len({tuple(p) for p in before.reshape(-1, before.shape[2])[::97]}) > 5  # not blank
    assert (before != after).any(axis=2).sum() > 500  # the bar and its label appeared


async def test_the_chart_is_built_for_100000_signatures(bot, clock):
    with sqlite3.connect(bot.config.storage.path) as db:  # one executemany, as the bench does
        db.executemany(
            "INSERT INTO signatures (platform, user_id, wants_updates, consent_text,"
            " consent_version, signed_at) VALUES (?, ?, 0, 'c', 'v', ?)",
            [("discord" if i % 3 else "telegram", str(i),
              f"2027-05-{10 + i % 20:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00")
             for i in range(100_000)])
    data = await chart.collect(bot.store, bot.config, clock.now(), translator("en"))
    assert sum(counts[-1] for _, counts in data.stacks) == 100_000
    assert [label for label, _ in data.stacks] == ["Discord: 66,666", "Telegram: 33,334"]
    pixels(chart.render(data))


async def test_the_chart_speaks_the_readers_language(bot, clock):
    data = await chart.collect(bot.store, bot.config, clock.now(), translator("es"))
    assert data.title == "#EyesOnAmazon al mar, 1 jun 2027"
    assert data.empty[0] == "Todavía no hay firmas"
    assert data.events[0].title.startswith("Llamada de arranque")
    assert data.target[1] == "Próximo hito: 100"  # no goal configured: the next milestone


@pytest.fixture
def renders(monkeypatch) -> list[bool]:
    """Counts the charts drawn, noting whether each was drawn off the event loop's thread."""
    drawn: list[bool] = []
    render = chart.render

    def counted(data):
        drawn.append(threading.current_thread() is not threading.main_thread())
        return render(data)

    monkeypatch.setattr(chart, "render", counted)
    return drawn


async def test_stats_sends_the_chart_drawn_off_the_loop_and_cached_a_minute(
        moderator, clock, renders):
    assert "Campaign stats" in await moderator.send("/stats")
    first = moderator.attachments
    assert [(a.filename, a.media_type) for a in first] == [("growth.png", "image/png")]
    pixels(first[0].data)
    assert renders == [True]

    clock.advance(seconds=59)
    await moderator.send("/stats")
    assert moderator.attachments[0].data == first[0].data
    assert renders == [True]  # the same bytes, not drawn again

    clock.advance(seconds=2)
    await moderator.send("/stats")
    assert len(renders) == 2  # a minute on: drawn afresh

    await moderator.send("/settings language es")
    await moderator.send("/stats")
    assert len(renders) == 3  # another language, another chart
    assert moderator.attachments[0].data != first[0].data


async def test_a_supporter_gets_no_chart(chat, renders):
    assert "only for campaign moderators" in await chat.send("/stats")
    assert chat.attachments == []
    assert renders == []


async def test_a_chart_that_cannot_be_drawn_leaves_the_numbers(moderator, monkeypatch, caplog):
    def broken(data):
        raise RuntimeError("no fonts on this machine")

    monkeypatch.setattr(chart, "render", broken)
    text = await moderator.send("/stats")
    assert "Campaign stats" in text and "Signatures:" in text
    assert moderator.attachments == []
    assert "could not be drawn: RuntimeError" in caplog.text
    assert "no fonts" not in caplog.text  # the type only, never an exception's words

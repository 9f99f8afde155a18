"""Streaks (bot/streaks.py): consecutive local calendar days with an action done. Local dates
come from the frozen clock in the person's zone, so midnight and DST are tested as they happen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.streaks import Streak, local_today, reached, streak
from tests.support.clock import FrozenClock

NEW_YORK = ZoneInfo("America/New_York")


def days(*spec: str) -> list[date]:
    return [date.fromisoformat(d) for d in spec]


def now_streak(done: list[date], clock: FrozenClock, zone=NEW_YORK) -> Streak:
    return streak(done, local_today(clock.now(), zone))


def test_alive_through_today_and_yesterday_then_reset_at_local_midnight():
    done = days("2027-06-01", "2027-06-02", "2027-06-03")
    clock = FrozenClock(datetime(2027, 6, 3, 13, 0, tzinfo=UTC))  # 09:00 on the 3rd
    assert now_streak(done, clock) == Streak(3, 3)
    clock.current = datetime(2027, 6, 5, 3, 59, tzinfo=UTC)  # 23:59 on the 4th: still alive
    assert now_streak(done, clock) == Streak(3, 3)
    clock.advance(minutes=1)  # midnight: the 4th was missed
    assert now_streak(done, clock) == Streak(0, 3)
    # A new run after the gap: best remembers the old one.
    assert now_streak(done + days("2027-06-05"), clock) == Streak(1, 3)


def test_a_missed_day_in_the_middle_splits_the_run():
    done = days("2027-06-01", "2027-06-02", "2027-06-04", "2027-06-05", "2027-06-05")
    assert streak(done, date(2027, 6, 5)) == Streak(2, 2)
    assert streak([], date(2027, 6, 5)) == Streak(0, 0)


def test_dst_start_counts_dates_not_24_hour_spans():
    # New York springs forward on Sun 14 March 2027 (a 23-hour day).
    done = days("2027-03-13", "2027-03-14")
    # 00:30 EDT on Tue 16 March: the 15th was missed. A fixed EST offset would still say
    # 23:30 on the 15th and keep the streak alive.
    clock = FrozenClock(datetime(2027, 3, 16, 4, 30, tzinfo=UTC))
    assert now_streak(done, clock) == Streak(0, 2)
    clock.current = datetime(2027, 3, 16, 3, 30, tzinfo=UTC)  # 23:30 EDT on the 15th
    assert now_streak(done, clock) == Streak(2, 2)
    assert now_streak(done + days("2027-03-15"), clock) == Streak(3, 3)


def test_dst_end_counts_the_25_hour_day_once():
    # New York falls back on Sun 7 November 2027 (a 25-hour day).
    done = days("2027-11-06", "2027-11-07")
    # 23:30 EST on Mon 8 Nov = 04:30 UTC on the 9th: still the 8th locally, so alive.
    clock = FrozenClock(datetime(2027, 11, 9, 4, 30, tzinfo=UTC))
    assert now_streak(done, clock) == Streak(2, 2)
    clock.advance(hours=1)  # 00:30 on the 9th: the 8th was missed
    assert now_streak(done, clock) == Streak(0, 2)


def test_a_timezone_change_moves_today_to_the_new_zones_date():
    done = days("2027-06-01", "2027-06-02")
    # 23:30 on 3 June in New York is already 12:30 on 4 June in Tokyo.
    clock = FrozenClock(datetime(2027, 6, 4, 3, 30, tzinfo=UTC))
    assert now_streak(done, clock) == Streak(2, 2)
    assert now_streak(done, clock, ZoneInfo("Asia/Tokyo")) == Streak(0, 2)


def test_a_day_marked_ahead_of_today_counts_once_today_reaches_it():
    done = days("2027-06-01", "2027-06-02", "2027-06-03")
    assert streak(done, date(2027, 6, 2)) == Streak(2, 3)


def test_reached_names_a_milestone_only_when_the_streak_grows_onto_it():
    assert reached(Streak(2, 2), Streak(3, 3)) == 3
    assert reached(Streak(6, 6), Streak(7, 7)) == 7
    assert reached(Streak(13, 13), Streak(14, 14)) == 14
    assert reached(Streak(3, 3), Streak(3, 3)) is None  # a repeated press
    assert reached(Streak(3, 3), Streak(4, 4)) is None
    assert reached(Streak(1, 5), Streak(2, 5)) is None

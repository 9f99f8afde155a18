"""The organisers' growth chart as PNG bytes: cumulative signatures per day stacked by platform,
with the goal and the deadline marked, over RSVPs and attendance per event. /stats sends it
(bot/handlers/stats.py) and `python -m bot chart` writes it (bot/ops.py).

`collect` reads and words everything (on the event loop: it awaits the store); `render` only
draws, so it can run in a worker thread. It uses matplotlib's object API (Figure and the Agg
canvas), never pyplot, whose global figure registry is not thread-safe, and imports matplotlib
when first called: the import costs half a second of CPU that the bot's start must not pay.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_skeleton

from .config import Config
from .i18n import N_, Translator
from .storage import Storage

TITLE = N_("{campaign} as of {date}")
SIGNATURES_HEADING = N_("Signatures so far, by platform")
EVENTS_HEADING = N_("RSVPs and attendance per event")
NO_SIGNATURES = N_("No signatures yet")
NO_EVENTS = N_("No events in the config")
GOAL = N_("Goal: {count}")
NEXT_MILESTONE = N_("Next milestone: {count}")
PLATFORM_TOTAL = N_("{platform}: {count}")
EVENT_COUNTS = N_("RSVPs: {rsvps} · attended: {attended} · couldn't make it: {missed}")

# 1080 x 1500 pixels: a phone's width, read without zooming; type sized for that.
SIZE_INCHES, DPI = (7.2, 10.0), 150
BIG, MEDIUM, SMALL = 20, 15, 13
PLATFORM_COLOURS = ("#2f6fbf", "#e07b39", "#3a9e6b", "#8a5cc2", "#c2485c")
RSVP_COLOUR, ATTENDED_COLOUR, INK, FAINT = "#b9cbe6", "#2f6fbf", "#222222", "#888888"


@dataclass(frozen=True)
class EventBar:
    title: str
    rsvps: int
    attended: int
    label: str  # the counts, worded


@dataclass(frozen=True)
class ChartData:
    """Everything `render` draws, already counted and translated."""

    title: str
    days: tuple[str, ...]  # tick labels: every local day from the first signature to today
    stacks: tuple[tuple[str, tuple[int, ...]], ...]  # (label, cumulative count per day)
    target: tuple[int, str] | None  # (count, label)
    deadline: tuple[int, str] | None  # (day index, counted from days[0]; label)
    events: tuple[EventBar, ...]
    headings: tuple[str, str]  # (signatures panel, events panel)
    empty: tuple[str, str]  # what each panel says when it has nothing to show
    number: Callable[[float], str] = str  # a count in the reader's language ("60,000")


def target_of(config: Config, total: int, tr: Translator) -> tuple[int, str] | None:
    """The target line: the petition's aim (its goal, else the next milestone), labelled."""
    aim = config.petition.aim(total)
    if aim is None:
        return None
    count, is_goal = aim
    return count, tr.t(GOAL if is_goal else NEXT_MILESTONE, count=tr.number(count))


async def collect(store: Storage, config: Config, now: datetime, tr: Translator) -> ChartData:
    zone = config.zone
    today = now.astimezone(zone).date()
    per_day = await store.signatures_per_day(zone)
    tallies = await store.event_tallies()
    first = min((d for d, _, _ in per_day), default=today)
    span = [first + timedelta(days=i) for i in range(max((today - first).days, 0) + 1)]
    if per_day and per_day[-1][0] > span[-1]:  # signed "tomorrow": a clock set back
        span += [span[-1] + timedelta(days=i + 1) for i in range((per_day[-1][0] - span[-1]).days)]
    platforms = sorted({p for _, p, _ in per_day})
    daily = {(d, p): n for d, p, n in per_day}
    stacks = []
    for platform in platforms:
        running, cumulative = 0, []
        for d in span:
            running += daily.get((d, platform), 0)
            cumulative.append(running)
        label = tr.t(PLATFORM_TOTAL, platform=platform.capitalize(), count=tr.number(running))
        stacks.append((label, tuple(cumulative)))
    total = sum(n for _, _, n in per_day)
    deadline = (config.campaign.deadline.astimezone(zone).date() - first).days
    events = []
    for event in config.events:
        tally = tallies.get(event.id)
        rsvps, attended, missed = (tally.rsvps, tally.attended, tally.missed) if tally else (
            0, 0, 0)
        events.append(EventBar(tr.text(event.title), rsvps, attended, tr.t(
            EVENT_COUNTS, rsvps=tr.number(rsvps), attended=tr.number(attended),
            missed=tr.number(missed))))
    return ChartData(
        title=tr.t(TITLE, campaign=tr.text(config.campaign.name), date=tr.day(today)),
        days=tuple(format_skeleton("MMMd", d, locale=tr.locale) for d in span),
        stacks=tuple(stacks) if total else (),
        target=target_of(config, total, tr),
        deadline=(deadline, tr.text(config.campaign.deadline_label)),
        events=tuple(events),
        headings=(tr.t(SIGNATURES_HEADING), tr.t(EVENTS_HEADING)),
        empty=(tr.t(NO_SIGNATURES), tr.t(NO_EVENTS)),
        number=tr.number,
    )


async def growth_png(store: Storage, config: Config, now: datetime, tr: Translator) -> bytes:
    """The chart for `tr`'s reader: read on the event loop, drawn in a worker thread."""
    data = await collect(store, config, now, tr)
    return await asyncio.to_thread(render, data)


def _plain(ax) -> None:
    """No chart junk: no box, no tick marks, a faint horizontal grid only."""
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(FAINT)
    ax.tick_params(length=0, labelsize=SMALL, colors=INK)


def _signatures(ax, data: ChartData) -> None:
    ax.set_title(data.headings[0], loc="left", fontsize=MEDIUM, color=INK, pad=12)
    _plain(ax)
    if not data.stacks:
        ax.spines["bottom"].set_visible(False)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, data.empty[0], transform=ax.transAxes, ha="center", va="center",
                fontsize=BIG, color=FAINT)
        return
    n = len(data.days)
    xs = list(range(n))
    below = [0] * n
    top = 0
    for i, (label, counts) in enumerate(data.stacks):
        colour = PLATFORM_COLOURS[i % len(PLATFORM_COLOURS)]
        ax.bar(xs, counts, bottom=below, width=0.85, color=colour, linewidth=0)
        # Direct label beside the last day's segment instead of a legend.
        middle = below[-1] + counts[-1] / 2
        # On a white ground: the deadline's line may pass behind it.
        ax.text(n - 0.4, middle, label, va="center", ha="left", fontsize=SMALL, color=colour,
                fontweight="bold", zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        below = [b + c for b, c in zip(below, counts)]
    top = max(below)
    right = n - 0.5
    if data.target:
        count, label = data.target
        ax.axhline(count, color=INK, linewidth=1.5, linestyle="--")
        ax.text(-0.4, count, label, va="bottom", ha="left", fontsize=SMALL, color=INK)
        top = max(top, count)
    if data.deadline and -1 <= data.deadline[0] <= n + 60:
        at, label = data.deadline
        ax.axvline(at, color="#c2485c", linewidth=1.5)
        ax.text(at, top * 1.12, label, ha="right" if at > n / 2 else "left", va="top",
                fontsize=SMALL, color="#c2485c")
        right = max(right, at + 0.5)
    width = right + max(2.5, (right + 0.6) * 0.35)  # room for the direct labels
    ax.set_xlim(-0.6, width)
    ax.set_ylim(0, top * 1.15)
    # About four day labels across the whole axis, the last day always among them.
    step = max(1, round(width / 4))
    ticks = list(range(0, n, step))
    if ticks[-1] != n - 1:
        if n - 1 - ticks[-1] < step * 0.7 and len(ticks) > 1:
            ticks.pop()
        ticks.append(n - 1)
    ax.set_xticks(ticks, [data.days[i] for i in ticks])
    ax.yaxis.set_major_formatter(lambda value, _: data.number(int(value)))
    ax.yaxis.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)


def _events(ax, data: ChartData) -> None:
    ax.set_title(data.headings[1], loc="left", fontsize=MEDIUM, color=INK, pad=12)
    _plain(ax)
    ax.spines["bottom"].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    if not data.events:
        ax.text(0.5, 0.5, data.empty[1], transform=ax.transAxes, ha="center", va="center",
                fontsize=BIG, color=FAINT)
        return
    widest = max(1, max(e.rsvps for e in data.events))
    rows = len(data.events)
    for i, event in enumerate(data.events):
        y = rows - 1 - i  # the first event on top
        ax.text(0, y + 0.44, textwrap.shorten(event.title, 48, placeholder="…"), fontsize=SMALL,
                color=INK, va="center", fontweight="bold")
        ax.barh(y + 0.17, event.rsvps, height=0.2, color=RSVP_COLOUR, linewidth=0)
        ax.barh(y + 0.17, event.attended, height=0.2, color=ATTENDED_COLOUR, linewidth=0)
        ax.text(0, y - 0.1, event.label, fontsize=SMALL - 1, color=FAINT, va="center")
    ax.set_xlim(0, widest * 1.05)
    ax.set_ylim(-0.5, rows - 0.3)


def render(data: ChartData) -> bytes:
    """The PNG. Safe in a worker thread: one Figure of its own, no pyplot, no global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": (3, 2)})
    figure.suptitle(data.title, fontsize=BIG, fontweight="bold", color=INK, x=0.04,
                    ha="left", y=0.975)
    _signatures(top, data)
    _events(bottom, data)
    figure.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.03, hspace=0.3)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()

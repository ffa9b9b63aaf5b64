"""Charts of a report, drawn with matplotlib (Agg, no display): activity and participation.

`chart_data` is the pure part (what is plotted); `draw_chart` only draws it, so
tests check the series without looking at pixels.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.analytics._report import Report
from bot.analytics._trends import Trends

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChartData:
    """The series a report chart shows: activity per day, and the participation split."""

    days: tuple[date, ...]
    active: tuple[int, ...]
    posters: tuple[int, ...]
    rowers: int
    reactors: int
    passengers: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ChartLabels:
    """The words on a chart, in the community's language."""

    activity: str
    active: str
    posters: str
    split: str
    rowers: str
    reactors: str
    passengers: str


def chart_data(report: Report) -> ChartData:
    """Return what the chart of `report` plots."""
    split = report.participation
    return ChartData(
        days=tuple(day.day for day in report.daily),
        active=tuple(day.active for day in report.daily),
        posters=tuple(day.posters for day in report.daily),
        rowers=split.rowers,
        reactors=split.reactors,
        passengers=split.passengers,
    )


def draw_chart(data: ChartData, labels: ChartLabels, *, image_format: str = "png") -> bytes:
    """Draw the activity line chart and the participation bar; return the image bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    over_time, split = figure.subplots(2, 1, height_ratios=(3, 1))
    over_time.plot(data.days, data.active, label=labels.active, color="#2e7d32", marker=".")
    over_time.plot(data.days, data.posters, label=labels.posters, color="#1565c0", marker=".")
    over_time.set_title(labels.activity)
    over_time.set_ylim(bottom=0)
    over_time.legend(loc="upper left")
    over_time.grid(alpha=0.3)
    over_time.yaxis.set_major_locator(MaxNLocator(integer=True))
    # matplotlib leaves these two constructors untyped.
    dates = AutoDateLocator()  # type: ignore[no-untyped-call]
    concise = ConciseDateFormatter(dates)  # type: ignore[no-untyped-call]
    over_time.xaxis.set_major_locator(dates)
    over_time.xaxis.set_major_formatter(concise)
    left = 0
    for count, label, color in (
        (data.rowers, labels.rowers, "#2e7d32"),
        (data.reactors, labels.reactors, "#f9a825"),
        (data.passengers, labels.passengers, "#9e9e9e"),
    ):
        split.barh([0], [count], left=[left], color=color, label=f"{label}: {count}")
        left += count
    split.set_title(labels.split)
    split.set_yticks([])
    split.xaxis.set_major_locator(MaxNLocator(integer=True))
    split.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=3, frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format=image_format)
    return out.getvalue()


@dataclass(frozen=True, kw_only=True, slots=True)
class TrendLabels:
    """The titles of the twelve months' small multiples, in the community's language."""

    active: str
    rowers: str
    concentration: str
    retention: str


def draw_trends(trends: Trends, labels: TrendLabels, *, image_format: str = "png") -> bytes:
    """Draw four small multiples sharing the months: counts, and shares on a 0-100 % scale.

    A month with no value (no rowers, retention not known yet) leaves a gap.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import ConciseDateFormatter, MonthLocator
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    months = [month.month for month in trends.months]

    def percent(value: float | None) -> float:
        return float("nan") if value is None else 100 * value

    panels = (
        (labels.active, [float(m.active) for m in trends.months], False),
        (labels.rowers, [percent(m.rowers_share) for m in trends.months], True),
        (labels.concentration, [percent(m.top_share) for m in trends.months], True),
        (labels.retention, [percent(m.retention) for m in trends.months], True),
    )
    figure = Figure(figsize=(8, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2, sharex=True)
    for ax, (title, values, is_share) in zip(axes.flat, panels, strict=True):
        ax.plot(months, values, color="#2e7d32", marker="o")
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        if is_share:
            ax.set_ylim(0, 100)
            ax.yaxis.set_major_formatter(PercentFormatter())
        else:
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        # One tick a month (every other one past six months), never days; matplotlib
        # leaves these two constructors untyped.
        dates = MonthLocator(interval=1 if len(months) <= 6 else 2)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(dates)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(dates))  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    figure.savefig(out, format=image_format)
    return out.getvalue()


def write_chart(data: ChartData, labels: ChartLabels, path: Path) -> Path:
    """Draw the chart as a PNG file at `path` (folders created as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(draw_chart(data, labels))
    log.debug("chart written to %s", path)
    return path

"""The desk's charts, drawn on the server with matplotlib: SVG for the pages, PNG for chat.

Exemplars per unit, cases filed per month by state, the on-time rate per unit. Labels are
Vietnamese: the figures use the DejaVu Serif the papers vendor (every Vietnamese glyph), and
an SVG keeps its text as text (``svg.fonttype: none``), searchable and sharp. Rendering is
CPU work: the pages call :func:`render` through ``asyncio.to_thread``; matplotlib is not
thread-safe, so one figure is drawn at a time (:data:`_DRAWING`).

matplotlib (with numpy under it, some 55 MB of a process's memory) is imported by the first
chart drawn, not with the app: a bot that never draws one does not carry it
(``bench/memory.py``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Literal

from bot.arenas import release_freed_memory
from bot.papers.typeface import FONTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["svg", "png"]
FAMILY = "DejaVu Serif"
_DRAWING = threading.Lock()
# The states' colours, in the queue's order of states; the last one serves any other.
_PALETTE = (
    "#1f5f8b", "#4f8fbf", "#c98b2b", "#7a5ea8", "#a87ec8",
    "#2e8b57", "#8c8c8c", "#b03a2e", "#d9d9d9", "#bfbfbf",
)  # fmt: skip
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


@cache
def font_family() -> str:
    """Register the vendored DejaVu Serif with matplotlib once; return its family's name."""
    import matplotlib

    matplotlib.use("Agg")  # no display: never an interactive backend
    from matplotlib import font_manager

    for name in ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"):
        font_manager.fontManager.addfont(str(FONTS / name))
    return FAMILY


@dataclass(frozen=True, slots=True)
class Bars:
    """A horizontal bar per label (units read better down than across)."""

    title: str
    labels: Sequence[str]
    values: Sequence[float]
    axis: str
    percent: bool = False


@dataclass(frozen=True, slots=True)
class StackedMonths:
    """A column per month, stacked by state; ``series`` pairs a state's name with its counts."""

    title: str
    months: Sequence[date]
    series: Sequence[tuple[str, Sequence[int]]]
    axis: str


Chart = Bars | StackedMonths


def render(chart: Chart, kind: Format) -> bytes:
    """Return the chart drawn as SVG or PNG."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _DRAWING, matplotlib.rc_context(_style()):  # type: ignore[arg-type]
        figure = _bars(chart) if isinstance(chart, Bars) else _stacked(chart)
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=kind, dpi=110 if kind == "png" else 72)
    release_freed_memory()
    return buffer.getvalue()


def _style() -> dict[str, object]:
    return {
        "font.family": font_family(),
        "font.size": 10,
        "svg.fonttype": "none",
        "svg.hashsalt": "ntvt",  # the same chart draws the same bytes
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _bars(chart: Bars) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    height = 1.4 + 0.32 * max(1, len(chart.labels))
    figure = Figure(figsize=(8, height), layout="constrained")
    axes = figure.add_subplot()
    positions = range(len(chart.labels))
    values = [value * 100 for value in chart.values] if chart.percent else list(chart.values)
    bars = axes.barh(list(positions), values, color=_PALETTE[0])
    axes.set_yticks(list(positions), labels=list(chart.labels))
    axes.invert_yaxis()
    axes.set_title(chart.title, loc="left", fontweight="bold")
    axes.set_xlabel(chart.axis)
    if chart.percent:
        axes.set_xlim(0, 100)
    else:
        axes.set_xlim(0, max([1.0, *values]) * 1.15)  # no negative axis when all are 0
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.bar_label(bars, fmt="%.0f%%" if chart.percent else "%.0f", padding=3)
    return figure


def _stacked(chart: StackedMonths) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 4.2), layout="constrained")
    axes = figure.add_subplot()
    labels = [f"{month:%m/%Y}" for month in chart.months]
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for index, (name, counts) in enumerate(chart.series):
        colour = _PALETTE[min(index, len(_PALETTE) - 1)]
        axes.bar(positions, list(counts), bottom=bottom, label=name, color=colour)
        bottom = [below + count for below, count in zip(bottom, counts, strict=True)]
    axes.set_xticks(positions, labels=labels)  # the months show even with nothing filed
    axes.set_title(chart.title, loc="left", fontweight="bold")
    axes.set_ylabel(chart.axis)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelrotation=45)
    if chart.series:
        axes.legend(loc="upper left", fontsize=8, frameon=False)
    return figure

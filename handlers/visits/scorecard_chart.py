"""The monthly scorecard as a picture (SPEC §9): one panel per team, three bars per
salesperson — visits planned, planned visits done, all visits made — and the completion rate
at the end of each row.

Drawn with matplotlib's Agg canvas (no display, no global pyplot state, safe in a bot
process). Chinese names need a CJK font: the one `handlers/weekly_chart.cjk_font` finds
(a known family matplotlib sees, else what `fc-list :lang=zh` names, else the usual font
folders), so both charts draw with the same font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.digest.weekly_chart import cjk_font

PLANNED, DONE, ACTUAL = "#c9d8ee", "#2f6db5", "#f0a04b"


@dataclass(frozen=True)
class Bar:
    """One salesperson's row."""

    name: str
    planned: int
    done: int
    actual: int
    rate: str  # already formatted ("75%", or "—" with nothing planned)


@dataclass(frozen=True)
class Panel:
    """One team: its title ("王经理 的团队 · 完成率 75%") and its rows."""

    title: str
    bars: Sequence[Bar]


@dataclass(frozen=True)
class Legend:
    planned: str
    done: str
    actual: str


@dataclass(frozen=True)
class Chart:
    png: bytes
    font: str | None  # the CJK family drawn with; None when the machine has none


def draw(title: str, panels: Sequence[Panel], legend: Legend) -> Chart:
    """A PNG with a panel per team, stacked, each as tall as its team is large."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    props = FontProperties(family=families, size=10)
    heads = FontProperties(family=families, size=11)  # CJK fonts often have no bold face
    sizes = [max(len(p.bars), 1) for p in panels] or [1]
    figure = Figure(figsize=(8.0, 1.2 + sum(0.75 * n + 0.9 for n in sizes)), dpi=110)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontproperties=heads, x=0.02, ha="left")
    grid = figure.add_gridspec(len(sizes), 1, height_ratios=sizes)
    top = max([max(b.planned, b.actual) for p in panels for b in p.bars] + [1])
    height = 0.26
    for index, panel in enumerate(panels):
        axes = figure.add_subplot(grid[index])
        rows = list(range(len(panel.bars)))
        for offset, field, color, label in (
            (-height, "planned", PLANNED, legend.planned),
            (0.0, "done", DONE, legend.done),
            (height, "actual", ACTUAL, legend.actual),
        ):
            values = [getattr(b, field) for b in panel.bars]
            bars = axes.barh([r + offset for r in rows], values, height, color=color, label=label)
            axes.bar_label(
                bars, [str(v) if v else "" for v in values], padding=2, fontproperties=props
            )
        for row, bar in zip(rows, panel.bars, strict=True):
            axes.annotate(
                bar.rate,
                (1.0, row),
                xycoords=("axes fraction", "data"),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontproperties=heads,
            )
        axes.set_yticks(rows)
        axes.set_yticklabels([b.name for b in panel.bars], fontproperties=props)
        axes.invert_yaxis()
        axes.set_xlim(0, top * 1.15)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(panel.title, fontproperties=props, loc="left")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if index == 0:
            figure.legend(prop=props, loc="upper right", ncols=3, frameon=False)
    figure.tight_layout(rect=(0, 0, 0.93, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Chart(buffer.getvalue(), font)

"""Chart geometry for the server-rendered SVG charts: pure functions from
numbers to shapes; the templates (`web/reports/_bars.html`, `_columns.html`)
draw them, each beside a table with the same numbers. No JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure printed at the end of the bar
    href: str
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - 70


def bar_chart(title: str, items: list[tuple[str, float | Decimal | int, str, str]], *,
              width: int = 520, bar_height: int = 22, gap: int = 8,
              label_width: int = 130) -> BarChart:
    """Horizontal bars, one per (label, value, text, href), scaled to the
    largest value (an all-zero chart draws no bar lengths)."""
    top = max((float(v) for _, v, _, _ in items), default=0.0)
    plot = width - label_width - 70
    bars = [Bar(label=label, text=text, href=href, y=i * (bar_height + gap),
                width=round(plot * float(v) / top, 1) if top > 0 else 0.0)
            for i, (label, v, text, href) in enumerate(items)]
    height = max(len(items) * (bar_height + gap) - gap, bar_height)
    return BarChart(title, width, height, label_width, bar_height, bars)


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class ColumnGroup:
    label: str
    x: float
    columns: list[Column]


@dataclass(frozen=True)
class ColumnChart:
    title: str
    width: int
    height: int
    plot_height: int
    column_width: int
    series: tuple[str, ...]
    groups: list[ColumnGroup]
    top: int


def column_chart(title: str, series: tuple[str, ...], rows: list[tuple[str, list[int]]], *,
                 plot_height: int = 160, column_width: int = 16, gap: int = 14) -> ColumnChart:
    """Grouped vertical columns: one group per (label, [value per series])."""
    top = max((v for _, values in rows for v in values), default=0)
    group_width = column_width * len(series) + gap
    groups = []
    for i, (label, values) in enumerate(rows):
        x0 = 40 + i * group_width
        columns = []
        for j, v in enumerate(values):
            h = round(plot_height * v / top, 1) if top > 0 else 0.0
            columns.append(Column(x=x0 + j * column_width, y=plot_height - h, height=h,
                                  value=v))
        groups.append(ColumnGroup(label=label, x=x0, columns=columns))
    width = 40 + max(len(rows), 1) * group_width + 10
    return ColumnChart(title, width, plot_height + 40, plot_height, column_width, series,
                       groups, top)

"""Charts of the bulletin as inline SVG (pygal): no script, no web font, nothing fetched, so
the page works offline and prints as vectors."""

from __future__ import annotations

import math
import re

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Microsoft YaHei', SimHei, sans-serif",
    colors=(
        "#1f5fa8",
        "#d9822b",
        "#3a9d5d",
        "#c23b3b",
        "#7a5ba6",
        "#8c6d31",
        "#5b8fa8",
        "#a83279",
        "#4d4d4d",
        "#b5b53a",
        "#2b9d9d",
        "#d46a6a",
        "#6a6ad4",
        "#9d6a2b",
        "#2bd46a",
        "#999999",
    ),
    title_font_size=15,
    legend_font_size=11,
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
)


def _config(title: str, **overrides) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "width": 760,
        "height": 320,
        "js": [],  # pygal's tooltips load a script from the web: none, so it works offline
        "disable_xml_declaration": True,
        "explicit_size": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "truncate_legend": -1,
        "truncate_label": -1,
        "print_values": False,
        "no_data_text": "无数据",
        **overrides,
    }


def _render(chart) -> str:
    # pygal inlines its config (labels included) as a script for its tooltips, which are off:
    # drop it, so no label can ever run as script and the page needs no JavaScript.
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def bars(
    title: str,
    labels: list[str],
    series: dict[str, list],
    percent: bool = False,
    stacked: bool = False,
) -> str:
    kind = pygal.StackedBar if stacked else pygal.Bar
    formatter = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.0f}")
    options = {"value_formatter": formatter, "x_label_rotation": -30 if len(labels) > 8 else 0}
    if not percent:  # whole-number ticks: counts and money have no fractional steps
        values = [float(v) for vs in series.values() for v in vs if v is not None]
        top = sum(values) if stacked else max(values, default=0)
        step = max(1, math.ceil(top / 8))
        options["y_labels"] = list(range(0, math.ceil(top) + step + 1, step))
    chart = kind(**_config(title, **options))
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, [None if v is None else float(v) for v in values])
    return _render(chart)


def lines(title: str, labels: list[str], series: dict[str, list], dashed: set[str]) -> str:
    chart = pygal.Line(**_config(title, value_formatter=lambda v: f"{v:.2f}‰", dots_size=3))
    chart.x_labels = labels
    for name, values in series.items():
        stroke = {"dasharray": "6, 4", "width": 2} if name in dashed else {"width": 2}
        chart.add(name, [None if v is None else float(v) for v in values], stroke_style=stroke)
    return _render(chart)

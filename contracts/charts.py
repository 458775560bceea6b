"""Charts of SLA results, drawn on the server as SVG with pygal.

An SVG made on the server needs no script in the page (the CSP allows none
inline) and can go into PDFs later. pygal's JavaScript is switched off and
its configuration script removed, so the image fetches and runs nothing; its
styles stay inline in the SVG (the chart's own response allows them).

Values are drawn as floats: a chart is a picture of the figures, never money
or a figure anyone computes with; the page's data table shows the exact
values.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pygal
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from pygal.style import Style

from contracts.models import SlaMetric, SlaOutcome
from contracts.queries.common import OUTCOME_LABELS
from contracts.queries.results import SeriesPoint
from vendors.models import Better

#: Actual, target, breached, critical breach (Bootstrap's primary, secondary,
#: orange and danger colours, so the chart reads like the badges of the table).
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    colors=("#0d6efd", "#6c757d", "#fd7e14", "#dc3545"),
    guide_stroke_color="#dee2e6",
    major_guide_stroke_color="#ced4da",
)


def _without_scripts(root):
    """Drop every <script> pygal writes (its configuration), whatever ``js`` says."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def month_label(period) -> str:
    """A month on the x axis, short, in the reader's language ("Jan 2026")."""
    return format_date(period, "MMM y")


def _number(value: float | None) -> str:
    return "" if value is None else format_decimal(Decimal(str(value)).normalize())


def _point(point: SeriesPoint, value: Decimal | None, what: str) -> dict | None:
    """A point with its month and what it is as text, so the SVG carries the data."""
    if value is None:
        return None
    return {"value": float(value), "label": f"{month_label(point.period)} · {what}"}


def metric_chart(metric: SlaMetric, points: Sequence[SeriesPoint]) -> str:
    """The SVG of one metric over time: actual against target, breaches marked."""
    direction = _("higher is better") if metric.better is Better.HIGHER else _("lower is better")
    chart = pygal.Line(
        js=[],
        style=STYLE,
        width=800,
        height=360,
        # Width and height on the <svg>, so that an <img> has an intrinsic size.
        explicit_size=True,
        title=_("%(metric)s: actual against target", metric=metric.name),
        y_title=f"{metric.unit} ({direction})",
        x_label_rotation=30,
        show_minor_x_labels=len(points) <= 12,
        x_labels_major_every=3 if len(points) > 12 else None,
        truncate_label=-1,
        truncate_legend=-1,
        legend_at_bottom=True,
        allow_interruptions=True,
        value_formatter=_number,
        no_data_text=_("No accepted period yet"),
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = [month_label(point.period) for point in points]
    chart.add(
        _("Actual"),
        [_point(point, point.actual, str(OUTCOME_LABELS[point.outcome])) for point in points],
    )
    chart.add(
        _("Target"),
        [_point(point, point.target, _("target")) for point in points],
        # Small dots: the line reads as a line, and each month keeps its target as text.
        dots_size=1,
        stroke_style={"width": 3, "linecap": "round"},
    )
    for outcome, size in ((SlaOutcome.BREACHED, 5), (SlaOutcome.CRITICAL, 7)):
        label = str(OUTCOME_LABELS[outcome])
        chart.add(
            label,
            [
                _point(point, point.actual, label) if point.outcome is outcome else None
                for point in points
            ],
            stroke=False,
            dots_size=size,
        )
    return chart.render(is_unicode=True)

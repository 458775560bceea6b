"""Charts of savings, drawn once on the server as SVG with pygal: the pages show them
as images, the PDF report prints the same SVG inline.

Like ``contracts.charts``: pygal's JavaScript is switched off and its configuration
script removed, so the image fetches and runs nothing; its styles stay inline in
the SVG (the chart's own response allows them). Labels are in the reader's
language.

Values are drawn as floats (a chart is a picture of the figures); every point
carries its exact amount as text, formatted as the pages format money, in its
``<title>``: the data table of the page is the charts' text alternative, and
tests read the figures there.

One chart, one currency: amounts are never mixed nor converted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import pygal
from babel.numbers import format_compact_currency
from flask_babel import get_locale
from flask_babel import gettext as _
from pygal.style import Style

from billing.queries.savings import CostMonth, CurrencySavings, FunctionSavings
from contracts.charts import _without_scripts, month_label
from portal.i18n import money, period

#: The charts of the organization's page and those of one function's page.
ORGANIZATION_CHARTS = ("baseline", "cumulative", "functions")
FUNCTION_CHARTS = ("baseline", "cumulative")

BASELINE_COLOUR = "#6c757d"
OUTSOURCED_COLOUR = "#0d6efd"
SAVING_COLOUR = "#198754"
LOSS_COLOUR = "#dc3545"
BREAK_EVEN_COLOUR = "#fd7e14"

WIDTH, HEIGHT = 800, 360
LINE = {"width": 2.5, "linecap": "round", "linejoin": "round"}


def _style(*colours: str) -> Style:
    """Bootstrap's colours, so the charts read like the rest of the portal."""
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#212529",
        foreground_strong="#212529",
        foreground_subtle="#6c757d",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        colors=colours,
        guide_stroke_color="#dee2e6",
        major_guide_stroke_color="#ced4da",
        label_font_size=11,
        value_label_font_size=12,
    )


def _without_legend_ids(root):
    """Drop the ids pygal gives its legends for its script ("activate-serie-0"): the
    same in every chart, they would repeat when the report prints several inline."""
    for node in root.iter():
        if isinstance(node.tag, str) and (node.get("id") or "").startswith("activate-serie"):
            del node.attrib["id"]
    return root


def _axis_money(currency: str):
    """Amounts on an axis, short ("€120K", "120 k €") in the reader's language."""

    def formatter(value: float | None) -> str:
        if value is None:
            return ""
        return format_compact_currency(
            Decimal(str(value)), currency, locale=str(get_locale() or "en"), fraction_digits=1
        )

    return formatter


def _point(amount: Decimal, text: str, **extra) -> dict:
    """A point with its exact amount as text (its SVG ``<title>``)."""
    return {"value": float(amount), "tooltip": text, **extra}


def _month_point(month: CostMonth, what: str, amount: Decimal, currency: str) -> dict:
    return _point(amount, f"{month_label(month.period)} · {what}: {money(amount, currency)}")


def _line_chart(title: str, months: Sequence[CostMonth], currency: str, *colours: str, **options):
    chart = pygal.Line(
        js=[],
        style=_style(*colours),
        width=WIDTH,
        height=HEIGHT,
        # Width and height on the <svg>, so that an <img> has an intrinsic size.
        explicit_size=True,
        title=title,
        x_label_rotation=30,
        show_minor_x_labels=len(months) <= 12,
        x_labels_major_every=3 if len(months) > 12 else None,
        truncate_label=-1,
        truncate_legend=-1,
        legend_at_bottom=True,
        value_formatter=_axis_money(currency),
        no_data_text=_("No month is over yet"),
        **options,
    )
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(_without_legend_ids)
    chart.x_labels = [month_label(month.period) for month in months]
    return chart


def baseline_chart(entry: CurrencySavings) -> str:
    """The in-house baseline against the actual outsourced cost, month by month."""
    currency = entry.currency
    series = []
    if entry.has_baseline:
        series.append((_("In-house baseline"), BASELINE_COLOUR, "baseline"))
    series.append((_("Outsourced cost"), OUTSOURCED_COLOUR, "outsourced"))
    chart = _line_chart(
        _("Baseline against outsourced cost, in %(currency)s", currency=currency),
        entry.months,
        currency,
        *(colour for _label, colour, _attribute in series),
        include_x_axis=True,
    )
    for label, _colour, attribute in series:
        chart.add(
            label,
            [
                _month_point(month, label, getattr(month, attribute), currency)
                for month in entry.months
            ],
            stroke_style=LINE,
        )
    return chart.render(is_unicode=True)


def cumulative_chart(entry: CurrencySavings) -> str:
    """The cumulative saving month by month, the break-even month marked and named."""
    currency = entry.currency
    label = _("Cumulative saving")
    chart = _line_chart(
        _("Cumulative saving, in %(currency)s", currency=currency),
        entry.months,
        currency,
        SAVING_COLOUR,
        BREAK_EVEN_COLOUR,
        include_x_axis=True,
        # Only the break-even point has a label: it is printed next to its marker.
        print_labels=True,
    )
    chart.add(
        label,
        [_month_point(month, label, month.cumulative, currency) for month in entry.months],
        stroke_style=LINE,
    )
    if entry.break_even is not None:
        marker = _("Break-even: %(month)s", month=period(entry.break_even))
        chart.add(
            _("Break-even"),
            [
                _point(
                    month.cumulative,
                    f"{marker} · {label}: {money(month.cumulative, currency)}",
                    label=marker,
                )
                if month.period == entry.break_even
                else None
                for month in entry.months
            ],
            stroke=False,
            dots_size=8,
        )
    else:
        chart.add(_("Break-even not reached"), [], stroke=False)
    return chart.render(is_unicode=True)


def functions_chart(functions: Sequence[FunctionSavings], currency: str) -> str:
    """The period's total saving of each function billed in ``currency`` (horizontal bars,
    green for a saving, red for a function that costs more than in-house)."""
    rows = [
        (entry.function.name, in_currency.saving_total)
        for entry in functions
        if (in_currency := entry.in_currency(currency)) is not None and in_currency.months
    ]
    # Stacked, so that each function has one bar in one of two series (a colour per
    # series: no style attribute, which WeasyPrint would not read).
    chart = pygal.HorizontalStackedBar(
        js=[],
        style=_style(SAVING_COLOUR, LOSS_COLOUR),
        width=WIDTH,
        height=max(HEIGHT // 2, 110 + 48 * len(rows)),
        explicit_size=True,
        title=_("Saving by function over the period, in %(currency)s", currency=currency),
        truncate_label=-1,
        truncate_legend=-1,
        legend_at_bottom=True,
        include_x_axis=True,
        value_formatter=_axis_money(currency),
        no_data_text=_("No month is over yet"),
    )
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(_without_legend_ids)
    chart.x_labels = [name for name, _amount in rows]
    saving = _("Saving")
    for label, is_loss in ((saving, False), (_("Extra cost"), True)):
        chart.add(
            label,
            [
                _point(amount, f"{name} · {saving}: {money(amount, currency)}")
                if (amount < 0) == is_loss
                else None
                for name, amount in rows
            ],
        )
    return chart.render(is_unicode=True)


def organization_chart(
    name: str,
    functions: Sequence[FunctionSavings],
    totals: Sequence[CurrencySavings],
    currency: str,
) -> str | None:
    """One of ``ORGANIZATION_CHARTS`` in ``currency``; None for a name that is not one."""
    if name == "functions":
        return functions_chart(functions, currency)
    entry = next((total for total in totals if total.currency == currency), None)
    return _currency_chart(name, entry or _empty(currency))


def function_chart(name: str, savings: FunctionSavings, currency: str) -> str | None:
    """One of ``FUNCTION_CHARTS`` of one function in ``currency``; None for another name."""
    return _currency_chart(name, savings.in_currency(currency) or _empty(currency))


def _currency_chart(name: str, entry: CurrencySavings) -> str | None:
    if name == "baseline":
        return baseline_chart(entry)
    if name == "cumulative":
        return cumulative_chart(entry)
    return None


def _empty(currency: str) -> CurrencySavings:
    zero = Decimal("0")
    return CurrencySavings(
        currency=currency,
        months=[],
        baseline_total=zero,
        outsourced_total=zero,
        saving_total=zero,
        saving_percent=None,
        break_even=None,
        npv=zero,
        in_house_unit_cost=None,
    )


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


def inline(svg: str) -> str:
    """An SVG document as an element to print inside HTML (the PDF report)."""
    return _XML_DECLARATION.sub("", svg)

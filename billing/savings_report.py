"""The PDF savings report: for a period and a scope (the whole organization or one
function), the totals per currency, the charts, the tables and the method in words.

Jinja renders HTML and ``billing.pdf`` prints it with WeasyPrint, fetching nothing
but the portal's static files; the charts are the pages' own SVG
(``billing.savings_charts``), printed inline. The report is drawn when asked for
and never stored: it is a picture of the figures of the day, not a legal document.
It is in the reader's language (the request's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import render_template
from markupsafe import Markup

from billing import savings_charts as charts
from billing.pdf import html_to_pdf
from billing.queries import savings as queries
from portal.db import utcnow
from portal.models import BackOfficeFunction, Organization

TEMPLATE = "billing/savings/report_pdf.html"


@dataclass(frozen=True)
class CurrencySection:
    """The figures of one currency and their charts (inline SVG)."""

    entry: queries.CurrencySavings
    charts: list[Markup]


@dataclass(frozen=True)
class SavingsReport:
    #: The client the report is about.
    organization: Organization
    #: None: the whole organization.
    function: BackOfficeFunction | None
    #: The months asked for (None: from the first / up to the last closed month).
    start: date | None
    end: date | None
    last_closed: date
    generated_at: datetime
    settings: object
    sections: list[CurrencySection]
    #: Every function of the organization (the whole organization's report).
    functions: list[queries.FunctionSavings]
    #: One function's savings (its report).
    savings: queries.FunctionSavings | None = None

    @property
    def first_period(self) -> date | None:
        periods = [section.entry.first_period for section in self.sections if section.entry.months]
        return self.start or (min(periods) if periods else None)

    @property
    def last_period(self) -> date:
        return self.end or self.last_closed


def _inline(svg: str) -> Markup:
    # pygal writes the SVG through an XML serializer: every text in it is escaped.
    return Markup(charts.inline(svg))  # noqa: S704


def organization_report(
    organization: Organization, start: date | None = None, end: date | None = None
) -> SavingsReport:
    """The report of every function of the current client."""
    settings = queries.settings_of_current()
    functions = queries.organization_savings(start=start, end=end)
    totals = queries.organization_totals(functions, settings)
    sections = [
        CurrencySection(
            entry,
            [
                _inline(charts.baseline_chart(entry)),
                _inline(charts.cumulative_chart(entry)),
                _inline(charts.functions_chart(functions, entry.currency)),
            ],
        )
        for entry in totals
    ]
    return SavingsReport(
        organization=organization,
        function=None,
        start=start,
        end=end,
        last_closed=queries.last_closed_month(),
        generated_at=utcnow(),
        settings=settings,
        sections=sections,
        functions=functions,
    )


def function_report(
    organization: Organization,
    function: BackOfficeFunction,
    start: date | None = None,
    end: date | None = None,
) -> SavingsReport:
    """The report of one function of the current client."""
    savings = queries.function_savings(function, start=start, end=end)
    sections = [
        CurrencySection(
            entry,
            [_inline(charts.baseline_chart(entry)), _inline(charts.cumulative_chart(entry))],
        )
        for entry in savings.by_currency
    ]
    return SavingsReport(
        organization=organization,
        function=function,
        start=start,
        end=end,
        last_closed=queries.last_closed_month(),
        generated_at=utcnow(),
        settings=queries.settings_of_current(),
        sections=sections,
        functions=[savings],
        savings=savings,
    )


def render_html(report: SavingsReport) -> str:
    """The report as HTML for printing, in the current language."""
    return render_template(TEMPLATE, report=report, settings=report.settings)


def render_pdf(report: SavingsReport) -> bytes:
    return html_to_pdf(render_html(report))


def filename(report: SavingsReport) -> str:
    scope = f"function-{report.function.id}" if report.function else "all"
    return f"savings-report-{scope}-{report.generated_at:%Y-%m-%d}.pdf"

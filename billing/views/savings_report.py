"""The savings charts as images and the PDF savings report.

The charts are SVG drawn on the server (``billing.savings_charts``), served as
images under their own policy like ``contracts.metric_chart``; they read the
page's query string (``period_from``, ``period_to``) and a ``currency``. The PDF
report is drawn when asked for and never stored.

All of it is the client's alone: a vendor finds none of it (404).
"""

from __future__ import annotations

from flask import Response, abort, g, request
from werkzeug.datastructures import MultiDict

from billing import bp
from billing import savings_charts as charts
from billing import savings_report as reports
from billing.forms.savings import SavingsPeriodForm
from billing.queries import savings as queries
from contracts.views.results import CHART_CONTENT_SECURITY_POLICY
from portal import tenancy
from portal.models import BackOfficeFunction
from portal.security import READ, requires

#: The report's own names for the period, as short aliases of the page's.
PERIOD_ALIASES = (("from", "period_from"), ("to", "period_to"))


def _period():
    """The months asked for: the page's ``period_from``/``period_to`` (or ``from``/``to``)."""
    args = MultiDict(request.args)
    for alias, name in PERIOD_ALIASES:
        if not args.get(name) and args.get(alias):
            args[name] = args[alias]
    return SavingsPeriodForm(args).months()


def _currency(available: list[str], fallback: str) -> str:
    asked = (request.args.get("currency") or "").strip().upper()[:3]
    return asked or (available[0] if available else fallback)


def _svg(svg: str | None) -> Response:
    if svg is None:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/savings/charts/<name>.svg")
@requires(*READ, side="client")
def savings_chart(name: str):
    if name not in charts.ORGANIZATION_CHARTS:
        abort(404)
    start, end = _period()
    settings = queries.settings_of_current()
    functions = queries.organization_savings(start=start, end=end)
    totals = queries.organization_totals(functions, settings)
    currency = _currency([entry.currency for entry in totals], g.organization.default_currency)
    return _svg(charts.organization_chart(name, functions, totals, currency))


@bp.get("/savings/functions/<int:function_id>/charts/<name>.svg")
@requires(*READ, side="client")
def function_savings_chart(function_id: int, name: str):
    function = tenancy.get_or_404(BackOfficeFunction, function_id)
    if name not in charts.FUNCTION_CHARTS:
        abort(404)
    start, end = _period()
    savings = queries.function_savings(function, start=start, end=end)
    currency = _currency(savings.currencies, function.currency)
    return _svg(charts.function_chart(name, savings, currency))


@bp.get("/savings/report.pdf")
@requires(*READ, side="client")
def savings_report():
    scope = request.args.get("scope", "all")
    start, end = _period()
    if scope == "all":
        report = reports.organization_report(g.organization, start, end)
    elif scope.isdigit():
        function = tenancy.get_or_404(BackOfficeFunction, int(scope))
        report = reports.function_report(g.organization, function, start, end)
    else:
        abort(404)
    response = Response(reports.render_pdf(report), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{reports.filename(report)}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

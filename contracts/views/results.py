"""SLA results: a contract's history, its charts and CSV export, and scorecards.

Both parties read a contract's results; the scorecard of a vendor across its
clients is the vendor's own page, the ranking of vendors and one vendor's
scorecard with this client are the client's.
"""

from __future__ import annotations

import csv
import io

from flask import Response, g, render_template
from flask_babel import gettext as _

from contracts import bp, charts
from contracts.queries import results as queries
from contracts.queries.common import OUTCOME_LABELS, contract_or_404
from portal.security import READ, requires

#: The chart's own policy: pygal styles its SVG with a <style> element; nothing else.
CHART_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@bp.get("/contracts/<int:contract_id>/results")
@requires(*READ)
def results(contract_id: int):
    contract = contract_or_404(contract_id)
    return render_template(
        "contracts/results/results.html",
        contract=contract,
        history=queries.contract_results(contract),
    )


def _csv_columns() -> list[str]:
    return [
        _("Period"),
        _("Code"),
        _("Metric"),
        _("Unit"),
        _("Target"),
        _("Actual"),
        _("Outcome"),
        _("Credit percent"),
        _("Credit amount"),
        _("Period fees"),
        _("Period credit before cap"),
        _("Period credit after cap"),
        _("Currency"),
    ]


def _text(value) -> str:
    return "" if value is None else str(value)


@bp.get("/contracts/<int:contract_id>/results.csv")
@requires(*READ)
def results_csv(contract_id: int):
    contract = contract_or_404(contract_id)
    history = queries.contract_results(contract)
    metrics = {metric.id: metric for version in contract.versions for metric in version.metrics}
    buffer = io.StringIO()
    # A byte-order mark, so that Excel reads the file as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(_csv_columns())
    for period in history.periods:
        for result in period.metrics:
            metric = metrics.get(result.metric_id)
            writer.writerow(
                [
                    f"{period.period:%Y-%m}",
                    result.code,
                    metric.name if metric else result.code,
                    metric.unit if metric else "",
                    _text(result.target),
                    _text(result.actual),
                    str(OUTCOME_LABELS[result.outcome]),
                    _text(result.credit_percent),
                    _text(result.credit_amount),
                    _text(period.fees),
                    _text(period.credit_uncapped),
                    _text(period.credit_amount),
                    history.currency,
                ]
            )
    filename = f"sla-results-contract-{contract.id}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/contracts/<int:contract_id>/metrics/<int:metric_id>/chart.svg")
@requires(*READ)
def metric_chart(contract_id: int, metric_id: int):
    contract = contract_or_404(contract_id)
    # Any version's metric names the series: a chart follows its code across amendments.
    metric = queries.metric_or_404(contract, metric_id)
    latest = queries.metrics_by_code(contract)[metric.code]
    svg = charts.metric_chart(latest, queries.metric_series(contract, metric.code))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/scorecard")
@requires(*READ, side="vendor")
def scorecard():
    return render_template(
        "contracts/results/scorecard.html",
        scorecard=queries.vendor_own_scorecard(g.organization.id),
        vendor=None,
    )


@bp.get("/vendor-performance")
@requires(*READ, side="client")
def vendor_ranking():
    return render_template(
        "contracts/results/vendor_ranking.html",
        ranking=queries.vendor_ranking(g.organization.id),
        since=queries.last_months_start(),
    )


@bp.get("/vendor-performance/<int:vendor_id>")
@requires(*READ, side="client")
def vendor_scorecard(vendor_id: int):
    vendor = queries.client_vendor_or_404(g.organization.id, vendor_id)
    return render_template(
        "contracts/results/scorecard.html",
        scorecard=queries.client_vendor_scorecard(g.organization.id, vendor.id),
        vendor=vendor,
    )

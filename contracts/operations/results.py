"""SLA results of a period, computed once when its delivery report is accepted.

An accepted report is frozen, and so are its results: they are stored with
it (one row per metric, the period's fees and credits on the report), so that
history, scorecards and invoices read them in a few queries instead of
evaluating every period again. The version of the terms in force on the
period's first day decides targets, credits and the cap.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

from contracts import REPORT_REVIEWERS, REPORTERS
from contracts.models import DeliveryReport, SlaOutcome, SlaResult
from contracts.rules import is_breach, period_fees, service_credits, sla_outcome
from portal.models import Role, User
from portal.notifications.service import link_to, members_of, notify, notify_organization
from portal.tenancy import organization_context

log = logging.getLogger(__name__)


def record_results(report: DeliveryReport, *, notify_breaches: bool = True) -> list[SlaResult]:
    """Evaluate an accepted report against its terms and store the period's SLA results.

    ``notify_breaches=False`` is for history loaded after the fact (the demo):
    nobody is told of a breach a year old.
    """
    contract = report.contract
    version = report.contract_version
    currency = contract.currency
    volumes = {volume.line_id: volume.quantity for volume in report.volumes}
    fees = period_fees(
        ((line.code, line.rate) for line in version.fixed_lines),
        ((line.code, line.rate, volumes.get(line.id, 0)) for line in version.unit_lines),
        version.monthly_minimum,
        currency,
    )
    values = {measurement.metric_id: measurement.value for measurement in report.measurements}
    outcomes = {
        metric.code: (
            sla_outcome(
                values.get(metric.id), metric.target, metric.better, metric.critical_threshold
            ),
            metric.credit_percent,
        )
        for metric in version.metrics
    }
    credits = service_credits(outcomes, fees.total, version.credit_cap_percent, currency)
    by_code = {credit.code: credit for credit in credits.metrics}
    report.results = [
        SlaResult(
            metric_id=metric.id,
            code=metric.code,
            period=report.period,
            target=metric.target,
            actual=values.get(metric.id),
            outcome=by_code[metric.code].outcome,
            credit_percent=by_code[metric.code].credit_percent,
            credit_amount=by_code[metric.code].amount,
        )
        for metric in version.metrics
    ]
    report.fees_amount = fees.total
    report.credit_uncapped = credits.uncapped
    report.credit_amount = credits.total
    report.metrics_total = len(report.results)
    report.metrics_met = sum(1 for result in report.results if not is_breach(result.outcome))
    if notify_breaches:
        _tell_of_breaches(report)
    log.info(
        "report %s: %s/%s metrics met, credit %s %s",
        report.id,
        report.metrics_met,
        report.metrics_total,
        report.credit_amount,
        currency,
    )
    return report.results


def _tell_of_breaches(report: DeliveryReport) -> None:
    """A breach tells both parties; a critical one also the client's admins and the
    function's department manager."""
    breached = [result for result in report.results if is_breach(result.outcome)]
    if not breached:
        return
    contract = report.contract
    critical = [result for result in breached if result.outcome is SlaOutcome.CRITICAL]
    names = {metric.id: metric.name for metric in report.contract_version.metrics}
    period = f"{report.period:%Y-%m}"
    body = _l(
        "%(count)s service level(s) missed in %(period)s: %(metrics)s. Service credit: "
        "%(credit)s %(currency)s.",
        count=len(breached),
        period=period,
        metrics=", ".join(names[result.metric_id] for result in breached),
        credit=report.credit_amount,
        currency=contract.currency,
    )
    link = link_to("contracts.results", contract_id=contract.id)
    title = _l("Service levels missed on %(contract)s", contract=contract.title)
    notify_organization(
        contract.client_organization_id,
        REPORT_REVIEWERS,
        "contract.sla_breached",
        title,
        body,
        link,
    )
    notify_organization(
        contract.vendor_organization_id, REPORTERS, "contract.sla_breached", title, body, link
    )
    if critical:
        critical_title = _l("Critical SLA breach on %(contract)s", contract=contract.title)
        # One list, so that a manager who is also an admin is told once.
        recipients: list[User] = members_of(contract.client_organization_id, (Role.ADMIN,))
        with organization_context(contract.client_organization_id):
            function = contract.function
            manager = function.department.manager if function is not None else None
            if manager is not None:
                recipients.append(manager)
            notify(recipients, "contract.sla_critical", critical_title, body, link)

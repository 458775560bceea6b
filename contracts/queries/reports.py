"""Read-only queries of delivery reports: the periods of a term and the state of
each, a report with its values, the versions of a period.

A draft is the vendor's work in progress: the client never reads one (the
wall, ``DeliveryReport.visible_to``), it sees the period as not reported.
"Late" is computed from dates here, never from the chasing job having run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload, with_parent

from contracts.models import (
    Contract,
    DeliveryReport,
    RateCardLine,
    ReportMeasurement,
    ReportStatus,
    ReportVolume,
    SlaMetric,
    SlaOutcome,
    SlaResult,
)
from contracts.reporting import reportable_periods
from contracts.rules import month_end, periods_between
from portal import db

#: Statuses by which a period counts as reported (the vendor did its part).
REPORTED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


def _with_values(statement):
    return statement.options(
        selectinload(DeliveryReport.volumes).joinedload(ReportVolume.line),
        selectinload(DeliveryReport.measurements).joinedload(ReportMeasurement.metric),
        selectinload(DeliveryReport.results),
        joinedload(DeliveryReport.submitted_by),
        joinedload(DeliveryReport.reviewed_by),
    )


def report_or_404(contract: Contract, report_id: int) -> DeliveryReport:
    """A report of ``contract`` with its values (a draft is a 404 for the client)."""
    statement = select(DeliveryReport).where(
        with_parent(contract, Contract.reports), DeliveryReport.id == report_id
    )
    report = db.session.scalars(_with_values(statement)).one_or_none()
    if report is None:
        abort(404)
    return report


def period_versions(contract: Contract, period: date) -> list[DeliveryReport]:
    """Every version of the period's report that the current party reads, oldest first."""
    statement = select(DeliveryReport).where(
        DeliveryReport.contract_id == contract.id, DeliveryReport.period == period
    )
    statement = statement.order_by(DeliveryReport.version)
    return list(db.session.scalars(statement.options(joinedload(DeliveryReport.submitted_by))))


def reports_statement(contract: Contract, period: date | None = None):
    """The contract's reports the current party reads, newest period first (API lists)."""
    statement = select(DeliveryReport).where(DeliveryReport.contract_id == contract.id)
    if period is not None:
        statement = statement.where(DeliveryReport.period == period)
    return _with_values(statement).order_by(
        DeliveryReport.period.desc(), DeliveryReport.version.desc()
    )


@dataclass(frozen=True)
class PeriodRow:
    """One month of the term on the reports page."""

    period: date
    #: The latest version the current party reads; None when nothing was reported.
    report: DeliveryReport | None
    #: The month is over and no report was submitted or accepted.
    late: bool
    #: A draft of the vendor's (the vendor's page only).
    draft: DeliveryReport | None
    versions: int

    @property
    def status(self) -> ReportStatus | None:
        return self.report.status if self.report is not None else None


def period_rows(contract: Contract, today: date) -> list[PeriodRow]:
    """Every period of the term up to this month, newest first, with its report's state.

    One query whatever the number of periods.
    """
    first, last = reportable_periods(contract, today)
    statement = select(DeliveryReport).where(DeliveryReport.contract_id == contract.id)
    reports = list(
        db.session.scalars(statement.order_by(DeliveryReport.period, DeliveryReport.version))
    )
    by_period: dict[date, list[DeliveryReport]] = {}
    for report in reports:
        by_period.setdefault(report.period, []).append(report)
    rows = []
    for period in reversed(periods_between(first, last) if last >= first else []):
        versions = by_period.get(period, [])
        published = [report for report in versions if report.status is not ReportStatus.DRAFT]
        draft = next((r for r in versions if r.status is ReportStatus.DRAFT), None)
        reported = any(report.status in REPORTED_STATUSES for report in versions)
        rows.append(
            PeriodRow(
                period=period,
                report=versions[-1] if versions else None,
                late=month_end(period) < today and not reported,
                draft=draft,
                versions=len(published),
            )
        )
    return rows


def awaiting_review(contract: Contract) -> list[DeliveryReport]:
    """The submitted reports the client has not reviewed yet, oldest period first."""
    statement = (
        select(DeliveryReport)
        .where(
            DeliveryReport.contract_id == contract.id,
            DeliveryReport.status == ReportStatus.SUBMITTED,
        )
        .order_by(DeliveryReport.period)
    )
    return list(db.session.scalars(statement))


def next_period_to_report(contract: Contract, today: date) -> date | None:
    """The earliest period of the term so far without a submitted or accepted report,
    else the latest one; None before the contract starts."""
    first, last = reportable_periods(contract, today)
    if last < first:
        return None
    statement = select(DeliveryReport.period).where(
        DeliveryReport.contract_id == contract.id,
        DeliveryReport.status.in_(REPORTED_STATUSES),
    )
    reported = set(db.session.scalars(statement))
    for period in periods_between(first, last):
        if period not in reported:
            return period
    return last


@dataclass(frozen=True)
class ValueRow:
    """One value of a report, beside what the terms say of it."""

    code: str
    name: str
    unit: str
    #: "volume" (a unit-rate line) or "measurement" (a metric).
    kind: str
    value: Decimal | None
    note: str
    dispute_reason: str | None
    item: ReportVolume | ReportMeasurement | None
    metric: SlaMetric | None = None
    line: RateCardLine | None = None
    result: SlaResult | None = None

    @property
    def outcome(self) -> SlaOutcome | None:
        return self.result.outcome if self.result is not None else None


def value_rows(report: DeliveryReport) -> list[ValueRow]:
    """The report's volumes then measurements, in the order of its terms."""
    version = report.contract_version
    volumes = {volume.line_id: volume for volume in report.volumes}
    measurements = {measurement.metric_id: measurement for measurement in report.measurements}
    results = {result.metric_id: result for result in report.results}
    rows = []
    for line in version.unit_lines:
        volume = volumes.get(line.id)
        rows.append(
            ValueRow(
                code=line.code,
                name=line.description,
                unit=line.unit,
                kind="volume",
                value=volume.quantity if volume else None,
                note=volume.note if volume else "",
                dispute_reason=volume.dispute_reason if volume else None,
                item=volume,
                line=line,
            )
        )
    for metric in version.metrics:
        measurement = measurements.get(metric.id)
        rows.append(
            ValueRow(
                code=metric.code,
                name=metric.name,
                unit=metric.unit,
                kind="measurement",
                value=measurement.value if measurement else None,
                note=measurement.note if measurement else "",
                dispute_reason=measurement.dispute_reason if measurement else None,
                item=measurement,
                metric=metric,
                result=results.get(metric.id),
            )
        )
    return rows


def form_data(report: DeliveryReport) -> dict:
    """What the report form shows of a saved report, by code."""
    return {
        "volumes": {volume.line.code: (volume.quantity, volume.note) for volume in report.volumes},
        "values": {
            measurement.metric.code: (measurement.value, measurement.note)
            for measurement in report.measurements
        },
        "comment": report.comment,
    }

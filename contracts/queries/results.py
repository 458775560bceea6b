"""Read-only queries of SLA results: a contract's history, the series of one metric,
scorecards of a vendor and the client's ranking of its vendors.

Results were computed and frozen when each report was accepted
(``contracts.operations.results``), so nothing here evaluates a period again:
a contract's history is two statements (the accepted reports and their
results, joined to the reports so that the wall's criteria on
``DeliveryReport`` apply), and scorecards add up the reports' stored totals
in SQL (``GROUP BY`` period, contract or vendor). The number of statements
never depends on the number of months.

Credits are summed per currency: a vendor's contracts may be in several, and
amounts in different currencies are never added together.

Queries hand out plain dataclasses, so the pages, the CSV export, the charts
and the API show the same figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from contracts import rules
from contracts.models import (
    Contract,
    ContractStatus,
    DeliveryReport,
    ReportStatus,
    SlaMetric,
    SlaOutcome,
    SlaResult,
)
from portal import db
from portal.db import utcnow
from portal.models import Organization
from vendors.models import Better

#: How many periods "the last 12" covers, and how many earlier ones a trend
#: compares the latest period with.
WINDOW = 12

#: Contracts that a scorecard shows: signed ones, or sent for signature.
#: Drafts are the client's work in progress; cancelled ones never ran.
SCORED_STATUSES = (
    ContractStatus.SENT,
    ContractStatus.ACTIVE,
    ContractStatus.EXPIRED,
    ContractStatus.TERMINATED,
)


def today() -> date:
    """The date "the last 12 months" count back from (UTC, as every date in Relais)."""
    return utcnow().date()


def last_months_start(on: date | None = None) -> date:
    """First period of the last 12 months: the current month and the 11 before it."""
    return rules.add_months(rules.month_start(on or today()), -(WINDOW - 1))


def _trend(attainments: list[tuple[int, int]]) -> str:
    """Latest period's share of metrics met against the (weighted) average of the 12
    periods before it; ``attainments`` is (met, total) per period, oldest first."""
    if len(attainments) < 2:
        return "flat"
    met, total = attainments[-1]
    earlier = attainments[-WINDOW - 1 : -1]
    return rules.trend(
        rules.attainment(met, total),
        rules.attainment(sum(row[0] for row in earlier), sum(row[1] for row in earlier)),
    )


def _add_credit(credits: dict[str, Decimal], currency: str, amount: Decimal | None) -> None:
    credits[currency] = credits.get(currency, Decimal(0)) + (amount or Decimal(0))


# --- One contract's history -------------------------------------------------------------


@dataclass(frozen=True)
class MetricColumn:
    """A metric of the contract by its code, named as its latest version names it."""

    code: str
    #: The metric's id in the latest version that has it (links to its chart).
    metric_id: int
    name: str
    unit: str
    better: Better
    #: The target in that version (earlier periods may have had another one).
    target: Decimal
    #: Whether the current version still has it (an amendment may drop a metric).
    current: bool


@dataclass(frozen=True)
class MetricOutcome:
    """How one metric came out in one accepted period."""

    code: str
    metric_id: int
    target: Decimal
    #: None when the vendor did not report it (outcome ``missing``).
    actual: Decimal | None
    outcome: SlaOutcome
    credit_percent: Decimal
    #: Before the period's cap.
    credit_amount: Decimal
    currency: str

    @property
    def breached(self) -> bool:
        return rules.is_breach(self.outcome)


@dataclass
class PeriodResults:
    """An accepted period: its fees, its credits before and after the cap, each metric."""

    report_id: int
    period: date
    #: The report's version number (2 after a disputed first version).
    report_version: int
    currency: str
    fees: Decimal
    credit_uncapped: Decimal
    credit_amount: Decimal
    metrics_met: int
    metrics_total: int
    metrics: list[MetricOutcome] = field(default_factory=list)

    @property
    def attainment(self) -> Decimal | None:
        return rules.attainment(self.metrics_met, self.metrics_total)

    @property
    def capped(self) -> bool:
        """The cap reduced the period's credit."""
        return self.credit_uncapped > self.credit_amount

    def metric(self, code: str) -> MetricOutcome | None:
        return next((result for result in self.metrics if result.code == code), None)


@dataclass(frozen=True)
class SeriesPoint:
    period: date
    target: Decimal
    actual: Decimal | None
    outcome: SlaOutcome


@dataclass
class ContractResults:
    """A contract's accepted periods (oldest first) and what they add up to."""

    contract_id: int
    currency: str
    columns: list[MetricColumn]
    periods: list[PeriodResults]

    @property
    def latest(self) -> PeriodResults | None:
        return self.periods[-1] if self.periods else None

    @property
    def attainment_latest(self) -> Decimal | None:
        return self.latest.attainment if self.latest else None

    @property
    def last_periods(self) -> list[PeriodResults]:
        """The last 12 accepted periods."""
        return self.periods[-WINDOW:]

    @property
    def attainment_last_12(self) -> Decimal | None:
        periods = self.last_periods
        return rules.attainment(
            sum(period.metrics_met for period in periods),
            sum(period.metrics_total for period in periods),
        )

    @property
    def trend(self) -> str:
        return _trend([(period.metrics_met, period.metrics_total) for period in self.periods])

    @property
    def credit_latest(self) -> Decimal | None:
        return self.latest.credit_amount if self.latest else None

    @property
    def credit_total(self) -> Decimal:
        """Credits due over the term so far, after each period's cap."""
        return sum((period.credit_amount for period in self.periods), Decimal(0))

    @property
    def fees_total(self) -> Decimal:
        return sum((period.fees for period in self.periods), Decimal(0))

    @property
    def capped_periods(self) -> int:
        return sum(1 for period in self.periods if period.capped)

    def column(self, code: str) -> MetricColumn | None:
        return next((column for column in self.columns if column.code == code), None)

    def series(self, code: str) -> list[SeriesPoint]:
        """One metric over time, by code across versions (an amendment may move its target)."""
        points = []
        for period in self.periods:
            result = period.metric(code)
            if result is not None:
                points.append(
                    SeriesPoint(period.period, result.target, result.actual, result.outcome)
                )
        return points


def metrics_by_code(contract: Contract) -> dict[str, SlaMetric]:
    """Each metric code of the contract with its latest definition (versions are loaded)."""
    latest: dict[str, SlaMetric] = {}
    for version in contract.versions:
        for metric in version.metrics:
            latest[metric.code] = metric
    return latest


def metric_columns(contract: Contract) -> list[MetricColumn]:
    """The current version's metrics in their order, then those an amendment dropped."""
    current_codes = [metric.code for metric in contract.current_version.metrics]
    latest = metrics_by_code(contract)
    dropped = [code for code in latest if code not in current_codes]
    return [
        MetricColumn(
            code=code,
            metric_id=latest[code].id,
            name=latest[code].name,
            unit=latest[code].unit,
            better=latest[code].better,
            target=latest[code].target,
            current=code in current_codes,
        )
        for code in current_codes + dropped
    ]


def _accepted(contract: Contract):
    return (
        DeliveryReport.contract_id == contract.id,
        DeliveryReport.status == ReportStatus.ACCEPTED,
    )


def contract_results(contract: Contract) -> ContractResults:
    """The history of a contract's accepted periods, in two statements however long it is.

    ``contract`` comes from ``contract_or_404`` (its versions loaded); the
    results are read joined to their reports, so the wall on reports applies.
    """
    currency = contract.currency
    reports = db.session.execute(
        select(
            DeliveryReport.id,
            DeliveryReport.period,
            DeliveryReport.version,
            DeliveryReport.fees_amount,
            DeliveryReport.credit_uncapped,
            DeliveryReport.credit_amount,
            DeliveryReport.metrics_met,
            DeliveryReport.metrics_total,
        )
        .where(*_accepted(contract))
        .order_by(DeliveryReport.period)
    ).all()
    periods = {
        row.id: PeriodResults(
            report_id=row.id,
            period=row.period,
            report_version=row.version,
            currency=currency,
            fees=row.fees_amount or Decimal(0),
            credit_uncapped=row.credit_uncapped or Decimal(0),
            credit_amount=row.credit_amount or Decimal(0),
            metrics_met=row.metrics_met or 0,
            metrics_total=row.metrics_total or 0,
        )
        for row in reports
    }
    results = db.session.execute(
        select(
            SlaResult.report_id,
            SlaResult.metric_id,
            SlaResult.code,
            SlaResult.target,
            SlaResult.actual,
            SlaResult.outcome,
            SlaResult.credit_percent,
            SlaResult.credit_amount,
        )
        .join(DeliveryReport, DeliveryReport.id == SlaResult.report_id)
        .where(*_accepted(contract))
        .order_by(DeliveryReport.period, SlaResult.id)
    ).all()
    for row in results:
        period = periods.get(row.report_id)
        if period is None:
            continue  # accepted between the two statements: next time
        period.metrics.append(
            MetricOutcome(
                code=row.code,
                metric_id=row.metric_id,
                target=row.target,
                actual=row.actual,
                outcome=row.outcome,
                credit_percent=row.credit_percent,
                credit_amount=row.credit_amount,
                currency=currency,
            )
        )
    return ContractResults(
        contract_id=contract.id,
        currency=currency,
        columns=metric_columns(contract),
        periods=list(periods.values()),
    )


def metric_or_404(contract: Contract, metric_id: int) -> SlaMetric:
    """A metric of any version of ``contract`` (its versions are loaded); another's is a 404."""
    for version in contract.versions:
        for metric in version.metrics:
            if metric.id == metric_id:
                return metric
    abort(404)


def metric_series(contract: Contract, code: str) -> list[SeriesPoint]:
    """One metric's accepted periods, oldest first, in one statement."""
    rows = db.session.execute(
        select(SlaResult.period, SlaResult.target, SlaResult.actual, SlaResult.outcome)
        .join(DeliveryReport, DeliveryReport.id == SlaResult.report_id)
        .where(*_accepted(contract), SlaResult.code == code)
        .order_by(DeliveryReport.period)
    ).all()
    return [SeriesPoint(row.period, row.target, row.actual, row.outcome) for row in rows]


# --- Scorecards -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardPeriod:
    """One month across the scorecard's contracts."""

    period: date
    #: Accepted reports of the month.
    reports: int
    metrics_met: int
    metrics_total: int
    #: Credits after each period's cap, per currency.
    credits: dict[str, Decimal]

    @property
    def attainment(self) -> Decimal | None:
        return rules.attainment(self.metrics_met, self.metrics_total)


@dataclass(frozen=True)
class ContractScore:
    """One contract's line in a scorecard."""

    contract_id: int
    title: str
    #: The other party: the client on the vendor's own scorecard, else the vendor.
    counterparty: str
    status: ContractStatus
    currency: str
    #: Accepted periods.
    periods: int
    latest_period: date | None
    attainment: Decimal | None
    attainment_last_12: Decimal | None
    credit_total: Decimal
    credit_last_12: Decimal


@dataclass
class Scorecard:
    """A vendor's results across contracts: per month (newest first) and per contract."""

    periods: list[ScorecardPeriod]
    contracts: list[ContractScore]
    #: The first month of "the last 12 months".
    since: date

    @property
    def last_periods(self) -> list[ScorecardPeriod]:
        return [period for period in self.periods if period.period >= self.since]

    @property
    def attainment_last_12(self) -> Decimal | None:
        periods = self.last_periods
        return rules.attainment(
            sum(period.metrics_met for period in periods),
            sum(period.metrics_total for period in periods),
        )

    @property
    def credits_last_12(self) -> dict[str, Decimal]:
        credits: dict[str, Decimal] = {}
        for period in self.last_periods:
            for currency, amount in period.credits.items():
                _add_credit(credits, currency, amount)
        return dict(sorted(credits.items()))

    @property
    def trend(self) -> str:
        return _trend(
            [(period.metrics_met, period.metrics_total) for period in reversed(self.periods)]
        )

    @property
    def active_contracts(self) -> int:
        return sum(1 for contract in self.contracts if contract.status is ContractStatus.ACTIVE)


def _scorecard(*parties, vendor_side: bool) -> Scorecard:
    """The scorecard of the contracts (and their accepted reports) matching ``parties``:
    conditions on ``client_organization_id``/``vendor_organization_id``, which both
    contracts and reports carry."""
    since = last_months_start()
    contract_filter = [getattr(Contract, name) == value for name, value in parties] + [
        Contract.status.in_(SCORED_STATUSES)
    ]
    report_filter = [getattr(DeliveryReport, name) == value for name, value in parties] + [
        DeliveryReport.status == ReportStatus.ACCEPTED,
        Contract.status.in_(SCORED_STATUSES),
    ]
    contracts = db.session.scalars(
        select(Contract)
        .where(*contract_filter)
        .options(joinedload(Contract.client), joinedload(Contract.vendor))
        .order_by(Contract.start_date.desc(), Contract.id.desc())
    ).all()

    per_period = db.session.execute(
        select(
            DeliveryReport.period,
            func.count(DeliveryReport.id).label("reports"),
            func.coalesce(func.sum(DeliveryReport.metrics_met), 0).label("met"),
            func.coalesce(func.sum(DeliveryReport.metrics_total), 0).label("total"),
        )
        .join(Contract, Contract.id == DeliveryReport.contract_id)
        .where(*report_filter)
        .group_by(DeliveryReport.period)
        .order_by(DeliveryReport.period.desc())
    ).all()
    credits_by_period: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for row in db.session.execute(
        select(
            DeliveryReport.period,
            Contract.currency,
            func.sum(DeliveryReport.credit_amount).label("credit"),
        )
        .join(Contract, Contract.id == DeliveryReport.contract_id)
        .where(*report_filter)
        .group_by(DeliveryReport.period, Contract.currency)
    ):
        _add_credit(credits_by_period[row.period], row.currency, row.credit)

    recent = DeliveryReport.period >= since
    per_contract = {
        row.contract_id: row
        for row in db.session.execute(
            select(
                DeliveryReport.contract_id,
                func.count(DeliveryReport.id).label("reports"),
                func.max(DeliveryReport.period).label("latest"),
                func.coalesce(func.sum(DeliveryReport.metrics_met), 0).label("met"),
                func.coalesce(func.sum(DeliveryReport.metrics_total), 0).label("total"),
                func.coalesce(func.sum(DeliveryReport.credit_amount), 0).label("credit"),
                func.coalesce(
                    func.sum(case((recent, DeliveryReport.metrics_met), else_=0)), 0
                ).label("recent_met"),
                func.coalesce(
                    func.sum(case((recent, DeliveryReport.metrics_total), else_=0)), 0
                ).label("recent_total"),
                func.coalesce(
                    func.sum(case((recent, DeliveryReport.credit_amount), else_=0)), 0
                ).label("recent_credit"),
            )
            .join(Contract, Contract.id == DeliveryReport.contract_id)
            .where(*report_filter)
            .group_by(DeliveryReport.contract_id)
        )
    }

    scores = []
    for contract in contracts:
        row = per_contract.get(contract.id)
        counterparty = contract.client if vendor_side else contract.vendor
        scores.append(
            ContractScore(
                contract_id=contract.id,
                title=contract.title,
                counterparty=counterparty.name,
                status=contract.status,
                currency=contract.currency,
                periods=row.reports if row else 0,
                latest_period=row.latest if row else None,
                attainment=rules.attainment(row.met, row.total) if row else None,
                attainment_last_12=(
                    rules.attainment(row.recent_met, row.recent_total) if row else None
                ),
                credit_total=Decimal(row.credit) if row else Decimal(0),
                credit_last_12=Decimal(row.recent_credit) if row else Decimal(0),
            )
        )
    return Scorecard(
        periods=[
            ScorecardPeriod(
                period=row.period,
                reports=row.reports,
                metrics_met=row.met,
                metrics_total=row.total,
                credits=dict(sorted(credits_by_period[row.period].items())),
            )
            for row in per_period
        ],
        contracts=scores,
        since=since,
    )


def vendor_own_scorecard(vendor_id: int) -> Scorecard:
    """The vendor's own scorecard: its contracts with every client."""
    return _scorecard(("vendor_organization_id", vendor_id), vendor_side=True)


def client_vendor_scorecard(client_id: int, vendor_id: int) -> Scorecard:
    """The client's view of one vendor: that vendor's contracts with this client."""
    return _scorecard(
        ("client_organization_id", client_id),
        ("vendor_organization_id", vendor_id),
        vendor_side=False,
    )


def client_vendor_or_404(client_id: int, vendor_id: int) -> Organization:
    """A vendor with which the client has a scored contract; any other is a 404."""
    vendor = db.session.scalars(
        select(Organization)
        .join(Contract, Contract.vendor_organization_id == Organization.id)
        .where(
            Contract.client_organization_id == client_id,
            Contract.vendor_organization_id == vendor_id,
            Contract.status.in_(SCORED_STATUSES),
        )
        .limit(1)
    ).first()
    if vendor is None:
        abort(404)
    return vendor


# --- The client's ranking of its vendors --------------------------------------------------


@dataclass(frozen=True)
class VendorRank:
    vendor_id: int
    name: str
    contracts: int
    active_contracts: int
    #: Share of metrics met over the last 12 months; None without accepted reports.
    attainment_last_12: Decimal | None
    #: Credits over the last 12 months, per currency.
    credits_last_12: dict[str, Decimal]
    trend: str
    rank: int = 0

    @property
    def vendor(self) -> dict:
        return {"id": self.vendor_id, "name": self.name}


def vendor_ranking(client_id: int) -> list[VendorRank]:
    """The client's vendors, best first: attainment over the last 12 months, then name.

    Vendors without an accepted report in those months come last.
    """
    since = last_months_start()
    vendors = db.session.execute(
        select(
            Contract.vendor_organization_id.label("vendor_id"),
            Organization.name,
            func.count(Contract.id).label("contracts"),
            func.coalesce(
                func.sum(case((Contract.status == ContractStatus.ACTIVE, 1), else_=0)), 0
            ).label("active"),
        )
        .join(Organization, Organization.id == Contract.vendor_organization_id)
        .where(
            Contract.client_organization_id == client_id,
            Contract.status.in_(SCORED_STATUSES),
        )
        .group_by(Contract.vendor_organization_id, Organization.name)
    ).all()
    report_filter = (
        DeliveryReport.client_organization_id == client_id,
        DeliveryReport.status == ReportStatus.ACCEPTED,
        Contract.status.in_(SCORED_STATUSES),
    )
    history: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for row in db.session.execute(
        select(
            DeliveryReport.vendor_organization_id.label("vendor_id"),
            DeliveryReport.period,
            func.coalesce(func.sum(DeliveryReport.metrics_met), 0).label("met"),
            func.coalesce(func.sum(DeliveryReport.metrics_total), 0).label("total"),
        )
        .join(Contract, Contract.id == DeliveryReport.contract_id)
        .where(*report_filter)
        .group_by(DeliveryReport.vendor_organization_id, DeliveryReport.period)
        .order_by(DeliveryReport.period)
    ):
        history[row.vendor_id].append((row.period, row.met, row.total))
    credits: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in db.session.execute(
        select(
            DeliveryReport.vendor_organization_id.label("vendor_id"),
            Contract.currency,
            func.sum(DeliveryReport.credit_amount).label("credit"),
        )
        .join(Contract, Contract.id == DeliveryReport.contract_id)
        .where(*report_filter, DeliveryReport.period >= since)
        .group_by(DeliveryReport.vendor_organization_id, Contract.currency)
    ):
        _add_credit(credits[row.vendor_id], row.currency, row.credit)

    ranks = []
    for row in vendors:
        months = history.get(row.vendor_id, [])
        recent = [(met, total) for period, met, total in months if period >= since]
        ranks.append(
            VendorRank(
                vendor_id=row.vendor_id,
                name=row.name,
                contracts=row.contracts,
                active_contracts=row.active,
                attainment_last_12=rules.attainment(
                    sum(met for met, _ in recent), sum(total for _, total in recent)
                ),
                credits_last_12=dict(sorted(credits[row.vendor_id].items())),
                trend=_trend([(met, total) for _, met, total in months]),
            )
        )
    ranks.sort(
        key=lambda rank: (
            rank.attainment_last_12 is None,
            -(rank.attainment_last_12 or 0),
            rank.name.casefold(),
        )
    )
    return [replace(rank, rank=position) for position, rank in enumerate(ranks, start=1)]

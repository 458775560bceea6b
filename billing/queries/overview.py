"""The back-office overview for the COO: every function of the organization, grouped by
department, with how it is delivered today, by whom, its SLA health and its cost against
the in-house baseline.

- Delivered in-house: no active contract running today; a captive centre: an active
  contract with a vendor that is this client's own shared-services centre
  (``captive_of_id``); outsourced: an active contract with any other vendor.
- SLA health: the share of metrics met, from the results stored on the accepted
  reports (``metrics_met``/``metrics_total``), in the latest accepted period and
  over the last 12 months (``contracts.queries.results``' window).
- Current monthly cost: the outsourced cost of the latest closed month that has been
  invoiced, as the savings pages compute it (``billing.queries.savings``), against
  that month's (indexed) baseline; for a function run in-house, the register's
  baseline itself.
- Totals per department and for the organization, per currency (never mixed),
  over the functions that have both figures.

A constant number of statements whatever the number of functions, contracts or
months: the register, the savings' aggregates, the SLA totals, the open tenders.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from billing.queries import savings
from contracts.models import Contract, ContractStatus, DeliveryReport, ReportStatus
from contracts.queries.results import last_months_start
from contracts.rules import attainment
from portal import db
from portal.functions.queries import register
from portal.models import BackOfficeFunction, Department, Organization
from portal.tenancy import require_organization_id
from vendors.models import Tender, TenderStatus

HUNDRED = Decimal(100)
#: Tenders still on their way to an award.
OPEN_TENDER_STATUSES = (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED)
#: SLA health: at least this share of metrics met over the last 12 months is good,
#: at least ``WATCH`` is to watch, below it poor.
GOOD = Decimal("95")
WATCH = Decimal("80")


class DeliveryMode(enum.StrEnum):
    IN_HOUSE = "in_house"
    CAPTIVE = "captive"
    OUTSOURCED = "outsourced"


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * HUNDRED / whole).quantize(Decimal("0.1")) if whole else None


@dataclass(frozen=True)
class SlaHealth:
    latest_period: date | None
    attainment_latest: Decimal | None
    attainment_last_12: Decimal | None

    @property
    def level(self) -> str | None:
        """ "good", "watch" or "poor" over the last 12 months (the latest period without
        them); None when nothing was measured."""
        value = (
            self.attainment_last_12
            if self.attainment_last_12 is not None
            else self.attainment_latest
        )
        if value is None:
            return None
        if value >= GOOD:
            return "good"
        return "watch" if value >= WATCH else "poor"


@dataclass(frozen=True)
class CostLine:
    """A function's monthly cost in one currency."""

    currency: str
    #: The in-house cost of the month; None when the function has none in this currency.
    baseline: Decimal | None
    #: The month's cost; None before a first invoiced month.
    current: Decimal | None
    #: The month the cost is of; None for a function run in-house.
    period: date | None = None

    @property
    def comparable(self) -> bool:
        return self.baseline is not None and self.current is not None

    @property
    def difference(self) -> Decimal | None:
        """Baseline − current cost: what the current delivery saves a month."""
        return self.baseline - self.current if self.comparable else None

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.difference, self.baseline) if self.comparable else None


@dataclass
class FunctionLine:
    function: BackOfficeFunction
    mode: DeliveryMode
    #: Who delivers it today (the vendors of its running contracts).
    vendors: list[Organization]
    costs: list[CostLine]
    sla: SlaHealth | None = None
    #: An open tender for the function (the latest).
    tender: Tender | None = None
    #: A signed contract that has not started yet: its first day.
    starts_on: date | None = None

    @property
    def mixed_currencies(self) -> bool:
        return len(self.costs) > 1


@dataclass
class CurrencyTotal:
    """The functions of a group with both figures in one currency, added up."""

    currency: str
    functions: int = 0
    baseline: Decimal = Decimal("0.00")
    current: Decimal = Decimal("0.00")

    @property
    def difference(self) -> Decimal:
        return self.baseline - self.current

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.difference, self.baseline)


def _totals(lines: list[FunctionLine]) -> list[CurrencyTotal]:
    totals: dict[str, CurrencyTotal] = {}
    for line in lines:
        for cost in line.costs:
            if not cost.comparable:
                continue
            total = totals.setdefault(cost.currency, CurrencyTotal(cost.currency))
            total.functions += 1
            total.baseline += cost.baseline
            total.current += cost.current
    return [totals[currency] for currency in sorted(totals)]


@dataclass
class DepartmentSection:
    department: Department
    lines: list[FunctionLine] = field(default_factory=list)

    @property
    def totals(self) -> list[CurrencyTotal]:
        return _totals(self.lines)


@dataclass
class Overview:
    sections: list[DepartmentSection]
    #: The last closed month (no current cost is of a later one).
    month: date

    @property
    def lines(self) -> list[FunctionLine]:
        return [line for section in self.sections for line in section.lines]

    @property
    def totals(self) -> list[CurrencyTotal]:
        return _totals(self.lines)

    def count(self, mode: DeliveryMode) -> int:
        return sum(1 for line in self.lines if line.mode is mode)

    @property
    def not_in_totals(self) -> int:
        """Functions with a cost or a baseline that cannot be compared (shown, not added)."""
        return sum(1 for line in self.lines if any(not cost.comparable for cost in line.costs))


def _sla_by_contract(
    contract_ids: list[int], today: date
) -> dict[int, tuple[date, int, int, int, int]]:
    """Per contract: its latest accepted period with its (met, total), and (met, total)
    over the last 12 months.

    Two aggregate statements, whatever the number of periods.
    """
    if not contract_ids:
        return {}
    accepted = [
        DeliveryReport.contract_id.in_(contract_ids),
        DeliveryReport.status == ReportStatus.ACCEPTED,
    ]
    recent = DeliveryReport.period >= last_months_start(today)
    window = {
        row.contract_id: (row.met, row.total)
        for row in db.session.execute(
            select(
                DeliveryReport.contract_id,
                func.coalesce(
                    func.sum(case((recent, DeliveryReport.metrics_met), else_=0)), 0
                ).label("met"),
                func.coalesce(
                    func.sum(case((recent, DeliveryReport.metrics_total), else_=0)), 0
                ).label("total"),
            )
            .where(*accepted)
            .group_by(DeliveryReport.contract_id)
        )
    }
    latest_period = (
        select(
            DeliveryReport.contract_id.label("contract_id"),
            func.max(DeliveryReport.period).label("period"),
        )
        .where(*accepted)
        .group_by(DeliveryReport.contract_id)
        .subquery()
    )
    latest = db.session.execute(
        select(
            DeliveryReport.contract_id,
            DeliveryReport.period,
            func.coalesce(DeliveryReport.metrics_met, 0),
            func.coalesce(DeliveryReport.metrics_total, 0),
        )
        .join(
            latest_period,
            and_(
                latest_period.c.contract_id == DeliveryReport.contract_id,
                latest_period.c.period == DeliveryReport.period,
            ),
        )
        .where(*accepted)
    ).all()
    result = {}
    for contract_id, period, met, total in latest:
        recent_met, recent_total = window.get(contract_id, (0, 0))
        result[contract_id] = (period, met, total, recent_met, recent_total)
    return result


def _sla_health(contracts: list[Contract], by_contract: dict) -> SlaHealth | None:
    rows = [by_contract[contract.id] for contract in contracts if contract.id in by_contract]
    if not rows:
        return None
    return SlaHealth(
        latest_period=max(row[0] for row in rows),
        attainment_latest=attainment(sum(row[1] for row in rows), sum(row[2] for row in rows)),
        attainment_last_12=attainment(sum(row[3] for row in rows), sum(row[4] for row in rows)),
    )


def _open_tenders() -> dict[int, Tender]:
    """The latest open tender of each function (the client's own tenders only)."""
    statement = (
        select(Tender)
        .where(
            Tender.organization_id == require_organization_id(),
            Tender.status.in_(OPEN_TENDER_STATUSES),
        )
        .order_by(Tender.id)
    )
    return {tender.function_id: tender for tender in db.session.scalars(statement)}


def _latest_invoiced(months: list[savings.CostMonth], since: date) -> savings.CostMonth | None:
    """The latest closed month of the running contracts that has been invoiced.

    A month just closed is usually invoiced a few days later: until then its cost
    would be the governance and transition charges alone, which is no current cost.
    """
    for month in reversed(months):
        if month.period < since:
            return None
        if month.invoiced or month.credited:
            return month
    return None


def _outsourced_costs(
    function: BackOfficeFunction, entry: savings.FunctionSavings, since: date
) -> list[CostLine]:
    """The latest invoiced month's cost per currency, once the running contracts have one."""
    costs = []
    for in_currency in entry.by_currency:
        closed = _latest_invoiced(in_currency.months, since)
        costs.append(
            CostLine(
                currency=in_currency.currency,
                baseline=(
                    (closed.baseline if closed else entry.baseline.monthly)
                    if in_currency.has_baseline
                    else None
                ),
                current=closed.outsourced if closed else None,
                period=closed.period if closed else None,
            )
        )
    if function.currency not in {cost.currency for cost in costs}:
        # Billed only in another currency: the register's cost is shown, never converted.
        costs.insert(0, CostLine(function.currency, entry.baseline.monthly, None))
    return costs


def backoffice_overview(today: date) -> Overview:
    """Every function of the current client by department, as delivered on ``today``."""
    client_id = require_organization_id()
    month = savings.last_closed_month(today)
    entries = {entry.function.id: entry for entry in savings.organization_savings(today=today)}
    running_by_function: dict[int, list[Contract]] = defaultdict(list)
    upcoming: dict[int, date] = {}
    for function_id, entry in entries.items():
        for contract in entry.contracts:
            if contract.status != ContractStatus.ACTIVE:
                continue
            if contract.start_date <= today:
                running_by_function[function_id].append(contract)
            else:
                upcoming[function_id] = min(
                    upcoming.get(function_id, contract.start_date), contract.start_date
                )
    sla = _sla_by_contract(
        [contract.id for contracts in running_by_function.values() for contract in contracts],
        today,
    )
    tenders = _open_tenders()

    sections = []
    for section in register().sections:
        lines = []
        for row in section.rows:
            function = row.function
            running = running_by_function.get(function.id, [])
            vendors = list({contract.vendor.id: contract.vendor for contract in running}.values())
            if not running:
                mode = DeliveryMode.IN_HOUSE
                costs = [CostLine(function.currency, row.baseline.monthly, row.baseline.monthly)]
            else:
                own = all(vendor.captive_of_id == client_id for vendor in vendors)
                mode = DeliveryMode.CAPTIVE if own else DeliveryMode.OUTSOURCED
                since = min(contract.start_date for contract in running).replace(day=1)
                costs = _outsourced_costs(function, entries[function.id], since)
            lines.append(
                FunctionLine(
                    function=function,
                    mode=mode,
                    vendors=vendors,
                    costs=costs,
                    sla=_sla_health(running, sla),
                    tender=tenders.get(function.id),
                    starts_on=upcoming.get(function.id) if not running else None,
                )
            )
        if lines:
            sections.append(DepartmentSection(section.department, lines))
    return Overview(sections, month)

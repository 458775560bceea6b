"""Savings analytics: the in-house baseline against the actual outsourced cost, month by month.

The method (printed on the pages and in the PDF report):

- a function's outsourced months are the months of its contracts' terms (start
  to last service day) up to the last closed month;
- baseline of a month = the register's in-house monthly cost, indexed once a
  year by the client's yearly inflation rate, counting the years since the
  function's first contract started;
- outsourced cost of a month = its invoices' net total − the credit notes on
  them (amounts net of VAT, which a business recovers or reverse-charges) + the
  retained governance cost of the contract version in force + the month's
  transition charge (the transition cost amortised over the term, or all in the
  first month);
- saving = baseline − outsourced cost, its % of the baseline, cumulated; the
  break-even month is the first from which the cumulative saving stays ≥ 0; NPV
  of the monthly savings at the client's discount rate.

Currencies are never mixed: every figure is per currency. Aggregation is done
in SQL (one statement per kind of fact, whatever the number of months or
invoices); the arithmetic is ``billing.rules``'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from billing.models import ISSUED_STATUSES, Invoice, InvoiceKind, SavingsSettings
from billing.rules import (
    HUNDRED,
    break_even_month,
    indexed_baseline,
    net_present_value,
    saving_months,
    transition_charges,
)
from contracts.models import (
    Contract,
    ContractStatus,
    DeliveryReport,
    RateCardLine,
    RateKind,
    ReportStatus,
    ReportVolume,
)
from contracts.rules import add_months, month_end, month_start, periods_between
from portal import db
from portal.db import utcnow
from portal.functions.baseline import Baseline, baseline_of
from portal.models import BackOfficeFunction
from portal.money import round_money
from portal.tenancy import require_organization_id

ZERO = Decimal("0.00")

#: Contracts whose months count: signed ones, running or over.
COUNTED_STATUSES = (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED)

DEFAULT_INFLATION = Decimal("0")
DEFAULT_DISCOUNT_RATE = Decimal("8")


# --- Settings ---------------------------------------------------------------------------


def settings_of_current() -> SavingsSettings:
    """The current client's settings; the defaults (not saved) when it has none yet."""
    settings = db.session.scalars(select(SavingsSettings)).one_or_none()
    if settings is None:
        settings = SavingsSettings(
            yearly_inflation_percent=DEFAULT_INFLATION,
            discount_rate_percent=DEFAULT_DISCOUNT_RATE,
            transition_amortised=True,
        )
    return settings


# --- Results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostMonth:
    """One month of one function (or of the organization) in one currency."""

    #: First day of the month.
    period: date
    baseline: Decimal
    #: Net total of the month's issued invoices.
    invoiced: Decimal
    #: Net total of the credit notes on them (a positive amount, taken off).
    credited: Decimal
    governance: Decimal
    transition: Decimal
    #: invoiced − credited + governance + transition.
    outsourced: Decimal
    saving: Decimal
    saving_percent: Decimal | None
    cumulative: Decimal
    #: Units reported in the month's accepted reports; None when nothing was reported.
    volume: Decimal | None
    unit_cost_outsourced: Decimal | None


@dataclass(frozen=True)
class CurrencySavings:
    currency: str
    months: list[CostMonth]
    baseline_total: Decimal
    outsourced_total: Decimal
    saving_total: Decimal
    saving_percent: Decimal | None
    #: The month from which the cumulative saving stays ≥ 0; None if never.
    break_even: date | None
    npv: Decimal
    in_house_unit_cost: Decimal | None
    #: False when the register's baseline is in another currency: no baseline is
    #: counted here (amounts are never converted), only costs.
    has_baseline: bool = True

    @property
    def latest(self) -> CostMonth | None:
        return self.months[-1] if self.months else None

    @property
    def cumulative(self) -> Decimal:
        return self.months[-1].cumulative if self.months else ZERO

    @property
    def first_period(self) -> date | None:
        return self.months[0].period if self.months else None

    @property
    def last_period(self) -> date | None:
        return self.months[-1].period if self.months else None


@dataclass
class FunctionSavings:
    function: BackOfficeFunction
    contracts: list[Contract]
    by_currency: list[CurrencySavings]
    #: The register's in-house cost of the function (in its own currency).
    baseline: Baseline | None = None

    @property
    def mixed_currencies(self) -> bool:
        return len(self.by_currency) > 1

    @property
    def currencies(self) -> list[str]:
        return [entry.currency for entry in self.by_currency]

    def in_currency(self, currency: str) -> CurrencySavings | None:
        return next((entry for entry in self.by_currency if entry.currency == currency), None)

    @property
    def latest_contract(self) -> Contract | None:
        return self.contracts[-1] if self.contracts else None

    @property
    def is_captive(self) -> bool:
        """Delivered by the client's own shared-services centre (its latest contract)."""
        latest = self.latest_contract
        return bool(latest and latest.vendor.is_captive)

    @property
    def vendors(self) -> list:
        seen: dict[int, object] = {}
        for contract in self.contracts:
            seen.setdefault(contract.vendor_organization_id, contract.vendor)
        return list(seen.values())


# --- Facts gathered in SQL --------------------------------------------------------------


@dataclass
class _Facts:
    """Aggregates of a set of contracts, keyed by (contract id, month[, currency])."""

    invoiced: dict[tuple[int, date, str], Decimal] = field(default_factory=dict)
    credited: dict[tuple[int, date, str], Decimal] = field(default_factory=dict)
    volumes: dict[tuple[int, date], Decimal] = field(default_factory=dict)


def _add(target: dict, key, amount) -> None:
    target[key] = target.get(key, ZERO) + Decimal(amount or 0)


def _gather(contract_ids: list[int]) -> _Facts:
    """Three aggregate statements, whatever the number of months or invoices."""
    facts = _Facts()
    if not contract_ids:
        return facts
    # Invoices by their service period (a report's month).
    invoiced = (
        select(
            Invoice.contract_id,
            Invoice.period_start,
            Invoice.currency,
            func.sum(Invoice.net_total),
        )
        .where(
            Invoice.contract_id.in_(contract_ids),
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status.in_(ISSUED_STATUSES),
        )
        .group_by(Invoice.contract_id, Invoice.period_start, Invoice.currency)
    )
    for contract_id, period, currency, total in db.session.execute(invoiced):
        _add(facts.invoiced, (contract_id, month_start(period), currency), total)
    # Credit notes in the month of the invoice they correct.
    credited_invoice = aliased(Invoice)
    credited = (
        select(
            credited_invoice.contract_id,
            credited_invoice.period_start,
            Invoice.currency,
            func.sum(Invoice.net_total),
        )
        .join(credited_invoice, Invoice.credited_invoice_id == credited_invoice.id)
        .where(
            credited_invoice.contract_id.in_(contract_ids),
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status.in_(ISSUED_STATUSES),
            credited_invoice.status.in_(ISSUED_STATUSES),
        )
        .group_by(credited_invoice.contract_id, credited_invoice.period_start, Invoice.currency)
    )
    for contract_id, period, currency, total in db.session.execute(credited):
        _add(facts.credited, (contract_id, month_start(period), currency), total)
    # Volumes of the accepted reports' unit lines.
    volumes = (
        select(DeliveryReport.contract_id, DeliveryReport.period, func.sum(ReportVolume.quantity))
        .join(ReportVolume, ReportVolume.report_id == DeliveryReport.id)
        .join(RateCardLine, RateCardLine.id == ReportVolume.line_id)
        .where(
            DeliveryReport.contract_id.in_(contract_ids),
            DeliveryReport.status == ReportStatus.ACCEPTED,
            RateCardLine.kind == RateKind.PER_UNIT,
        )
        .group_by(DeliveryReport.contract_id, DeliveryReport.period)
    )
    for contract_id, period, total in db.session.execute(volumes):
        _add(facts.volumes, (contract_id, month_start(period)), total)
    return facts


def _counted_contracts(function_ids: Iterable[int] | None = None) -> list[Contract]:
    """The current client's signed contracts, with their versions and vendors (two statements)."""
    statement = (
        select(Contract)
        .where(
            Contract.client_organization_id == require_organization_id(),
            Contract.status.in_(COUNTED_STATUSES),
        )
        .options(
            selectinload(Contract.versions),
            joinedload(Contract.vendor),
            joinedload(Contract.function),
        )
        .order_by(Contract.start_date, Contract.id)
    )
    if function_ids is not None:
        statement = statement.where(Contract.function_id.in_(list(function_ids)))
    return list(db.session.scalars(statement).unique())


# --- Month by month ---------------------------------------------------------------------


def last_closed_month(today: date | None = None) -> date:
    """The last month that is over: the month before ``today``'s."""
    return add_months(month_start(today or utcnow().date()), -1)


def months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def contract_months(contract: Contract, today: date | None = None) -> list[date]:
    """The contract's service months that are over."""
    last = min(month_start(contract.last_service_day), last_closed_month(today))
    return [
        period
        for period in periods_between(contract.start_date, contract.end_date)
        if period <= last
    ]


def transition_schedule(contract: Contract, *, amortised: bool) -> dict[date, Decimal]:
    """The transition charge of each month of the term.

    Amortised over the agreed term; a contract ended early takes what was not
    yet amortised in its last month of service.
    """
    term = periods_between(contract.start_date, contract.end_date)
    charges = transition_charges(Decimal(contract.transition_cost), len(term), amortised=amortised)
    schedule = dict(zip(term, charges, strict=True))
    last = month_start(contract.last_service_day)
    if last < term[-1]:
        rest = sum((amount for period, amount in schedule.items() if period > last), ZERO)
        schedule = {period: amount for period, amount in schedule.items() if period <= last}
        if last in schedule:
            schedule[last] += rest
    return schedule


def _unit_cost(amount: Decimal, volume: Decimal | None, currency: str) -> Decimal | None:
    if not volume:
        return None
    return round_money(amount / volume, currency)


@dataclass(frozen=True)
class _Parts:
    """The cost parts of one month before savings are computed."""

    period: date
    baseline: Decimal
    invoiced: Decimal
    credited: Decimal
    governance: Decimal
    transition: Decimal
    volume: Decimal | None

    @property
    def outsourced(self) -> Decimal:
        return self.invoiced - self.credited + self.governance + self.transition


def _currency_savings(
    currency: str,
    parts: list[_Parts],
    settings: SavingsSettings,
    *,
    in_house_unit_cost: Decimal | None,
    has_baseline: bool,
    with_unit_costs: bool = True,
) -> CurrencySavings:
    """Savings, cumulative, break-even and NPV of months in one currency (``billing.rules``)."""
    savings = saving_months((part.baseline for part in parts), (part.outsourced for part in parts))
    months = [
        CostMonth(
            period=part.period,
            baseline=part.baseline,
            invoiced=part.invoiced,
            credited=part.credited,
            governance=part.governance,
            transition=part.transition,
            outsourced=saving.outsourced,
            saving=saving.saving,
            saving_percent=saving.saving_percent,
            cumulative=saving.cumulative,
            volume=part.volume if with_unit_costs else None,
            unit_cost_outsourced=(
                _unit_cost(saving.outsourced, part.volume, currency) if with_unit_costs else None
            ),
        )
        for part, saving in zip(parts, savings, strict=True)
    ]
    baseline_total = sum((month.baseline for month in months), ZERO)
    outsourced_total = sum((month.outsourced for month in months), ZERO)
    saving_total = baseline_total - outsourced_total
    even = break_even_month(savings)
    return CurrencySavings(
        currency=currency,
        months=months,
        baseline_total=baseline_total,
        outsourced_total=outsourced_total,
        saving_total=saving_total,
        saving_percent=(
            (saving_total * HUNDRED / baseline_total).quantize(Decimal("0.1"))
            if baseline_total
            else None
        ),
        break_even=months[even - 1].period if even else None,
        npv=net_present_value(
            (month.saving for month in months), Decimal(settings.discount_rate_percent)
        ),
        in_house_unit_cost=in_house_unit_cost,
        has_baseline=has_baseline,
    )


def _in_window(period: date, start: date | None, end: date | None) -> bool:
    return (start is None or period >= month_start(start)) and (
        end is None or period <= month_start(end)
    )


def _function_parts(
    function: BackOfficeFunction,
    contracts: list[Contract],
    facts: _Facts,
    settings: SavingsSettings,
    *,
    start: date | None,
    end: date | None,
    today: date | None,
) -> dict[str, list[_Parts]]:
    """Per currency, the cost parts of each outsourced month of ``function``."""
    if not contracts:
        return {}
    baseline = baseline_of(function)
    first_month = month_start(min(contract.start_date for contract in contracts))
    inflation = Decimal(settings.yearly_inflation_percent)
    currencies = sorted(
        {contract.currency for contract in contracts},
        key=lambda currency: (currency != function.currency, currency),
    )
    result: dict[str, list[_Parts]] = {}
    for currency in currencies:
        in_currency = [contract for contract in contracts if contract.currency == currency]
        by_month: dict[date, list[Contract]] = defaultdict(list)
        for contract in in_currency:
            for period in contract_months(contract, today):
                by_month[period].append(contract)
        schedules = {
            contract.id: transition_schedule(contract, amortised=settings.transition_amortised)
            for contract in in_currency
        }
        parts: list[_Parts] = []
        for period in sorted(by_month):
            if not _in_window(period, start, end):
                continue
            # A month counts once it is invoiced: before that it has no actual cost,
            # and counting its baseline against nothing would show a saving never made.
            running = [
                contract
                for contract in by_month[period]
                if (contract.id, period, currency) in facts.invoiced
            ]
            if not running:
                continue
            volumes = [
                facts.volumes[(contract.id, period)]
                for contract in running
                if (contract.id, period) in facts.volumes
            ]
            parts.append(
                _Parts(
                    period=period,
                    baseline=(
                        indexed_baseline(
                            baseline.monthly, months_between(first_month, period), inflation
                        )
                        if currency == baseline.currency
                        else ZERO
                    ),
                    invoiced=sum(
                        (facts.invoiced.get((c.id, period, currency), ZERO) for c in running),
                        ZERO,
                    ),
                    credited=sum(
                        (facts.credited.get((c.id, period, currency), ZERO) for c in running),
                        ZERO,
                    ),
                    governance=sum(
                        (
                            Decimal(c.version_for(period).retained_governance_monthly)
                            for c in running
                        ),
                        ZERO,
                    ),
                    transition=sum((schedules[c.id].get(period, ZERO) for c in running), ZERO),
                    volume=sum(volumes, ZERO) if volumes else None,
                )
            )
        result[currency] = parts
    return result


def _savings_of(
    function: BackOfficeFunction,
    contracts: list[Contract],
    facts: _Facts,
    settings: SavingsSettings,
    *,
    start: date | None,
    end: date | None,
    today: date | None,
) -> FunctionSavings:
    baseline = baseline_of(function)
    parts = _function_parts(function, contracts, facts, settings, start=start, end=end, today=today)
    by_currency = [
        _currency_savings(
            currency,
            months,
            settings,
            in_house_unit_cost=baseline.unit_cost if currency == baseline.currency else None,
            has_baseline=currency == baseline.currency,
        )
        for currency, months in parts.items()
    ]
    return FunctionSavings(function, contracts, by_currency, baseline)


def function_savings(
    function: BackOfficeFunction,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> FunctionSavings:
    """One function's savings, month by month per currency (``start``/``end``: months shown)."""
    settings = settings_of_current()
    contracts = _counted_contracts([function.id])
    facts = _gather([contract.id for contract in contracts])
    return _savings_of(function, contracts, facts, settings, start=start, end=end, today=today)


def organization_savings(
    *, start: date | None = None, end: date | None = None, today: date | None = None
) -> list[FunctionSavings]:
    """Every function of the client with a signed contract, in the register's order."""
    settings = settings_of_current()
    contracts = _counted_contracts()
    facts = _gather([contract.id for contract in contracts])
    by_function: dict[int, list[Contract]] = defaultdict(list)
    functions: dict[int, BackOfficeFunction] = {}
    for contract in contracts:
        if contract.function is None:
            continue
        by_function[contract.function_id].append(contract)
        functions[contract.function_id] = contract.function
    ordered = sorted(functions.values(), key=lambda function: (function.name.lower(), function.id))
    return [
        _savings_of(
            function, by_function[function.id], facts, settings, start=start, end=end, today=today
        )
        for function in ordered
    ]


def organization_totals(
    savings: list[FunctionSavings], settings: SavingsSettings | None = None
) -> list[CurrencySavings]:
    """Month by month per currency, summed across functions (never across currencies)."""
    settings = settings or settings_of_current()
    sums: dict[str, dict[date, list[Decimal]]] = defaultdict(dict)
    for entry in savings:
        for currency_savings in entry.by_currency:
            months = sums[currency_savings.currency]
            for month in currency_savings.months:
                row = months.setdefault(month.period, [ZERO] * 5)
                for index, amount in enumerate(
                    (
                        month.baseline,
                        month.invoiced,
                        month.credited,
                        month.governance,
                        month.transition,
                    )
                ):
                    row[index] += amount
    totals = []
    for currency in sorted(sums):
        parts = [
            _Parts(period, *amounts, volume=None)
            for period, amounts in sorted(sums[currency].items())
        ]
        has_baseline = any(
            entry.has_baseline
            for function in savings
            for entry in function.by_currency
            if entry.currency == currency
        )
        totals.append(
            _currency_savings(
                currency,
                parts,
                settings,
                in_house_unit_cost=None,
                has_baseline=has_baseline,
                with_unit_costs=False,
            )
        )
    return totals


# --- Drill-down of one month ------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceEntry:
    id: int
    number: str | None
    contract: Contract
    net_total: Decimal
    #: For a credit note: the invoice it corrects.
    credited_number: str | None = None


@dataclass(frozen=True)
class BaselineItem:
    label: str
    #: The item per month, as in the register's breakdown (annual ÷ 12).
    monthly: Decimal
    annual: Decimal
    #: For people: FTEs × their loaded yearly cost.
    ftes: Decimal | None = None
    cost_per_fte: Decimal | None = None


@dataclass(frozen=True)
class ChargeEntry:
    """A governance or transition charge of the month and where it comes from."""

    contract: Contract
    amount: Decimal
    version_number: int | None = None
    #: For a transition charge: the contract's transition cost and term in months.
    transition_cost: Decimal | None = None
    term_months: int | None = None


@dataclass(frozen=True)
class MonthDetail:
    function: BackOfficeFunction
    currency: str
    period: date
    month: CostMonth
    #: Months since the function's first contract started; years = months // 12.
    months_since_start: int
    years_indexed: int
    yearly_inflation: Decimal
    inflation_factor: Decimal
    #: The register's baseline (in its own currency) and its breakdown.
    baseline: Baseline
    has_baseline: bool
    invoices: list[InvoiceEntry]
    credit_notes: list[InvoiceEntry]
    governance: list[ChargeEntry]
    transition: list[ChargeEntry]
    transition_amortised: bool
    discount_rate: Decimal
    first_contract_start: date

    @property
    def baseline_items(self) -> list[BaselineItem]:
        """The register's items per month (annual amounts ÷ 12)."""
        monthly, annual = self.baseline.breakdown, self.baseline.annual_breakdown
        return [
            BaselineItem(
                _l("People"),
                monthly.people,
                annual.people,
                ftes=Decimal(self.function.ftes),
                cost_per_fte=Decimal(self.function.annual_cost_per_fte),
            ),
            BaselineItem(_l("Overheads"), monthly.overheads, annual.overheads),
            BaselineItem(_l("Facilities"), monthly.facilities, annual.facilities),
            BaselineItem(_l("Technology"), monthly.technology, annual.technology),
            BaselineItem(_l("Management"), monthly.management, annual.management),
        ]


def month_detail(
    function: BackOfficeFunction, period: date, currency: str, *, today: date | None = None
) -> MonthDetail | None:
    """How one month's figures were computed; None when the month is not an outsourced one."""
    period = month_start(period)
    settings = settings_of_current()
    contracts = _counted_contracts([function.id])
    facts = _gather([contract.id for contract in contracts])
    savings = _savings_of(function, contracts, facts, settings, start=None, end=None, today=today)
    in_currency = savings.in_currency(currency)
    month = next(
        (entry for entry in (in_currency.months if in_currency else []) if entry.period == period),
        None,
    )
    if month is None:
        return None
    running = [
        contract
        for contract in contracts
        if contract.currency == currency and period in contract_months(contract, today)
    ]
    ids = [contract.id for contract in running]
    by_id = {contract.id: contract for contract in running}
    invoices = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.contract_id.in_(ids),
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status.in_(ISSUED_STATUSES),
            Invoice.currency == currency,
            Invoice.period_start >= period,
            Invoice.period_start <= month_end(period),
        )
        .order_by(Invoice.number, Invoice.id)
    ).all()
    credited_invoice = aliased(Invoice)
    credit_rows = db.session.execute(
        select(Invoice, credited_invoice.number, credited_invoice.contract_id)
        .join(credited_invoice, Invoice.credited_invoice_id == credited_invoice.id)
        .where(
            credited_invoice.contract_id.in_(ids),
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status.in_(ISSUED_STATUSES),
            credited_invoice.status.in_(ISSUED_STATUSES),
            Invoice.currency == currency,
            credited_invoice.period_start >= period,
            credited_invoice.period_start <= month_end(period),
        )
        .order_by(Invoice.number, Invoice.id)
    ).all()
    first_start = min(contract.start_date for contract in contracts)
    elapsed = months_between(month_start(first_start), period)
    inflation = Decimal(settings.yearly_inflation_percent)
    years = elapsed // 12
    governance = [
        ChargeEntry(
            contract=contract,
            amount=Decimal(contract.version_for(period).retained_governance_monthly),
            version_number=contract.version_for(period).number,
        )
        for contract in running
    ]
    transition = []
    for contract in running:
        charge = transition_schedule(contract, amortised=settings.transition_amortised).get(
            period, ZERO
        )
        transition.append(
            ChargeEntry(
                contract=contract,
                amount=charge,
                transition_cost=Decimal(contract.transition_cost),
                term_months=len(periods_between(contract.start_date, contract.end_date)),
            )
        )
    return MonthDetail(
        function=function,
        currency=currency,
        period=period,
        month=month,
        months_since_start=elapsed,
        years_indexed=years,
        yearly_inflation=inflation,
        inflation_factor=(1 + inflation / HUNDRED) ** years,
        baseline=savings.baseline,
        has_baseline=in_currency.has_baseline,
        invoices=[
            InvoiceEntry(invoice.id, invoice.number, by_id[invoice.contract_id], invoice.net_total)
            for invoice in invoices
        ],
        credit_notes=[
            InvoiceEntry(note.id, note.number, by_id[contract_id], note.net_total, number)
            for note, number, contract_id in credit_rows
        ],
        governance=governance,
        transition=transition,
        transition_amortised=settings.transition_amortised,
        discount_rate=Decimal(settings.discount_rate_percent),
        first_contract_start=first_start,
    )

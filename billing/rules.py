"""The arithmetic of invoices: VAT treatment, line amounts and totals.

DESIGN.md's money rules: Decimal, each line rounded half-up to the currency's
minor unit, VAT computed per rate on the sum of that rate's lines (EN 16931),
never per line. Pure functions, so that the rules are tested with
hand-computed figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billing.models import VatCategory
from contracts.models import VatTreatment
from portal.money import minor_unit, round_money

HUNDRED = Decimal(100)

#: The VAT category each contract treatment puts on its invoices' lines.
CATEGORY_OF_TREATMENT = {
    VatTreatment.DOMESTIC: VatCategory.STANDARD,
    VatTreatment.REVERSE_CHARGE: VatCategory.REVERSE_CHARGE,
    VatTreatment.OUT_OF_SCOPE: VatCategory.OUT_OF_SCOPE,
    VatTreatment.INTERNAL: VatCategory.NOT_SUBJECT,
}


def vat_of_treatment(treatment: VatTreatment, rate: Decimal) -> tuple[VatCategory, Decimal]:
    """The category and rate of a line: the rate applies only to domestic VAT."""
    category = CATEGORY_OF_TREATMENT[treatment]
    return category, (rate if category is VatCategory.STANDARD else Decimal(0))


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """quantity × unit price, rounded half-up to the currency's minor unit."""
    return round_money(quantity * unit_price, currency)


@dataclass(frozen=True)
class VatBreakdown:
    category: VatCategory
    rate: Decimal
    #: The sum of the lines at this rate.
    basis: Decimal
    #: VAT on that sum, rounded once.
    amount: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    net_total: Decimal
    breakdown: tuple[VatBreakdown, ...]
    vat_total: Decimal
    gross_total: Decimal


def invoice_totals(
    lines: Iterable[tuple[VatCategory, Decimal, Decimal]], currency: str
) -> InvoiceTotals:
    """Totals of lines given as (category, rate, net amount already rounded)."""
    bases: dict[tuple[VatCategory, Decimal], Decimal] = {}
    for category, rate, net in lines:
        key = (category, Decimal(rate).normalize())
        bases[key] = bases.get(key, Decimal(0)) + net
    breakdown = tuple(
        VatBreakdown(category, rate, basis, round_money(basis * rate / HUNDRED, currency))
        for (category, rate), basis in sorted(
            bases.items(), key=lambda item: (item[0][0], item[0][1])
        )
    )
    net_total = sum((item.basis for item in breakdown), Decimal(0))
    vat_total = sum((item.amount for item in breakdown), Decimal(0))
    return InvoiceTotals(net_total, breakdown, vat_total, net_total + vat_total)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit, as Stripe takes it (1234.50 EUR → 123450)."""
    return int((round_money(amount, currency) / minor_unit(currency)).to_integral_value())


# --- Savings: in-house baseline against outsourced cost ----------------------------------


def indexed_baseline(
    monthly: Decimal, months_since_start: int, yearly_inflation: Decimal
) -> Decimal:
    """The in-house monthly cost ``months_since_start`` months on, indexed once a year.

    A yearly cost inflation rate of 3 % makes the second year's months cost
    1.03 × the first's, the third's 1.03², and so on (salaries and rents are
    reviewed yearly, not monthly).
    """
    years = months_since_start // 12
    factor = (1 + yearly_inflation / HUNDRED) ** years
    return (monthly * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def transition_charges(
    transition_cost: Decimal, term_months: int, *, amortised: bool
) -> list[Decimal]:
    """The one-off transition cost spread month by month over the term, or all in the first.

    Amortised, each month carries cost ÷ term rounded to the cent, and the last
    month takes the rounding difference, so that the months add up exactly.
    """
    if term_months <= 0:
        return []
    if not amortised:
        return [transition_cost] + [Decimal("0.00")] * (term_months - 1)
    share = (transition_cost / term_months).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    charges = [share] * term_months
    charges[-1] = transition_cost - share * (term_months - 1)
    return charges


@dataclass(frozen=True)
class SavingMonth:
    baseline: Decimal
    outsourced: Decimal
    saving: Decimal
    #: Saving as a percentage of the baseline, one decimal; None without a baseline.
    saving_percent: Decimal | None
    cumulative: Decimal


def saving_months(baselines: Iterable[Decimal], outsourced: Iterable[Decimal]) -> list[SavingMonth]:
    """Month by month: saving = baseline − outsourced cost, and the running total."""
    months: list[SavingMonth] = []
    cumulative = Decimal("0.00")
    for baseline, cost in zip(baselines, outsourced, strict=True):
        saving = baseline - cost
        cumulative += saving
        percent = (saving * HUNDRED / baseline).quantize(Decimal("0.1")) if baseline else None
        months.append(SavingMonth(baseline, cost, saving, percent, cumulative))
    return months


def break_even_month(months: list[SavingMonth]) -> int | None:
    """The first month (1-based) from which the cumulative saving stays at or above zero.

    None when it never gets there within the months given.
    """
    candidate: int | None = None
    for number, month in enumerate(months, start=1):
        # Back below zero later (a new one-off cost) starts the wait again.
        candidate = (candidate or number) if month.cumulative >= 0 else None
    return candidate


def net_present_value(monthly_flows: Iterable[Decimal], yearly_discount_rate: Decimal) -> Decimal:
    """Σ flow_t ÷ (1 + r_m)^t for months t = 1, 2, …, with r_m the monthly rate
    equivalent to the yearly one: (1 + r)^(1/12) − 1. Rounded to the cent."""
    monthly_factor = (1 + yearly_discount_rate / HUNDRED) ** (Decimal(1) / Decimal(12))
    total = Decimal(0)
    discount = Decimal(1)
    for flow in monthly_flows:
        discount /= monthly_factor
        total += flow * discount
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""The arithmetic of invoices: VAT treatment, line amounts and totals.

DESIGN.md's money rules: Decimal, each line rounded half-up to the currency's
minor unit, VAT computed per rate on the sum of that rate's lines (EN 16931),
never per line. Pure functions, so that the rules are tested with
hand-computed figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

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

"""The in-house cost baseline of a back-office function.

Pure arithmetic over ``Decimal``, never float:

- annual in-house cost = FTEs × annual cost per FTE + overheads + facilities
  + technology + management;
- monthly in-house cost = annual ÷ 12;
- unit cost = monthly cost ÷ monthly volume (none when nothing is processed).

Intermediate figures keep full precision; each figure is rounded half-up to
the currency's minor unit only when it is handed out in a ``Baseline``, so
the unit cost is computed from the exact monthly cost, not from a rounded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from portal.money import round_money

MONTHS_PER_YEAR = Decimal(12)


def annual_people_cost(ftes: Decimal, annual_cost_per_fte: Decimal) -> Decimal:
    return ftes * annual_cost_per_fte


def annual_cost(
    ftes: Decimal,
    annual_cost_per_fte: Decimal,
    overheads: Decimal,
    facilities: Decimal,
    technology: Decimal,
    management: Decimal,
) -> Decimal:
    return (
        annual_people_cost(ftes, annual_cost_per_fte)
        + overheads
        + facilities
        + technology
        + management
    )


def monthly_cost(annual: Decimal) -> Decimal:
    return annual / MONTHS_PER_YEAR


def unit_cost(monthly: Decimal, monthly_volume: int | Decimal) -> Decimal | None:
    if not monthly_volume:
        return None
    return monthly / Decimal(monthly_volume)


@dataclass(frozen=True)
class Breakdown:
    """The in-house cost split by its parts, over one period (a month or a year)."""

    people: Decimal
    overheads: Decimal
    facilities: Decimal
    technology: Decimal
    management: Decimal


@dataclass(frozen=True)
class Baseline:
    """A function's in-house cost, rounded to the currency's minor unit."""

    currency: str
    annual: Decimal
    monthly: Decimal
    #: None when the monthly volume is zero.
    unit_cost: Decimal | None
    #: Per month. Each line is rounded on its own, so lines may differ from the
    #: monthly total by a minor unit.
    breakdown: Breakdown
    #: The same split per year, as the amounts were entered.
    annual_breakdown: Breakdown


def compute_baseline(
    *,
    currency: str,
    ftes: Decimal,
    annual_cost_per_fte: Decimal,
    annual_overheads: Decimal,
    annual_facilities: Decimal,
    annual_technology: Decimal,
    annual_management: Decimal,
    monthly_volume: int,
) -> Baseline:
    """Derive the annual, monthly and unit in-house cost from the inputs."""
    people = annual_people_cost(ftes, annual_cost_per_fte)
    annual_parts = (
        people,
        annual_overheads,
        annual_facilities,
        annual_technology,
        annual_management,
    )
    annual = sum(annual_parts, Decimal(0))
    monthly = monthly_cost(annual)
    per_unit = unit_cost(monthly, monthly_volume)

    def rounded(amount: Decimal) -> Decimal:
        return round_money(amount, currency)

    return Baseline(
        currency=currency,
        annual=rounded(annual),
        monthly=rounded(monthly),
        unit_cost=rounded(per_unit) if per_unit is not None else None,
        breakdown=Breakdown(*(rounded(monthly_cost(part)) for part in annual_parts)),
        annual_breakdown=Breakdown(*(rounded(part) for part in annual_parts)),
    )


class HasBaselineInputs(Protocol):
    currency: str
    ftes: Decimal
    annual_cost_per_fte: Decimal
    annual_overheads: Decimal
    annual_facilities: Decimal
    annual_technology: Decimal
    annual_management: Decimal
    monthly_volume: int


def baseline_of(function: HasBaselineInputs) -> Baseline:
    """The baseline of a ``BackOfficeFunction`` (or anything with its inputs)."""
    return compute_baseline(
        currency=function.currency,
        ftes=Decimal(function.ftes),
        annual_cost_per_fte=Decimal(function.annual_cost_per_fte),
        annual_overheads=Decimal(function.annual_overheads),
        annual_facilities=Decimal(function.annual_facilities),
        annual_technology=Decimal(function.annual_technology),
        annual_management=Decimal(function.annual_management),
        monthly_volume=function.monthly_volume,
    )

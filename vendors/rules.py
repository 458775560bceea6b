"""The arithmetic and rules of tendering, as pure functions over Decimal.

- A bid's monthly price is the sum of its lines, each rounded half-up to the
  currency's minor unit: a fixed monthly fee; price per unit × the tender's
  monthly volume; monthly rate per FTE × FTEs.
- Its projected total over the term = monthly price × term in months +
  one-off transition cost.
- Price score: the lowest projected total gets the price criterion's full
  weight, every other bid weight × lowest ÷ its own total.
- Evaluators score each other criterion from 0 to 10; a criterion's points
  are weight × average score ÷ 10.
- Against the in-house baseline: saving over the term = baseline monthly
  cost × term − projected total; per month = that ÷ term; % = that ÷
  (baseline × term).

Intermediate results keep full precision; money is rounded when it is
handed out, points to two places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from portal.money import round_money
from vendors.models import Better, PriceLineKind

POINTS = Decimal("0.01")
MAX_SCORE = 10


class PriceLine(Protocol):
    kind: PriceLineKind
    quantity: Decimal | None
    unit_price: Decimal


def line_monthly_amount(line: PriceLine, monthly_volume: Decimal, currency: str) -> Decimal:
    """What one pricing line costs a month, rounded half-up to the minor unit."""
    kind = PriceLineKind(line.kind)
    if kind == PriceLineKind.FIXED_MONTHLY:
        amount = line.unit_price
    elif kind == PriceLineKind.PER_UNIT:
        amount = line.unit_price * monthly_volume
    else:
        amount = line.unit_price * (line.quantity or Decimal(0))
    return round_money(amount, currency)


def monthly_price(lines: Iterable[PriceLine], monthly_volume: Decimal, currency: str) -> Decimal:
    return sum(
        (line_monthly_amount(line, monthly_volume, currency) for line in lines),
        start=Decimal(0),
    )


def projected_total(
    lines: Iterable[PriceLine],
    monthly_volume: Decimal,
    term_months: int,
    transition_cost: Decimal,
    currency: str,
) -> Decimal:
    """The bid's whole cost over the contract term, transition included."""
    monthly = monthly_price(lines, monthly_volume, currency)
    return round_money(monthly * term_months + transition_cost, currency)


def pricing_models(lines: Iterable[PriceLine]) -> list[PriceLineKind]:
    """The pricing models a bid uses (more than one is a mix)."""
    kinds = {PriceLineKind(line.kind) for line in lines}
    return [kind for kind in PriceLineKind if kind in kinds]


def price_points(totals: Mapping[int, Decimal], weight: int) -> dict[int, Decimal]:
    """Points of the price criterion per bid id: the cheapest gets ``weight``.

    A bid at zero cost gets the full weight and every other bid none (nothing
    is cheaper than free); with no bids there is nothing to score.
    """
    if not totals:
        return {}
    lowest = min(totals.values())
    points = {}
    for bid_id, total in totals.items():
        if total == lowest:
            share = Decimal(1)
        elif lowest <= 0:
            share = Decimal(0)
        else:
            share = lowest / total
        points[bid_id] = (Decimal(weight) * share).quantize(POINTS, rounding=ROUND_HALF_UP)
    return points


def criterion_points(scores: Iterable[int], weight: int) -> Decimal | None:
    """Points of a scored criterion: weight × average of the evaluators' scores ÷ 10.

    None when nobody has scored it yet (shown as such, not as zero).
    """
    values = list(scores)
    if not values:
        return None
    average = Decimal(sum(values)) / Decimal(len(values))
    return (Decimal(weight) * average / MAX_SCORE).quantize(POINTS, rounding=ROUND_HALF_UP)


def average_score(scores: Iterable[int]) -> Decimal | None:
    values = list(scores)
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(POINTS, rounding=ROUND_HALF_UP)


def weights_sum_to_100(weights: Iterable[int]) -> bool:
    return sum(weights) == 100


def is_weaker(better: Better, target: Decimal, committed: Decimal) -> bool:
    """Whether a committed SLA level falls short of the required target.

    Equal to the target meets it, in either direction.
    """
    if Better(better) == Better.HIGHER:
        return committed < target
    return committed > target


@dataclass(frozen=True)
class AgainstBaseline:
    """A bid's projected cost set against the function's in-house cost."""

    baseline_monthly: Decimal
    baseline_term: Decimal
    projected_monthly: Decimal
    saving_per_month: Decimal
    saving_per_term: Decimal
    #: Share of the in-house cost saved, in percent (negative: it costs more); None without
    #: a baseline.
    saving_percent: Decimal | None


def against_baseline(
    baseline_monthly: Decimal, projected: Decimal, term_months: int, currency: str
) -> AgainstBaseline:
    baseline_term = baseline_monthly * term_months
    saving_term = baseline_term - projected
    percent = None
    if baseline_term > 0:
        percent = (saving_term * 100 / baseline_term).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return AgainstBaseline(
        baseline_monthly=round_money(baseline_monthly, currency),
        baseline_term=round_money(baseline_term, currency),
        projected_monthly=round_money(projected / term_months, currency),
        saving_per_month=round_money(saving_term / term_months, currency),
        saving_per_term=round_money(saving_term, currency),
        saving_percent=percent,
    )

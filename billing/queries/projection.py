"""The projection before award: each opened bid's cost over the term against the in-house
baseline, with the same measures as the savings pages, and a what-if on volume.

The bids are read exactly as on the evaluation page (``vendors.queries.evaluation``,
through the wall, which opens them at the deadline) and priced with the tendering
rules (``vendors.rules``); the savings arithmetic is ``billing.rules``'. Nothing is
re-derived here:

- month m of the term (0-based): baseline = the register's in-house monthly cost
  indexed once per contract year by the client's yearly inflation rate; projected
  cost = the bid's monthly price at the volume + the transition charge of the month
  (the transition cost amortised over the term, or all in the first month);
- saving, % of baseline, cumulative, break-even month and NPV at the client's
  discount rate as on the savings pages. A contract's retained governance cost is
  not known before one is drawn up, so it is not part of the projection.
- what-if: the tender's monthly volume changed by a percentage re-prices the
  per-unit lines only (fixed fees and per-FTE lines do not move with volume); the
  baseline stays as the register has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from billing import rules as savings_rules
from billing.models import SavingsSettings
from billing.queries.savings import settings_of_current
from portal.functions.baseline import baseline_of
from portal.money import round_money
from vendors import rules
from vendors.models import Bid, BidStatus, PriceLineKind, Tender
from vendors.queries import evaluation

#: The what-if choices of the form, in percent of the tender's monthly volume.
VOLUME_CHOICES = (-20, -10, 0, 10, 20)
#: The steps of the volume table, in percent.
VOLUME_STEPS = tuple(range(-20, 21, 5))
HUNDRED = Decimal(100)


def volume_change(value: str | None) -> int:
    """The what-if percentage asked for in the query string; anything else is 0."""
    try:
        change = int(value or 0)
    except ValueError:
        return 0
    return change if change in VOLUME_STEPS else 0


def changed_volume(monthly_volume: Decimal, change: int) -> Decimal:
    return (monthly_volume * (HUNDRED + change) / HUNDRED).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class YearRow:
    """One contract year of a bid's projection (the months added up)."""

    year: int
    baseline: Decimal
    projected: Decimal
    saving: Decimal
    #: The cumulative saving at the end of the year.
    cumulative: Decimal


@dataclass
class BidProjection:
    bid_id: int
    vendor_name: str
    captive: bool
    status: BidStatus
    pricing_models: list[PriceLineKind]
    #: The service price a month at the projection's volume.
    monthly_price: Decimal
    transition_cost: Decimal
    #: The transition charge of the first month (the whole cost when taken up front).
    first_transition_charge: Decimal
    #: Service price + transition charge of the first month.
    first_month_cost: Decimal
    projected_total: Decimal
    baseline_total: Decimal
    #: Over the term, as on the evaluation page (average per month, %).
    against: rules.AgainstBaseline
    months: list[savings_rules.SavingMonth]
    break_even_month: int | None
    npv: Decimal
    years: list[YearRow]

    @property
    def cumulative(self) -> Decimal:
        return self.months[-1].cumulative if self.months else Decimal("0.00")


@dataclass(frozen=True)
class StepPrice:
    bid_id: int
    monthly_price: Decimal
    cheapest: bool


@dataclass(frozen=True)
class VolumeStep:
    change: int
    volume: Decimal
    prices: list[StepPrice]

    def price_of(self, bid_id: int) -> StepPrice | None:
        return next((price for price in self.prices if price.bid_id == bid_id), None)


@dataclass(frozen=True)
class Overtaking:
    """Between two volume steps, one bid becomes cheaper a month than another."""

    cheaper_name: str
    dearer_name: str
    from_change: int
    to_change: int
    #: The volume at which their monthly prices are equal (None if it cannot be told).
    crossing_volume: Decimal | None
    #: The cheaper one becomes the cheapest of all.
    becomes_cheapest: bool


@dataclass(frozen=True)
class FarCrossing:
    """Two bids whose monthly prices cross only outside the −20 … +20 % range."""

    #: The bid with the higher price per unit: the cheaper one below the crossing.
    cheaper_below_name: str
    other_name: str
    volume: Decimal
    #: The crossing as a change of the tendered volume, in whole percent.
    change: int


@dataclass
class Projection:
    tender_id: int
    currency: str
    term_months: int
    volume_unit: str
    monthly_volume: Decimal
    change: int
    volume: Decimal
    settings: SavingsSettings
    #: The in-house monthly cost in the tender's currency; None without one.
    baseline_monthly: Decimal | None
    bids: list[BidProjection] = field(default_factory=list)
    steps: list[VolumeStep] = field(default_factory=list)
    overtakings: list[Overtaking] = field(default_factory=list)
    far_crossings: list[FarCrossing] = field(default_factory=list)


def _baseline_monthly(tender: Tender) -> Decimal | None:
    """The function's in-house monthly cost, only in the tender's currency (never mixed)."""
    function = tender.function
    if function is None or function.currency != tender.currency:
        return None
    monthly = baseline_of(function).monthly
    return monthly if monthly > 0 else None


def _years(months: list[savings_rules.SavingMonth]) -> list[YearRow]:
    rows = []
    for start in range(0, len(months), 12):
        chunk = months[start : start + 12]
        rows.append(
            YearRow(
                year=start // 12 + 1,
                baseline=sum((month.baseline for month in chunk), Decimal(0)),
                projected=sum((month.outsourced for month in chunk), Decimal(0)),
                saving=sum((month.saving for month in chunk), Decimal(0)),
                cumulative=chunk[-1].cumulative,
            )
        )
    return rows


def _bid_projection(
    tender: Tender, bid: Bid, volume: Decimal, baselines: list[Decimal], settings: SavingsSettings
) -> BidProjection:
    currency, term = tender.currency, tender.term_months
    monthly = rules.monthly_price(bid.price_lines, volume, currency)
    total = rules.projected_total(bid.price_lines, volume, term, bid.transition_cost, currency)
    charges = savings_rules.transition_charges(
        bid.transition_cost, term, amortised=settings.transition_amortised
    )
    costs = [monthly + charge for charge in charges]
    months = savings_rules.saving_months(baselines, costs) if baselines else []
    baseline_total = sum(baselines, Decimal(0))
    return BidProjection(
        bid_id=bid.id,
        vendor_name=bid.vendor.name,
        captive=bid.vendor.is_captive,
        status=BidStatus(bid.status),
        pricing_models=rules.pricing_models(bid.price_lines),
        monthly_price=monthly,
        transition_cost=bid.transition_cost,
        first_transition_charge=charges[0] if charges else Decimal("0.00"),
        first_month_cost=costs[0] if costs else monthly,
        projected_total=total,
        baseline_total=baseline_total,
        # The indexed baseline's average month, so that the term totals are those of
        # the months and, without inflation, the figures are the evaluation page's.
        against=rules.against_baseline(
            baseline_total / term if baselines else Decimal(0), total, term, currency
        ),
        months=months,
        break_even_month=savings_rules.break_even_month(months),
        npv=savings_rules.net_present_value(
            (month.saving for month in months), Decimal(settings.discount_rate_percent)
        ),
        years=_years(months),
    )


def _steps(tender: Tender, bids: list[Bid]) -> list[VolumeStep]:
    steps = []
    for change in VOLUME_STEPS:
        volume = changed_volume(tender.monthly_volume, change)
        prices = {
            bid.id: rules.monthly_price(bid.price_lines, volume, tender.currency) for bid in bids
        }
        lowest = min(prices.values()) if prices else None
        steps.append(
            VolumeStep(
                change,
                volume,
                [StepPrice(bid_id, price, price == lowest) for bid_id, price in prices.items()],
            )
        )
    return steps


def _per_unit_rate(bid: Bid) -> Decimal:
    """What one more unit of volume adds to the bid's monthly price."""
    return sum(
        (
            line.unit_price
            for line in bid.price_lines
            if PriceLineKind(line.kind) == PriceLineKind.PER_UNIT
        ),
        Decimal(0),
    )


def _crossing(tender: Tender, one: Bid, other: Bid) -> Decimal | None:
    """The monthly volume at which two bids cost the same a month (prices are linear in it)."""
    slope = _per_unit_rate(one) - _per_unit_rate(other)
    if not slope:
        return None
    fixed_one = rules.monthly_price(one.price_lines, Decimal(0), tender.currency)
    fixed_other = rules.monthly_price(other.price_lines, Decimal(0), tender.currency)
    return ((fixed_other - fixed_one) / slope).quantize(Decimal(1))


def _overtakings(tender: Tender, bids: list[Bid], steps: list[VolumeStep]) -> list[Overtaking]:
    """Each time a bid's monthly price goes from above another's to below it, step by step.

    Equal prices at a step do not decide: the flip runs from the last step where
    the bid was dearer to the first where it is cheaper.
    """
    found = []
    for one in bids:
        for other in bids:
            if one.id == other.id:
                continue
            dearer_at = None
            for step in steps:
                mine = step.price_of(one.id).monthly_price
                theirs = step.price_of(other.id).monthly_price
                if mine > theirs:
                    dearer_at = step
                elif mine < theirs and dearer_at is not None:
                    found.append(
                        Overtaking(
                            cheaper_name=one.vendor.name,
                            dearer_name=other.vendor.name,
                            from_change=dearer_at.change,
                            to_change=step.change,
                            crossing_volume=_crossing(tender, one, other),
                            becomes_cheapest=step.price_of(one.id).cheapest
                            and not dearer_at.price_of(one.id).cheapest,
                        )
                    )
                    dearer_at = None
    found.sort(key=lambda item: (item.to_change, item.cheaper_name.casefold()))
    return found


def _far_crossings(
    tender: Tender, bids: list[Bid], overtakings: list[Overtaking]
) -> list[FarCrossing]:
    """Where, beyond the steps shown, a per-unit price would overtake another bid's.

    Only for pairs that do not already swap places within the steps, and only at a
    volume above zero.
    """
    swapped = {frozenset((item.cheaper_name, item.dearer_name)) for item in overtakings}
    found = []
    for index, one in enumerate(bids):
        for other in bids[index + 1 :]:
            if frozenset((one.vendor.name, other.vendor.name)) in swapped:
                continue
            volume = _crossing(tender, one, other)
            if volume is None or volume <= 0 or not tender.monthly_volume:
                continue
            steeper, flatter = (
                (one, other) if _per_unit_rate(one) > _per_unit_rate(other) else (other, one)
            )
            change = ((volume / tender.monthly_volume - 1) * HUNDRED).quantize(Decimal(1))
            if VOLUME_STEPS[0] <= change <= VOLUME_STEPS[-1]:
                continue  # at the edge of the steps: the table shows it
            found.append(FarCrossing(steeper.vendor.name, flatter.vendor.name, volume, int(change)))
    found.sort(key=lambda item: (item.change, item.cheaper_below_name.casefold()))
    return found


def projection(tender: Tender, now: datetime, change: int = 0) -> Projection | None:
    """Each opened bid of the tender projected over the term, or None while bids are sealed.

    A constant number of statements whatever the number of bids or the term: the
    bids with their vendor and lines (``evaluation.sealed_bids``), the function and
    the client's settings.
    """
    if not evaluation.is_opened(tender, now):
        return None
    settings = settings_of_current()
    volume = changed_volume(tender.monthly_volume, change)
    baseline_monthly = _baseline_monthly(tender)
    baselines = (
        [
            savings_rules.indexed_baseline(
                baseline_monthly, month, Decimal(settings.yearly_inflation_percent)
            )
            for month in range(tender.term_months)
        ]
        if baseline_monthly is not None
        else []
    )
    bids = evaluation.sealed_bids(tender)
    result = Projection(
        tender_id=tender.id,
        currency=tender.currency,
        term_months=tender.term_months,
        volume_unit=tender.volume_unit,
        monthly_volume=tender.monthly_volume,
        change=change,
        volume=volume,
        settings=settings,
        baseline_monthly=round_money(baseline_monthly, tender.currency)
        if baseline_monthly is not None
        else None,
    )
    result.bids = [_bid_projection(tender, bid, volume, baselines, settings) for bid in bids]
    result.bids.sort(key=lambda row: (row.vendor_name.casefold(), row.bid_id))
    result.steps = _steps(tender, bids)
    result.overtakings = _overtakings(tender, bids, result.steps)
    result.far_crossings = _far_crossings(tender, bids, result.overtakings)
    return result

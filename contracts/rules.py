"""The arithmetic of contracts: periods, fees, SLA outcomes and service credits.

Pure functions of values (no database), so that the rules can be tested with
hand-computed figures and reused by billing. Money follows DESIGN.md: Decimal,
rounded half-up to the currency's minor unit per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from contracts.models import SlaOutcome
from portal.money import round_money
from vendors.models import Better

HUNDRED = Decimal(100)


# --- Periods ---------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(period: date) -> date:
    return next_month(period) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def term_end(start: date, months: int) -> date:
    """The last day of a term of ``months`` months starting on ``start``."""
    return add_months(start, months) - timedelta(days=1)


def periods_between(start: date, end: date) -> list[date]:
    """Every month (as its first day) that the days ``start``..``end`` touch."""
    periods: list[date] = []
    period = month_start(start)
    while period <= end:
        periods.append(period)
        period = next_month(period)
    return periods


def closed_periods(start: date, last_day: date, today: date) -> list[date]:
    """The months of a term that are over on ``today`` (reports are due for them)."""
    return [period for period in periods_between(start, last_day) if month_end(period) < today]


# --- Fees --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    """One rate-card line's amount for a period."""

    code: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PeriodFees:
    lines: tuple[FeeLine, ...]
    #: Sum of the lines.
    subtotal: Decimal
    #: What the monthly minimum adds (0 when the lines reach it).
    minimum_top_up: Decimal
    #: The period's fees: the subtotal, at least the minimum.
    total: Decimal


def period_fees(
    fixed: Iterable[tuple[str, Decimal]],
    unit_rates: Iterable[tuple[str, Decimal, Decimal]],
    minimum: Decimal | None,
    currency: str,
) -> PeriodFees:
    """Fees of a month: each fixed fee, each volume × rate (rounded per line), at least ``minimum``.

    ``fixed`` yields (code, monthly fee); ``unit_rates`` yields (code, rate, volume).
    """
    lines = [FeeLine(code, Decimal(1), fee, round_money(fee, currency)) for code, fee in fixed]
    lines += [
        FeeLine(code, volume, rate, round_money(volume * rate, currency))
        for code, rate, volume in unit_rates
    ]
    subtotal = sum((line.amount for line in lines), Decimal(0))
    floor = round_money(minimum, currency) if minimum is not None else Decimal(0)
    top_up = max(floor - subtotal, Decimal(0))
    return PeriodFees(tuple(lines), subtotal, top_up, subtotal + top_up)


# --- SLA outcomes and credits ----------------------------------------------------------


def is_better_or_equal(value: Decimal, reference: Decimal, better: Better) -> bool:
    """Whether ``value`` reaches ``reference`` (equal counts as reaching it)."""
    return value >= reference if better is Better.HIGHER else value <= reference


def sla_outcome(
    actual: Decimal | None,
    target: Decimal,
    better: Better,
    critical_threshold: Decimal | None = None,
) -> SlaOutcome:
    """Met when the actual value reaches the target (equal is met); critical past the threshold.

    A threshold is on the worse side of the target: for "higher is better" a
    value below it is critical, for "lower is better" a value above it. A
    value exactly on the threshold is a plain breach.
    """
    if actual is None:
        return SlaOutcome.MISSING
    if is_better_or_equal(actual, target, better):
        return SlaOutcome.MET
    if critical_threshold is not None and not is_better_or_equal(
        actual, critical_threshold, better
    ):
        return SlaOutcome.CRITICAL
    return SlaOutcome.BREACHED


def threshold_is_consistent(target: Decimal, better: Better, critical: Decimal | None) -> bool:
    """A critical threshold must lie on the worse side of the target (or equal it)."""
    return critical is None or is_better_or_equal(target, critical, better)


def is_breach(outcome: SlaOutcome) -> bool:
    return outcome is not SlaOutcome.MET


@dataclass(frozen=True)
class MetricCredit:
    code: str
    outcome: SlaOutcome
    credit_percent: Decimal
    #: Before the cap.
    amount: Decimal


@dataclass(frozen=True)
class PeriodCredits:
    metrics: tuple[MetricCredit, ...]
    uncapped: Decimal
    cap: Decimal
    #: What the client is credited for the period: the uncapped sum, at most the cap.
    total: Decimal

    @property
    def capped(self) -> bool:
        return self.uncapped > self.cap


def service_credits(
    outcomes: Mapping[str, tuple[SlaOutcome, Decimal]],
    fees: Decimal,
    cap_percent: Decimal,
    currency: str,
) -> PeriodCredits:
    """Each breached metric credits its percent of the period's fees; the sum is capped.

    ``outcomes`` maps a metric code to (outcome, credit percent). Each credit
    is rounded on its own, like an invoice line, and the cap too.
    """
    metrics = []
    for code, (outcome, percent) in outcomes.items():
        due = percent if is_breach(outcome) else Decimal(0)
        metrics.append(
            MetricCredit(code, outcome, due, round_money(fees * due / HUNDRED, currency))
        )
    uncapped = sum((metric.amount for metric in metrics), Decimal(0))
    cap = round_money(fees * cap_percent / HUNDRED, currency)
    return PeriodCredits(tuple(metrics), uncapped, cap, min(uncapped, cap))


def attainment(met: int, total: int) -> Decimal | None:
    """Share of metrics met, in percent with one decimal; None when nothing was measured."""
    if total == 0:
        return None
    return (Decimal(met) * HUNDRED / Decimal(total)).quantize(Decimal("0.1"))


def trend(recent: Decimal | None, earlier: Decimal | None) -> str:
    """ "up", "down" or "flat": attainment of the latest period against the average before it.

    Within one percentage point counts as flat, so that one rounding does
    not read as a movement.
    """
    if recent is None or earlier is None:
        return "flat"
    if recent - earlier > 1:
        return "up"
    if earlier - recent > 1:
        return "down"
    return "flat"


# --- VAT --------------------------------------------------------------------------------

#: Standard VAT rates of the EU member states (percent, as of 2025: Estonia 24 from
#: July 2025, Romania 21 from August 2025, Finland 25.5 from September 2024). Only a
#: suggestion for a new contract: the client may type another rate.
EU_STANDARD_VAT_RATES: dict[str, Decimal] = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "GR": Decimal("24"),
    "HR": Decimal("25"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "LV": Decimal("21"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SE": Decimal("25"),
    "SI": Decimal("22"),
    "SK": Decimal("23"),
}


def standard_vat_rate(country: str | None) -> Decimal | None:
    """The standard VAT rate of an EU country; None elsewhere (the client types it)."""
    return EU_STANDARD_VAT_RATES.get((country or "").upper())


def default_vat_treatment(
    client_country: str | None, vendor_country: str | None, is_captive_of_client: bool
):
    """How VAT applies to services between the parties, by default.

    A captive centre charges its owner internally (no VAT); parties in the
    same country charge domestic VAT; between two EU countries the client
    self-accounts (reverse charge, B2B services); otherwise the service is out
    of scope of EU VAT.
    """
    from contracts.models import VatTreatment

    if is_captive_of_client:
        return VatTreatment.INTERNAL
    client_country = (client_country or "").upper()
    vendor_country = (vendor_country or "").upper()
    if client_country and client_country == vendor_country:
        return VatTreatment.DOMESTIC
    if client_country in EU_STANDARD_VAT_RATES and vendor_country in EU_STANDARD_VAT_RATES:
        return VatTreatment.REVERSE_CHARGE
    return VatTreatment.OUT_OF_SCOPE

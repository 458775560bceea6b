"""The arithmetic of tendering (vendors/rules.py), with figures computed by hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from vendors import rules
from vendors.models import Better, PriceLineKind

D = Decimal
VOLUME = D("12000")


@dataclass
class Line:
    kind: PriceLineKind
    unit_price: Decimal
    quantity: Decimal | None = None


FIXED = Line(PriceLineKind.FIXED_MONTHLY, D("50000"))
PER_UNIT = Line(PriceLineKind.PER_UNIT, D("2.15"))
PER_FTE = Line(PriceLineKind.PER_FTE, D("3200.50"), D("4.5"))


# --- Projected cost -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "monthly"),
    [
        # The fee itself.
        (FIXED, D("50000.00")),
        # 2.15 × 12,000 invoices.
        (PER_UNIT, D("25800.00")),
        # 3,200.50 × 4.5 FTEs.
        (PER_FTE, D("14402.25")),
    ],
)
def test_each_pricing_model_costs_a_month(line, monthly):
    assert rules.line_monthly_amount(line, VOLUME, "EUR") == monthly


def test_a_per_fte_line_without_ftes_costs_nothing():
    assert rules.line_monthly_amount(Line(PriceLineKind.PER_FTE, D("3000")), VOLUME, "EUR") == 0


@pytest.mark.parametrize(
    ("lines", "transition", "total"),
    [
        # 50,000 × 36 + 100,000
        ([FIXED], D("100000"), D("1900000.00")),
        # 25,800 × 36 + 0
        ([PER_UNIT], D("0"), D("928800.00")),
        # 14,402.25 × 36 + 5,000
        ([PER_FTE], D("5000"), D("523481.00")),
        # (50,000 + 25,800 + 14,402.25) × 36 + 100,000 = 90,202.25 × 36 + 100,000
        ([FIXED, PER_UNIT, PER_FTE], D("100000"), D("3347281.00")),
    ],
)
def test_projected_total_over_the_term_includes_the_transition(lines, transition, total):
    assert rules.projected_total(lines, VOLUME, 36, transition, "EUR") == total


def test_each_line_is_rounded_half_up_on_its_own():
    # 0.0005 × 10 units = 0.005 and 0.0025 × 2 FTEs = 0.005: each line rounds
    # up to 0.01, so the month costs 0.02 (rounding the sum would give 0.01).
    lines = [
        Line(PriceLineKind.PER_UNIT, D("0.0005")),
        Line(PriceLineKind.PER_FTE, D("0.0025"), D("2")),
    ]
    assert [rules.line_monthly_amount(line, D("10"), "EUR") for line in lines] == [
        D("0.01"),
        D("0.01"),
    ]
    assert rules.monthly_price(lines, D("10"), "EUR") == D("0.02")


def test_half_a_cent_goes_up_not_to_even():
    # 0.0125 × 10 = 0.125: half-up gives 0.13 (banker's rounding would give 0.12).
    line = Line(PriceLineKind.PER_UNIT, D("0.0125"))
    assert rules.line_monthly_amount(line, D("10"), "EUR") == D("0.13")


def test_rounding_follows_the_currency_minor_unit():
    # The yen has no minor unit: 1,000.5 rounds to 1,001.
    assert rules.line_monthly_amount(
        Line(PriceLineKind.FIXED_MONTHLY, D("1000.5")), VOLUME, "JPY"
    ) == D("1001")


def test_pricing_models_lists_each_model_once_in_a_fixed_order():
    assert rules.pricing_models([PER_FTE, FIXED, PER_FTE]) == [
        PriceLineKind.FIXED_MONTHLY,
        PriceLineKind.PER_FTE,
    ]
    assert rules.pricing_models([]) == []


# --- Points ---------------------------------------------------------------------------


def test_the_lowest_total_gets_the_full_price_weight_others_proportionally():
    totals = {1: D("1000000"), 2: D("1250000"), 3: D("2000000")}
    # 60 × 1,000,000 ÷ 1,250,000 = 48; 60 × 1,000,000 ÷ 2,000,000 = 30.
    assert rules.price_points(totals, 60) == {1: D("60.00"), 2: D("48.00"), 3: D("30.00")}


def test_price_points_are_rounded_half_up_to_two_places():
    # 60 × 100 ÷ 700 = 8.5714… → 8.57; 60 × 100 ÷ 300 = 20.
    assert rules.price_points({1: D("100"), 2: D("700"), 3: D("300")}, 60) == {
        1: D("60.00"),
        2: D("8.57"),
        3: D("20.00"),
    }


def test_equal_lowest_totals_both_get_the_full_weight():
    assert rules.price_points({1: D("500"), 2: D("500")}, 40) == {1: D("40.00"), 2: D("40.00")}


def test_a_free_bid_gets_the_full_weight_and_every_other_none():
    assert rules.price_points({1: D("0"), 2: D("500"), 3: D("0")}, 60) == {
        1: D("60.00"),
        2: D("0.00"),
        3: D("60.00"),
    }


def test_no_bids_no_price_points():
    assert rules.price_points({}, 60) == {}


def test_criterion_points_use_the_evaluators_average():
    # Two evaluators give 7 and 8: average 7.5, × 40 ÷ 10 = 30.
    assert rules.criterion_points([7, 8], 40) == D("30.00")
    # 9, 8, 8: average 8.333…, × 25 ÷ 10 = 20.833… → 20.83.
    assert rules.criterion_points([9, 8, 8], 25) == D("20.83")
    assert rules.criterion_points([10], 40) == D("40.00")
    assert rules.criterion_points([0, 0], 40) == D("0.00")


def test_an_unscored_criterion_has_no_points_rather_than_zero():
    assert rules.criterion_points([], 40) is None
    assert rules.average_score([]) is None
    assert rules.average_score([9, 8, 8]) == D("8.33")


def test_weights_must_sum_to_100():
    assert rules.weights_sum_to_100([60, 25, 15])
    assert not rules.weights_sum_to_100([60, 25])
    assert not rules.weights_sum_to_100([60, 50])


# --- Service levels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("better", "target", "committed", "weaker"),
    [
        # Accuracy ≥ 99 %: below is weaker, above or equal meets it.
        (Better.HIGHER, D("99"), D("98.9"), True),
        (Better.HIGHER, D("99"), D("99.5"), False),
        (Better.HIGHER, D("99"), D("99.0000"), False),
        # First response ≤ 4 hours: more is weaker, less or equal meets it.
        (Better.LOWER, D("4"), D("4.5"), True),
        (Better.LOWER, D("4"), D("2"), False),
        (Better.LOWER, D("4"), D("4"), False),
    ],
)
def test_is_weaker_in_both_directions(better, target, committed, weaker):
    assert rules.is_weaker(better, target, committed) is weaker
    # Stored values come back as plain strings from the enum column too.
    assert rules.is_weaker(better.value, target, committed) is weaker


# --- Against the in-house baseline ----------------------------------------------------


def test_a_cheaper_bid_saves_against_the_baseline():
    # In-house 70,000 a month × 36 = 2,520,000; the bid costs 2,188,000 over the term.
    result = rules.against_baseline(D("70000"), D("2188000"), 36, "EUR")
    assert result.baseline_monthly == D("70000.00")
    assert result.baseline_term == D("2520000.00")
    # 2,188,000 ÷ 36 = 60,777.777…
    assert result.projected_monthly == D("60777.78")
    # 332,000 over the term; ÷ 36 = 9,222.222…; ÷ 2,520,000 = 13.17… %.
    assert result.saving_per_term == D("332000.00")
    assert result.saving_per_month == D("9222.22")
    assert result.saving_percent == D("13.2")


def test_a_dearer_bid_shows_a_negative_saving():
    # 2,764,000 against 2,520,000: −244,000, −6,777.78 a month, −9.68… % → −9.7.
    result = rules.against_baseline(D("70000"), D("2764000"), 36, "EUR")
    assert result.saving_per_term == D("-244000.00")
    assert result.saving_per_month == D("-6777.78")
    assert result.saving_percent == D("-9.7")


def test_no_percentage_against_a_zero_baseline():
    result = rules.against_baseline(D("0"), D("1000"), 12, "EUR")
    assert result.saving_percent is None
    assert result.saving_per_term == D("-1000.00")

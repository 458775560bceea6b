"""The in-house baseline: hand-computed figures, half-up rounding, no floats."""

from dataclasses import FrozenInstanceError
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.functions.baseline import (
    Baseline,
    annual_cost,
    baseline_of,
    compute_baseline,
    monthly_cost,
    round_money,
    unit_cost,
)

D = Decimal


def _inputs(**overrides):
    values = {
        "currency": "EUR",
        "ftes": D("10"),
        "annual_cost_per_fte": D("60000"),
        "annual_overheads": D("60000"),
        "annual_facilities": D("36000"),
        "annual_technology": D("24000"),
        "annual_management": D("120000"),
        "monthly_volume": 12000,
    }
    values.update(overrides)
    return values


def test_annual_cost_is_people_plus_every_other_cost():
    # 10 × 60,000 + 60,000 + 36,000 + 24,000 + 120,000
    assert annual_cost(D(10), D(60000), D(60000), D(36000), D(24000), D(120000)) == D(840000)


def test_monthly_cost_is_a_twelfth_of_annual():
    assert monthly_cost(D(840000)) == D(70000)


def test_unit_cost_is_monthly_cost_over_volume_and_none_without_volume():
    assert unit_cost(D(70000), 12000) == D(70000) / D(12000)
    assert unit_cost(D(70000), 0) is None


def test_baseline_of_the_reference_function():
    baseline = compute_baseline(**_inputs())
    assert baseline.annual == D("840000.00")
    assert baseline.monthly == D("70000.00")
    # 70,000 / 12,000 = 5.8333… → 5.83 per invoice
    assert baseline.unit_cost == D("5.83")
    assert baseline.currency == "EUR"
    assert baseline.breakdown.people == D("50000.00")
    assert baseline.breakdown.overheads == D("5000.00")
    assert baseline.breakdown.facilities == D("3000.00")
    assert baseline.breakdown.technology == D("2000.00")
    assert baseline.breakdown.management == D("10000.00")
    assert baseline.annual_breakdown.people == D("600000.00")


def test_every_figure_is_a_decimal_with_the_currency_minor_unit():
    baseline = compute_baseline(**_inputs())
    for amount in (baseline.annual, baseline.monthly, baseline.unit_cost):
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == -2


def test_fractional_ftes():
    baseline = compute_baseline(**_inputs(ftes=D("12.5")))
    # 12.5 × 60,000 = 750,000 + 240,000 = 990,000 / 12 = 82,500
    assert baseline.annual == D("990000.00")
    assert baseline.monthly == D("82500.00")


def test_no_volume_gives_no_unit_cost():
    assert compute_baseline(**_inputs(monthly_volume=0)).unit_cost is None


def test_rounding_is_half_up_at_half_a_cent():
    # 120.06 / 12 = 10.005 exactly: half-up gives 10.01 (banker's would give 10.00)
    baseline = compute_baseline(
        **_inputs(
            ftes=D(0),
            annual_overheads=D("120.06"),
            annual_facilities=D(0),
            annual_technology=D(0),
            annual_management=D(0),
            monthly_volume=1,
        )
    )
    assert baseline.monthly == D("10.01")
    assert round_money(D("2.675"), "EUR") == D("2.68")
    assert round_money(D("2.665"), "EUR") == D("2.67")
    assert round_money(D("2.6649"), "EUR") == D("2.66")


def test_unit_cost_divides_the_exact_monthly_cost_not_the_rounded_one():
    # 1.04 / 12 = 0.08666… (shown 0.09); ÷ 18 = 0.004814… → 0.00.
    # Dividing the rounded 0.09 would give 0.005 → 0.01.
    baseline = compute_baseline(
        **_inputs(
            ftes=D(0),
            annual_overheads=D("1.04"),
            annual_facilities=D(0),
            annual_technology=D(0),
            annual_management=D(0),
            monthly_volume=18,
        )
    )
    assert baseline.monthly == D("0.09")
    assert baseline.unit_cost == D("0.00")


def test_rounding_follows_the_currency_minor_unit():
    assert round_money(D("1234.5"), "JPY") == D("1235")
    assert round_money(D("1.2345"), "EUR") == D("1.23")
    baseline = compute_baseline(**_inputs(currency="JPY", annual_overheads=D("60006")))
    assert baseline.monthly == D("70001")  # 840,006 / 12 = 70,000.5 → 70,001


def test_baseline_of_reads_a_function_record():
    record = SimpleNamespace(**_inputs())
    assert baseline_of(record) == compute_baseline(**_inputs())


def test_baseline_is_frozen():
    baseline = compute_baseline(**_inputs())
    assert isinstance(baseline, Baseline)
    with pytest.raises(FrozenInstanceError):
        baseline.monthly = D(0)  # type: ignore[misc]

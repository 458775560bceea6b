"""The arithmetic of contracts, checked against figures computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts import rules
from contracts.models import SlaOutcome
from vendors.models import Better

D = Decimal


# --- SLA outcomes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("99.5", SlaOutcome.MET),
        # Equal to the target is met.
        ("99", SlaOutcome.MET),
        ("98.9999", SlaOutcome.BREACHED),
        ("97.5", SlaOutcome.BREACHED),
        # Exactly on the critical threshold is a plain breach.
        ("97", SlaOutcome.BREACHED),
        ("96.9999", SlaOutcome.CRITICAL),
        ("0", SlaOutcome.CRITICAL),
    ],
)
def test_higher_is_better_outcomes(actual, expected):
    assert rules.sla_outcome(D(actual), D("99"), Better.HIGHER, D("97")) is expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("0", SlaOutcome.MET),
        ("2.5", SlaOutcome.MET),
        # Equal to the target is met.
        ("3", SlaOutcome.MET),
        ("3.0001", SlaOutcome.BREACHED),
        # Exactly on the critical threshold is a plain breach.
        ("5", SlaOutcome.BREACHED),
        ("5.0001", SlaOutcome.CRITICAL),
        ("30", SlaOutcome.CRITICAL),
    ],
)
def test_lower_is_better_outcomes(actual, expected):
    assert rules.sla_outcome(D(actual), D("3"), Better.LOWER, D("5")) is expected


@pytest.mark.parametrize("better", [Better.HIGHER, Better.LOWER])
def test_a_metric_without_critical_threshold_is_never_critical(better):
    far_off = D("-1000") if better is Better.HIGHER else D("1000")
    assert rules.sla_outcome(far_off, D("50"), better) is SlaOutcome.BREACHED
    assert rules.sla_outcome(far_off, D("50"), better, None) is SlaOutcome.BREACHED


@pytest.mark.parametrize("better", [Better.HIGHER, Better.LOWER])
def test_a_value_not_reported_is_missing(better):
    assert rules.sla_outcome(None, D("99"), better, D("97")) is SlaOutcome.MISSING
    assert rules.is_breach(SlaOutcome.MISSING)


def test_only_met_is_not_a_breach():
    assert not rules.is_breach(SlaOutcome.MET)
    assert all(
        rules.is_breach(outcome)
        for outcome in (SlaOutcome.BREACHED, SlaOutcome.CRITICAL, SlaOutcome.MISSING)
    )


def test_a_critical_threshold_equal_to_the_target_makes_every_miss_critical():
    assert rules.sla_outcome(D("99"), D("99"), Better.HIGHER, D("99")) is SlaOutcome.MET
    assert rules.sla_outcome(D("98.9"), D("99"), Better.HIGHER, D("99")) is SlaOutcome.CRITICAL


@pytest.mark.parametrize(
    ("target", "better", "critical", "consistent"),
    [
        ("99", Better.HIGHER, "97", True),
        ("99", Better.HIGHER, "99", True),
        ("99", Better.HIGHER, "99.5", False),
        ("3", Better.LOWER, "5", True),
        ("3", Better.LOWER, "2", False),
        ("3", Better.LOWER, None, True),
    ],
)
def test_a_critical_threshold_lies_on_the_worse_side(target, better, critical, consistent):
    threshold = D(critical) if critical is not None else None
    assert rules.threshold_is_consistent(D(target), better, threshold) is consistent


# --- Fees -------------------------------------------------------------------------------


def test_fees_are_rounded_half_up_per_line():
    # 3 × 0.335 = 1.005 → 1.01 on each line (a float would give 1.00), so the two
    # lines make 2.02, where rounding their sum (2.010) would make 2.01.
    fees = rules.period_fees(
        [("base-fee", D("1000"))],
        [("invoices", D("0.335"), D("3")), ("credit-notes", D("0.335"), D("3"))],
        None,
        "EUR",
    )
    assert [line.amount for line in fees.lines] == [D("1000.00"), D("1.01"), D("1.01")]
    assert fees.subtotal == D("1002.02")
    assert fees.minimum_top_up == D("0")
    assert fees.total == D("1002.02")


def test_fees_follow_the_currency_minor_unit():
    # 2.5 × 3 = 7.5 yen → 8 (no minor unit); 0.3335 × 3 = 1.0005 dinars → 1.001 (three).
    yen = rules.period_fees([], [("invoices", D("2.5"), D("3"))], None, "JPY")
    dinars = rules.period_fees([], [("invoices", D("0.3335"), D("3"))], None, "TND")
    assert yen.total == D("8")
    assert dinars.total == D("1.001")


def test_the_monthly_minimum_tops_up_low_fees():
    # 2.50 × 1,000 = 2,500.00, under a 3,000.00 minimum: 500.00 added.
    fees = rules.period_fees([], [("invoices", D("2.50"), D("1000"))], D("3000"), "EUR")
    assert fees.subtotal == D("2500.00")
    assert fees.minimum_top_up == D("500.00")
    assert fees.total == D("3000.00")


def test_fees_above_the_minimum_are_not_topped_up():
    fees = rules.period_fees(
        [("base-fee", D("40000"))], [("invoices", D("2.50"), D("10000"))], D("3000"), "EUR"
    )
    assert fees.subtotal == D("65000.00")
    assert fees.minimum_top_up == D("0")
    assert fees.total == D("65000.00")


def test_a_period_without_volume_costs_its_fixed_fees():
    fees = rules.period_fees([("base-fee", D("40000"))], [("invoices", D("2.50"), 0)], None, "EUR")
    assert fees.total == D("40000.00")


# --- Service credits ----------------------------------------------------------------------


def _outcomes():
    return {
        "accuracy": (SlaOutcome.BREACHED, D("5")),
        "cycle-time": (SlaOutcome.MET, D("4")),
        "backlog": (SlaOutcome.CRITICAL, D("3")),
        "first-time-right": (SlaOutcome.MISSING, D("2")),
    }


def test_each_breached_metric_credits_its_percent_of_the_fees():
    credits = rules.service_credits(_outcomes(), D("10000.00"), D("20"), "EUR")
    by_code = {metric.code: metric for metric in credits.metrics}
    assert by_code["accuracy"].amount == D("500.00")
    assert by_code["cycle-time"].amount == D("0.00")
    assert by_code["cycle-time"].credit_percent == D("0")
    assert by_code["backlog"].amount == D("300.00")
    # Not reported costs its credit like a breach.
    assert by_code["first-time-right"].amount == D("200.00")
    assert credits.uncapped == D("1000.00")
    # A cap above the sum changes nothing.
    assert credits.cap == D("2000.00")
    assert credits.total == D("1000.00")
    assert not credits.capped


def test_the_cap_limits_the_sum_of_credits():
    credits = rules.service_credits(_outcomes(), D("10000.00"), D("8"), "EUR")
    assert credits.uncapped == D("1000.00")
    assert credits.cap == D("800.00")
    assert credits.total == D("800.00")
    assert credits.capped


def test_a_cap_equal_to_the_sum_is_not_a_reduction():
    credits = rules.service_credits(_outcomes(), D("10000.00"), D("10"), "EUR")
    assert credits.total == D("1000.00")
    assert not credits.capped


def test_a_cap_of_zero_credits_nothing():
    credits = rules.service_credits(_outcomes(), D("10000.00"), D("0"), "EUR")
    assert credits.uncapped == D("1000.00")
    assert credits.total == D("0.00")


def test_each_credit_is_rounded_on_its_own():
    # 5 % of 1,000.10 = 50.005 → 50.01 each; two make 100.02 (10 % at once: 100.01).
    outcomes = {
        "accuracy": (SlaOutcome.BREACHED, D("5")),
        "cycle-time": (SlaOutcome.BREACHED, D("5")),
    }
    credits = rules.service_credits(outcomes, D("1000.10"), D("100"), "EUR")
    assert [metric.amount for metric in credits.metrics] == [D("50.01"), D("50.01")]
    assert credits.uncapped == D("100.02")
    # The cap is rounded too: 7.5 % of 1,000.10 = 75.0075 → 75.01.
    capped = rules.service_credits(outcomes, D("1000.10"), D("7.5"), "EUR")
    assert capped.cap == D("75.01")
    assert capped.total == D("75.01")


def test_a_period_with_every_metric_met_credits_nothing():
    outcomes = {"accuracy": (SlaOutcome.MET, D("5")), "cycle-time": (SlaOutcome.MET, D("4"))}
    credits = rules.service_credits(outcomes, D("65000.00"), D("10"), "EUR")
    assert credits.uncapped == D("0")
    assert credits.total == D("0")


# --- Attainment and trend -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("met", "total", "expected"),
    [
        (3, 4, D("75.0")),
        (2, 3, D("66.7")),
        (1, 3, D("33.3")),
        (5, 5, D("100.0")),
        (0, 20, D("0.0")),
        (0, 0, None),
    ],
)
def test_attainment_is_the_share_of_metrics_met(met, total, expected):
    assert rules.attainment(met, total) == expected


@pytest.mark.parametrize(
    ("recent", "earlier", "expected"),
    [
        ("80", "78.9", "up"),
        # Within one point either way is flat.
        ("80", "79", "flat"),
        ("80", "81", "flat"),
        ("80", "81.1", "down"),
        ("100", "50", "up"),
        (None, "80", "flat"),
        ("80", None, "flat"),
    ],
)
def test_trend_compares_the_latest_period_with_the_earlier_average(recent, earlier, expected):
    def value(text):
        return D(text) if text is not None else None

    assert rules.trend(value(recent), value(earlier)) == expected


# --- Periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        # The 31st moves to the end of a shorter month.
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        # Across years, both ways.
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 1), 36, date(2029, 1, 1)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 1), 36, date(2028, 12, 31)),
        (date(2026, 1, 1), 1, date(2026, 1, 31)),
        (date(2026, 2, 1), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 12, date(2027, 1, 14)),
    ],
)
def test_term_end_is_the_day_before_the_same_date_months_later(start, months, expected):
    assert rules.term_end(start, months) == expected


def test_month_helpers():
    assert rules.month_start(date(2026, 2, 17)) == date(2026, 2, 1)
    assert rules.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert rules.month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    assert rules.month_end(date(2026, 2, 1)) == date(2026, 2, 28)
    assert rules.month_end(date(2026, 12, 1)) == date(2026, 12, 31)


def test_periods_between_lists_every_month_the_days_touch():
    assert rules.periods_between(date(2026, 1, 31), date(2026, 3, 1)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert rules.periods_between(date(2026, 11, 15), date(2027, 2, 14)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
    assert rules.periods_between(date(2026, 1, 31), date(2026, 1, 31)) == [date(2026, 1, 1)]
    assert rules.periods_between(date(2026, 3, 1), date(2026, 2, 28)) == []
    assert len(rules.periods_between(date(2026, 1, 1), date(2028, 12, 31))) == 36


def test_a_period_closes_once_its_last_day_is_over():
    start, last = date(2026, 1, 1), date(2026, 12, 31)
    assert rules.closed_periods(start, last, date(2026, 3, 31)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert rules.closed_periods(start, last, date(2026, 4, 1))[-1] == date(2026, 3, 1)
    assert rules.closed_periods(start, last, date(2025, 12, 31)) == []
    assert len(rules.closed_periods(start, last, date(2030, 1, 1))) == 12

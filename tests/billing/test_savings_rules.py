"""Savings arithmetic against figures worked out by hand, as a spreadsheet would.

The issue's case: an in-house baseline of 120,000 a month; outsourced at 85,000 a
month plus 5,000 of retained governance, and a 240,000 transition amortised over
the 36 months of the term (6,666.67 a month).
"""

from __future__ import annotations

from decimal import Decimal

from billing.rules import (
    break_even_month,
    indexed_baseline,
    net_present_value,
    saving_months,
    transition_charges,
)

D = Decimal
TERM = 36


def _outsourced(transition: list[Decimal]) -> list[Decimal]:
    return [D("85000") + D("5000") + charge for charge in transition]


def test_the_transition_amortised_over_the_term_adds_up_to_the_cent():
    charges = transition_charges(D("240000"), TERM, amortised=True)

    assert charges[0] == D("6666.67")
    # 35 × 6,666.67 = 233,333.45; the last month takes the difference.
    assert charges[-1] == D("6666.55")
    assert sum(charges) == D("240000")


def test_amortised_the_saving_is_the_same_every_month():
    months = saving_months(
        [D("120000")] * TERM, _outsourced(transition_charges(D("240000"), TERM, amortised=True))
    )

    first = months[0]
    assert first.outsourced == D("96666.67")
    assert first.saving == D("23333.33")
    assert first.saving_percent == D("19.4")  # 23,333.33 ÷ 120,000 = 19.44 %
    # 120,000 × 36 − (90,000 × 36 + 240,000) = 4,320,000 − 3,480,000.
    assert months[-1].cumulative == D("840000.00")
    assert break_even_month(months) == 1


def test_taken_up_front_the_transition_breaks_even_in_month_eight():
    months = saving_months(
        [D("120000")] * TERM, _outsourced(transition_charges(D("240000"), TERM, amortised=False))
    )

    # Month 1: 120,000 − 330,000 = −210,000; then +30,000 a month:
    # month 7: −30,000; month 8: 0 (break-even: the cumulative saving reaches zero).
    assert [month.cumulative for month in months[:8]] == [
        D("-210000"),
        D("-180000"),
        D("-150000"),
        D("-120000"),
        D("-90000"),
        D("-60000"),
        D("-30000"),
        D("0"),
    ]
    assert break_even_month(months) == 8
    assert months[-1].cumulative == D("840000")


def test_no_break_even_within_the_months_given():
    months = saving_months([D("100")] * 3, [D("400"), D("90"), D("90")])

    assert break_even_month(months) is None


def test_a_later_loss_postpones_the_break_even():
    months = saving_months([D("100")] * 4, [D("50"), D("200"), D("50"), D("50")])

    # Cumulative: 50, −50, 0, 50: at or above zero for good from month 3.
    assert break_even_month(months) == 3


def test_npv_discounts_each_month_at_the_monthly_equivalent_of_the_yearly_rate():
    # Flows of 30,000 a month for 12 months at 12.6825 % a year: the monthly
    # equivalent is exactly 1 % (1.01^12 = 1.126825…), so NPV = 30,000 × (1 − 1.01^−12) ÷ 0.01.
    npv = net_present_value([D("30000")] * 12, D("12.682503013197"))

    assert npv == D("337652.32")


def test_npv_of_the_issue_case_up_front_at_8_percent():
    flows = [
        month.saving
        for month in saving_months(
            [D("120000")] * TERM,
            _outsourced(transition_charges(D("240000"), TERM, amortised=False)),
        )
    ]
    # Written out: −210,000 ÷ 1.08^(1/12) + Σ_{t=2..36} 30,000 ÷ 1.08^(t/12).
    expected = D("-210000") / D("1.08") ** (D(1) / 12) + sum(
        D("30000") / D("1.08") ** (D(t) / 12) for t in range(2, TERM + 1)
    )

    assert net_present_value(flows, D("8")) == expected.quantize(D("0.01"))
    assert net_present_value(flows, D("0")) == D("840000.00")


def test_the_baseline_is_indexed_once_a_year():
    assert indexed_baseline(D("120000"), 0, D("3")) == D("120000.00")
    assert indexed_baseline(D("120000"), 11, D("3")) == D("120000.00")
    assert indexed_baseline(D("120000"), 12, D("3")) == D("123600.00")
    assert indexed_baseline(D("120000"), 24, D("3")) == D("127308.00")  # × 1.0609

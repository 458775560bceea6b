"""Invoice arithmetic with hand-computed figures: lines rounded half-up, VAT per rate on the sum."""

from __future__ import annotations

from decimal import Decimal

from billing.models import VatCategory
from billing.rules import invoice_totals, line_amount, to_minor_units, vat_of_treatment
from contracts.models import VatTreatment

D = Decimal
S, AE = VatCategory.STANDARD, VatCategory.REVERSE_CHARGE


def test_each_line_is_rounded_half_up_on_its_own():
    # 3 × 0.335 = 1.005 → 1.01 (half-up), never banker's 1.00.
    assert line_amount(D(3), D("0.335"), "EUR") == D("1.01")
    assert line_amount(D("12450"), D("2.5125"), "EUR") == D("31280.63")  # 31280.625
    assert line_amount(D(7), D("1.5"), "JPY") == D("11")  # 10.5 → 11 yen


def test_vat_is_computed_per_rate_on_the_sum_of_its_lines():
    # Three lines of 0.335 × 3 = 1.01 each: per line VAT 20 % would be 0.20 × 3 = 0.60;
    # on the sum, 3.03 × 20 % = 0.606 → 0.61.
    lines = [(S, D(20), D("1.01"))] * 3

    totals = invoice_totals(lines, "EUR")

    assert totals.net_total == D("3.03")
    assert totals.vat_total == D("0.61")
    assert totals.gross_total == D("3.64")
    assert [(item.rate, item.basis, item.amount) for item in totals.breakdown] == [
        (D(20), D("3.03"), D("0.61"))
    ]


def test_two_rates_are_two_breakdowns_and_credits_reduce_their_rate():
    lines = [
        (S, D("20"), D("40000.00")),
        (S, D("20.00"), D("-2000.00")),  # a service credit, same rate written differently
        (S, D("5.5"), D("100.00")),
    ]

    totals = invoice_totals(lines, "EUR")

    assert [(item.rate, item.basis, item.amount) for item in totals.breakdown] == [
        (D("5.5"), D("100.00"), D("5.50")),
        (D("20"), D("38000.00"), D("7600.00")),
    ]
    assert totals.vat_total == D("7605.50")
    assert totals.gross_total == D("45705.50")


def test_reverse_charge_and_out_of_scope_carry_no_vat():
    assert vat_of_treatment(VatTreatment.DOMESTIC, D(20)) == (S, D(20))
    assert vat_of_treatment(VatTreatment.REVERSE_CHARGE, D(20)) == (AE, D(0))
    assert vat_of_treatment(VatTreatment.OUT_OF_SCOPE, D(20)) == (VatCategory.OUT_OF_SCOPE, D(0))
    assert vat_of_treatment(VatTreatment.INTERNAL, D(20)) == (VatCategory.NOT_SUBJECT, D(0))
    totals = invoice_totals([(AE, D(0), D("61200.00"))], "EUR")
    assert (totals.vat_total, totals.gross_total) == (D(0), D("61200.00"))


def test_amounts_go_to_stripe_in_minor_units():
    assert to_minor_units(D("1234.50"), "EUR") == 123450
    assert to_minor_units(D("1234.505"), "EUR") == 123451
    assert to_minor_units(D("1500"), "JPY") == 1500

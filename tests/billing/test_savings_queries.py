"""Savings month by month from the database, against figures worked out by hand.

The issue's case: an in-house baseline of 120,000 a month (20 FTE × 60,000 a
year + 120,000 overheads + 60,000 facilities + 36,000 technology + 24,000
management = 1,440,000 a year), outsourced from January 2025 for 36 months at
85,000 a month invoiced, 5,000 of retained governance and a 240,000 transition
amortised over the term (6,666.67 a month, the last month 6,666.55).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.models import InvoiceKind, LineKind, SavingsSettings
from billing.queries.savings import (
    function_savings,
    month_detail,
    organization_savings,
    organization_totals,
    settings_of_current,
)
from contracts.models import ReportStatus
from contracts.rules import add_months
from portal import db
from portal.tenancy import organization_context
from tests.statements import counting_statements

D = Decimal
START = date(2025, 1, 1)
#: A year of the term is over: January to December 2025 are closed.
AFTER_A_YEAR = date(2026, 1, 15)
BASELINE = {
    "ftes": D("20"),
    "annual_cost_per_fte": D("60000"),
    "annual_overheads": D("120000"),
    "annual_facilities": D("60000"),
    "annual_technology": D("36000"),
    "annual_management": D("24000"),
    "monthly_volume": 12000,
}


def _fee(amount: str):
    return [(LineKind.FIXED_FEE, "Service management", D(1), D(amount))]


def _outsourced(make, client_org, vendor_org, months: int = 12, **fields):
    """The issue's function and contract, with an issued 85,000 invoice for each month."""
    function = make.function(client_org, name=fields.pop("name", "Accounts payable"), **BASELINE)
    contract = make.contract(
        client_org,
        vendor_org,
        function_record=function,
        start_date=START,
        months=36,
        retained_governance_monthly="5000",
        transition_cost=D("240000"),
        **fields,
    )
    invoices = [
        make.invoice(
            contract, period=add_months(START, number), status="issued", lines=_fee("85000")
        )
        for number in range(months)
    ]
    return function, contract, invoices


def _settings(client_org, **values):
    with organization_context(client_org.id):
        db.session.add(SavingsSettings(**values))
        db.session.flush()


def _savings(client_org, function, **kwargs):
    with organization_context(client_org.id):
        return function_savings(function, **kwargs)


def test_the_issues_case_month_by_month(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    savings = _savings(client_org, function, today=AFTER_A_YEAR)

    assert not savings.mixed_currencies
    (eur,) = savings.by_currency
    assert eur.currency == "EUR"
    assert [month.period for month in eur.months] == [add_months(START, n) for n in range(12)]
    first = eur.months[0]
    assert first.baseline == D("120000.00")
    assert first.invoiced == D("85000.00")
    assert first.credited == D("0.00")
    assert first.governance == D("5000.00")
    assert first.transition == D("6666.67")
    # 85,000 + 5,000 + 6,666.67
    assert first.outsourced == D("96666.67")
    assert first.saving == D("23333.33")
    # 23,333.33 ÷ 120,000 = 19.44 %
    assert first.saving_percent == D("19.4")
    assert eur.months[-1].cumulative == D("23333.33") * 12 == D("279999.96")
    assert eur.baseline_total == D("1440000.00")
    assert eur.outsourced_total == D("96666.67") * 12
    assert eur.saving_total == D("279999.96")
    assert eur.saving_percent == D("19.4")
    # Saving from the first month on.
    assert eur.break_even == START
    assert eur.in_house_unit_cost == D("10.00")


def test_npv_of_the_first_year_at_8_percent_as_a_spreadsheet_would(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    (eur,) = _savings(client_org, function, today=AFTER_A_YEAR).by_currency

    # The monthly rate equivalent to 8 % a year: v = 1.08^(−1/12) is one month's
    # discount factor; twelve equal savings S are worth S × v × (1 − v¹²) ÷ (1 − v),
    # and v¹² = 1 ÷ 1.08.
    v = 1 / D("1.08") ** (D(1) / D(12))
    expected = D("23333.33") * v * (1 - 1 / D("1.08")) / (1 - v)
    assert eur.npv == expected.quantize(D("0.01"))
    assert D("268000") < eur.npv < D("269500")


def test_the_transition_up_front_breaks_even_in_the_eighth_month(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)
    _settings(client_org, transition_amortised=False)

    (eur,) = _savings(client_org, function, today=AFTER_A_YEAR).by_currency

    # Month 1: 120,000 − (85,000 + 5,000 + 240,000) = −210,000; then 30,000 a month:
    # −210,000 + 7 × 30,000 = 0 at the end of month 8 (August 2025).
    assert eur.months[0].transition == D("240000")
    assert eur.months[0].saving == D("-210000.00")
    assert eur.months[1].transition == D("0.00")
    assert eur.months[1].saving == D("30000.00")
    assert eur.months[6].cumulative == D("-30000.00")
    assert eur.months[7].cumulative == D("0.00")
    assert eur.break_even == date(2025, 8, 1)


def test_the_baseline_is_indexed_from_the_thirteenth_month(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org, months=14)
    _settings(client_org, yearly_inflation_percent=D("3"))

    (eur,) = _savings(client_org, function, today=date(2026, 3, 10)).by_currency

    assert len(eur.months) == 14
    assert eur.months[11].period == date(2025, 12, 1)
    assert eur.months[11].baseline == D("120000.00")
    # Month 13 (January 2026): 120,000 × 1.03.
    assert eur.months[12].period == date(2026, 1, 1)
    assert eur.months[12].baseline == D("123600.00")
    assert eur.months[12].saving == D("123600.00") - D("96666.67") == D("26933.33")


def test_a_credit_note_counts_in_the_month_of_the_invoice_it_corrects(make, client_org, vendor_org):
    function, contract, invoices = _outsourced(make, client_org, vendor_org)
    march = invoices[2]
    # Issued in June, for a service credit of March.
    make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=march.id,
        period=march.period_start,
        issue_date=date(2025, 6, 10),
        status="settled",
        lines=[(LineKind.CREDIT, "Service credit", D(1), D("10000"))],
    )

    (eur,) = _savings(client_org, function, today=AFTER_A_YEAR).by_currency

    assert eur.months[2].credited == D("10000.00")
    # 85,000 − 10,000 + 5,000 + 6,666.67
    assert eur.months[2].outsourced == D("86666.67")
    assert eur.months[2].saving == D("33333.33")
    assert eur.months[5].credited == D("0.00")
    assert eur.saving_total == D("289999.96")


def test_drafts_and_months_not_invoiced_do_not_count(make, client_org, vendor_org):
    function, contract, _invoices = _outsourced(make, client_org, vendor_org, months=3)
    make.invoice(contract, period=date(2025, 4, 1), lines=_fee("85000"))

    (eur,) = _savings(client_org, function, today=date(2025, 6, 2)).by_currency

    # January to May are over; April's invoice is still a draft and May has none:
    # without an actual cost, neither month shows a saving.
    assert [month.period.month for month in eur.months] == [1, 2, 3]


def test_a_function_billed_in_two_currencies_is_shown_per_currency(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org, months=6)
    second_vendor = make.organization(name="Pacific Shared Services", kind="vendor")
    dollars = make.contract(
        client_org,
        second_vendor,
        function_record=function,
        currency="USD",
        start_date=date(2025, 7, 1),
        months=12,
        transition_cost=D("0"),
        retained_governance_monthly="1000",
    )
    for number in range(3):
        make.invoice(
            dollars,
            period=add_months(date(2025, 7, 1), number),
            status="issued",
            lines=_fee("20000"),
        )

    savings = _savings(client_org, function, today=date(2025, 10, 5))

    assert savings.mixed_currencies
    eur, usd = savings.by_currency
    assert (eur.currency, usd.currency) == ("EUR", "USD")
    # The euro months are the six invoiced ones, with their baseline in euros.
    assert len(eur.months) == 6
    assert eur.has_baseline
    assert eur.months[0].outsourced == D("96666.67")
    # Dollars are never added to euros, nor set against a baseline in euros.
    assert not usd.has_baseline
    assert [month.period.month for month in usd.months] == [7, 8, 9]
    assert usd.months[0].baseline == D("0.00")
    assert usd.months[0].outsourced == D("21000.00")
    assert usd.outsourced_total == D("63000.00")
    assert usd.in_house_unit_cost is None

    with organization_context(client_org.id):
        totals = organization_totals(organization_savings(today=date(2025, 10, 5)))
    assert [entry.currency for entry in totals] == ["EUR", "USD"]
    assert totals[1].outsourced_total == D("63000.00")


def test_the_organization_totals_add_functions_month_by_month(make, client_org, vendor_org):
    _first, _c, _i = _outsourced(make, client_org, vendor_org, months=3)
    _second, _c, _i = _outsourced(make, client_org, vendor_org, months=3, name="Payroll")

    with organization_context(client_org.id):
        savings = organization_savings(today=date(2025, 4, 3))
        (eur,) = organization_totals(savings)

    assert [entry.function.name for entry in savings] == ["Accounts payable", "Payroll"]
    assert [month.period.month for month in eur.months] == [1, 2, 3]
    assert eur.months[0].baseline == D("240000.00")
    assert eur.months[0].outsourced == D("193333.34")
    assert eur.months[-1].cumulative == D("23333.33") * 6
    assert eur.break_even == START


def test_the_period_filter_limits_the_months_and_their_totals(make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    (eur,) = _savings(
        client_org, function, start=date(2025, 4, 1), end=date(2025, 6, 1), today=AFTER_A_YEAR
    ).by_currency

    assert [month.period.month for month in eur.months] == [4, 5, 6]
    assert eur.saving_total == D("23333.33") * 3
    assert eur.months[-1].cumulative == D("69999.99")


def test_unit_cost_outsourced_comes_from_the_accepted_reports_volumes(make, client_org, vendor_org):
    function, contract, _invoices = _outsourced(make, client_org, vendor_org, months=2)
    make.delivery_report(
        contract, START, status=ReportStatus.ACCEPTED, volumes={"invoices": "12000"}
    )
    make.delivery_report(contract, date(2025, 2, 1), volumes={"invoices": "11000"})

    (eur,) = _savings(client_org, function, today=date(2025, 3, 2)).by_currency

    assert eur.months[0].volume == D("12000")
    # 96,666.67 ÷ 12,000
    assert eur.months[0].unit_cost_outsourced == D("8.06")
    # February's report is only submitted.
    assert eur.months[1].volume is None
    assert eur.months[1].unit_cost_outsourced is None


def test_settings_default_without_writing(make, client_org):
    with organization_context(client_org.id):
        settings = settings_of_current()
        assert settings.discount_rate_percent == D("8")
        assert settings.transition_amortised is True
        assert settings.id is None
        assert settings not in db.session


def test_month_detail_names_the_invoices_the_credit_notes_and_the_charges(
    make, client_org, vendor_org
):
    function, contract, invoices = _outsourced(make, client_org, vendor_org, months=14)
    _settings(client_org, yearly_inflation_percent=D("3"))
    make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=invoices[12].id,
        period=invoices[12].period_start,
        status="settled",
        lines=[(LineKind.CREDIT, "Service credit", D(1), D("4000"))],
    )

    with organization_context(client_org.id):
        detail = month_detail(function, date(2026, 1, 1), "EUR", today=date(2026, 3, 10))
        assert month_detail(function, date(2024, 1, 1), "EUR", today=date(2026, 3, 10)) is None
        assert month_detail(function, date(2026, 1, 1), "USD", today=date(2026, 3, 10)) is None

    assert [entry.number for entry in detail.invoices] == [invoices[12].number]
    assert detail.invoices[0].net_total == D("85000.00")
    assert [entry.credited_number for entry in detail.credit_notes] == [invoices[12].number]
    assert detail.month.credited == D("4000.00")
    assert detail.months_since_start == 12
    assert detail.years_indexed == 1
    assert detail.inflation_factor == D("1.03")
    assert detail.month.baseline == D("123600.00")
    assert [item.monthly for item in detail.baseline_items] == [
        D("100000.00"),
        D("10000.00"),
        D("5000.00"),
        D("3000.00"),
        D("2000.00"),
    ]
    assert [(entry.amount, entry.version_number) for entry in detail.governance] == [
        (D("5000.00"), 1)
    ]
    (transition,) = detail.transition
    assert (transition.amount, transition.term_months) == (D("6666.67"), 36)


@pytest.mark.parametrize("months", [3, 24])
def test_statements_do_not_grow_with_months_or_invoices(app, make, client_org, vendor_org, months):
    _function, contract, _invoices = _outsourced(make, client_org, vendor_org, months=months)
    make.delivery_report(contract, START, status=ReportStatus.ACCEPTED)
    db.session.expire_all()

    with organization_context(client_org.id), counting_statements(app) as statements:
        savings = organization_savings(today=date(2027, 2, 1))
        organization_totals(savings)
    # Settings, settings again for the totals, contracts (with vendor and function),
    # versions, invoices, credit notes, volumes.
    assert len(statements) == 7, statements

"""The savings pages: the organization, a function month by month, a month's drill-down,
the settings and the CSV exports; the client's alone."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from billing.models import InvoiceKind, LineKind, SavingsSettings
from contracts.rules import add_months, month_start
from portal import db
from portal.db import utcnow
from portal.models import AuditEvent
from portal.tenancy import organization_context
from tests.statements import counting_statements

D = Decimal
THIS_MONTH = month_start(utcnow().date())
#: Twelve months are over: the contract started a year ago.
START = add_months(THIS_MONTH, -12)
BASELINE = {
    "ftes": D("20"),
    "annual_cost_per_fte": D("60000"),
    "annual_overheads": D("120000"),
    "annual_facilities": D("60000"),
    "annual_technology": D("36000"),
    "annual_management": D("24000"),
}


def _fee(amount: str):
    return [(LineKind.FIXED_FEE, "Service management", D(1), D(amount))]


def _outsourced(make, client_org, vendor_org, months: int = 12, start=START, **fields):
    """120,000 a month in-house; 85,000 invoiced + 5,000 governance + 240,000 over 36 months."""
    function = make.function(client_org, name=fields.pop("name", "Accounts payable"), **BASELINE)
    contract = make.contract(
        client_org,
        vendor_org,
        function_record=function,
        start_date=start,
        months=36,
        retained_governance_monthly="5000",
        transition_cost=D("240000"),
        **fields,
    )
    invoices = [
        make.invoice(
            contract, period=add_months(start, number), status="issued", lines=_fee("85000")
        )
        for number in range(months)
    ]
    return function, contract, invoices


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</table>", start) if "<table" in html[start:] else None]


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_finance_sees_the_organizations_savings(as_client_finance, make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    html = _html(as_client_finance.get("/savings"))

    totals = html[html.index('data-testid="totals-EUR"') :]
    # Twelve months of 120,000 against 96,666.67: 23,333.33 a month saved.
    assert "1,440,000.00" in totals
    assert "279,999.96" in totals
    assert "19.4 %" in totals
    row = _section(html, f"function-{function.id}-EUR")
    assert "Accounts payable" in row
    assert "Atlas Back Office" in row
    assert "Outsourced" in row
    assert "120,000.00" in row and "96,666.67" in row
    assert f"/savings/functions/{function.id}" in row
    assert 'data-testid="organization-months-EUR"' in html
    assert 'data-testid="savings-method"' in html


def test_the_period_filter_limits_the_months(as_client_finance, make, client_org, vendor_org):
    _outsourced(make, client_org, vendor_org)
    first = add_months(START, 3)

    html = _html(
        as_client_finance.get(
            f"/savings?period_from={first:%Y-%m}&period_to={add_months(first, 1):%Y-%m}"
        )
    )

    months = _section(html, "organization-months-EUR")
    assert months.count('data-testid="month-') == 2
    # 2 × 23,333.33
    assert "46,666.66" in html


def test_the_function_page_links_every_month_to_its_drill_down(
    as_client_finance, make, client_org, vendor_org
):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    html = _html(as_client_finance.get(f"/savings/functions/{function.id}"))

    months = _section(html, "months-EUR")
    assert months.count('data-testid="month-') == 12
    link = f"/savings/functions/{function.id}/months?period={START:%Y-%m}&amp;currency=EUR"
    assert link in months
    assert "6,666.67" in months and "5,000.00" in months and "85,000.00" in months
    assert "10.00" in html  # the in-house unit cost
    assert 'data-testid="mixed-currencies"' not in html


def test_the_drill_down_names_the_invoices_credit_notes_and_formulas(
    as_client_finance, make, client_org, vendor_org
):
    function, contract, invoices = _outsourced(make, client_org, vendor_org)
    march = invoices[2]
    note = make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=march.id,
        period=march.period_start,
        status="settled",
        lines=[(LineKind.CREDIT, "Service credit", D(1), D("10000"))],
    )

    html = _html(
        as_client_finance.get(
            f"/savings/functions/{function.id}/months?period={march.period_start:%Y-%m}"
            "&currency=EUR"
        )
    )

    assert march.number in _section(html, "invoices")
    assert f"/invoices/{march.id}" in html
    assert note.number in _section(html, "credit-notes")
    # 85,000 − 10,000 + 5,000 + 6,666.67
    formula = html[html.index('data-testid="outsourced-formula"') :]
    assert "86,666.67" in formula[: formula.index("</p>")]
    saving = html[html.index('data-testid="saving-formula"') :]
    assert "33,333.33" in saving[: saving.index("</p>")]
    baseline = html[html.index('data-testid="baseline-detail"') :]
    assert "20 FTE" in baseline and "100,000.00" in baseline


def test_a_month_outside_the_contract_or_not_a_month_is_not_found(
    as_client_finance, make, client_org, vendor_org
):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)
    base = f"/savings/functions/{function.id}/months"

    assert as_client_finance.get(f"{base}?period={add_months(START, -1):%Y-%m}").status_code == 404
    assert as_client_finance.get(f"{base}?period=soon").status_code == 404
    assert as_client_finance.get(f"{base}?period={START:%Y-%m}&currency=USD").status_code == 404


def test_a_function_billed_in_two_currencies_says_so(
    as_client_finance, make, client_org, vendor_org
):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org, months=6)
    second = make.organization(name="Pacific Shared Services", kind="vendor")
    dollars = make.contract(
        client_org,
        second,
        function_record=function,
        currency="USD",
        start_date=add_months(START, 6),
        months=12,
        transition_cost=D("0"),
    )
    make.invoice(dollars, period=add_months(START, 6), status="issued", lines=_fee("20000"))

    html = _html(as_client_finance.get(f"/savings/functions/{function.id}"))
    assert 'data-testid="mixed-currencies"' in html
    assert 'data-testid="currency-EUR"' in html and 'data-testid="currency-USD"' in html
    assert 'data-testid="no-baseline-USD"' in html

    overview = _html(as_client_finance.get("/savings"))
    assert 'data-testid="totals-EUR"' in overview and 'data-testid="totals-USD"' in overview


def test_the_csv_exports_carry_every_table(as_client_finance, make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org)

    functions = _csv(as_client_finance.get("/savings.csv?table=functions"))
    (row,) = functions
    assert row["Function"] == "Accounts payable"
    assert row["Saving"] == "279999.96"
    assert row["Break-even month"] == f"{START:%Y-%m}"

    months = _csv(as_client_finance.get("/savings.csv?table=months"))
    assert len(months) == 12
    assert months[0]["Outsourced cost"] == "96666.67"

    rows = _csv(as_client_finance.get(f"/savings/functions/{function.id}.csv"))
    assert len(rows) == 12
    assert rows[-1]["Cumulative saving"] == "279999.96"
    assert rows[0]["Transition"] == "6666.67"

    assert as_client_finance.get("/savings.csv?table=secrets").status_code == 404


def test_finance_changes_the_settings_and_the_change_is_audited(
    as_client_finance, make, client_org
):
    page = _html(as_client_finance.get("/savings/settings"))
    assert 'name="yearly_inflation_percent"' in page

    response = as_client_finance.post(
        "/savings/settings",
        data={
            "yearly_inflation_percent": "2.5",
            "discount_rate_percent": "6",
            "transition": "up_front",
        },
    )

    assert response.status_code == 302
    with organization_context(client_org.id):
        settings = db.session.scalars(select(SavingsSettings)).one()
        assert settings.yearly_inflation_percent == D("2.5")
        assert settings.discount_rate_percent == D("6")
        assert settings.transition_amortised is False
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "savings_settings.updated")
        ).one()
    assert event.after["transition_amortised"] is False


def test_a_settings_form_with_errors_keeps_what_was_typed(as_client_finance):
    response = as_client_finance.post(
        "/savings/settings",
        data={"yearly_inflation_percent": "250", "discount_rate_percent": "7,5", "transition": ""},
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="250"' in html
    assert 'value="7,5"' in html
    assert "is-invalid" in html


def test_a_viewer_reads_the_settings_but_cannot_change_them(as_client_viewer):
    page = _html(as_client_viewer.get("/savings/settings"))
    assert 'data-testid="settings-values"' in page
    assert 'name="discount_rate_percent"' not in page

    response = as_client_viewer.post(
        "/savings/settings",
        data={
            "yearly_inflation_percent": "2",
            "discount_rate_percent": "6",
            "transition": "amortised",
        },
    )
    assert response.status_code == 403


def test_a_vendor_reaches_none_of_it(as_vendor_admin, make, client_org, vendor_org):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org, months=2)

    for url in (
        "/savings",
        "/savings.csv?table=functions",
        "/savings/settings",
        f"/savings/functions/{function.id}",
        f"/savings/functions/{function.id}.csv",
        f"/savings/functions/{function.id}/months?period={START:%Y-%m}",
    ):
        assert as_vendor_admin.get(url).status_code == 404, url
    assert as_vendor_admin.post("/savings/settings", data={}).status_code == 404


def test_another_client_finds_no_function_of_ours(
    as_other_client_admin, make, client_org, vendor_org
):
    function, _contract, _invoices = _outsourced(make, client_org, vendor_org, months=2)

    for url in (
        f"/savings/functions/{function.id}",
        f"/savings/functions/{function.id}.csv",
        f"/savings/functions/{function.id}/months?period={START:%Y-%m}",
    ):
        assert as_other_client_admin.get(url).status_code == 404, url
    html = _html(as_other_client_admin.get("/savings"))
    assert "Accounts payable" not in html
    assert 'data-testid="no-savings"' in html


def _page_statements(app, client, url: str) -> int:
    with counting_statements(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/savings", "/savings/functions/{id}", "/savings.csv"])
def test_statements_do_not_grow_with_months_or_invoices(
    app, as_client_finance, make, client_org, vendor_org, path
):
    few, _c, _i = _outsourced(
        make, client_org, vendor_org, months=3, start=add_months(THIS_MONTH, -3)
    )
    short = _page_statements(app, as_client_finance, path.format(id=few.id))
    many, _c, _i = _outsourced(
        make, client_org, vendor_org, months=24, start=add_months(THIS_MONTH, -24), name="Payroll"
    )

    assert _page_statements(app, as_client_finance, path.format(id=many.id)) == short

"""The savings charts: SVG drawn on the server, served as images under their own policy,
every point carrying its figure as text; the client's alone.

The case of the issue: 120,000 a month in-house against 85,000 invoiced + 5,000
governance + a 240,000 transition over 36 months (6,666.67 a month), so
96,666.67 a month outsourced and 23,333.33 saved, from a contract that started a
year ago (twelve months are over).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale, format_date

from billing.models import LineKind, SavingsSettings
from contracts.rules import add_months, month_start
from portal import db
from portal.db import utcnow
from portal.tenancy import organization_context
from tests.statements import counting_statements

D = Decimal
THIS_MONTH = month_start(utcnow().date())
START = add_months(THIS_MONTH, -12)
BASELINE = {
    "ftes": D("20"),
    "annual_cost_per_fte": D("60000"),
    "annual_overheads": D("120000"),
    "annual_facilities": D("60000"),
    "annual_technology": D("36000"),
    "annual_management": D("24000"),
}
POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def fee(amount: str):
    return [(LineKind.FIXED_FEE, "Service management", D(1), D(amount))]


def outsourced(make, client_org, vendor_org, months: int = 12, invoiced: str = "85000", **fields):
    """A function of 120,000 a month in-house, outsourced a year ago, invoiced monthly."""
    function = make.function(client_org, name=fields.pop("name", "Accounts payable"), **BASELINE)
    start = fields.pop("start_date", START)
    contract = make.contract(
        client_org,
        vendor_org,
        function_record=function,
        start_date=start,
        months=36,
        retained_governance_monthly=fields.pop("retained_governance_monthly", "5000"),
        transition_cost=fields.pop("transition_cost", D("240000")),
        **fields,
    )
    invoices = [
        make.invoice(
            contract, period=add_months(start, number), status="issued", lines=fee(invoiced)
        )
        for number in range(months)
    ]
    return function, contract, invoices


def month(number: int) -> str:
    """The chart's label of the contract's ``number``-th month (0: the first)."""
    return add_months(START, number).strftime("%b %Y")


def svg_of(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "image/svg+xml"
    return response.get_data(as_text=True)


# --- The organization's charts --------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "cumulative", "functions"])
def test_each_chart_is_an_svg_with_its_own_policy(
    as_client_finance, make, client_org, vendor_org, name
):
    outsourced(make, client_org, vendor_org)

    response = as_client_finance.get(f"/savings/charts/{name}.svg?currency=EUR")

    svg = svg_of(response)
    assert response.headers["Content-Security-Policy"] == POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in svg
    assert "xlink:href" not in svg


def test_the_baseline_chart_has_both_lines_month_by_month(
    as_client_finance, make, client_org, vendor_org
):
    outsourced(make, client_org, vendor_org)

    svg = svg_of(as_client_finance.get("/savings/charts/baseline.svg"))

    assert "Baseline against outsourced cost, in EUR" in svg
    for number in range(12):
        assert f"{month(number)} · In-house baseline: €120,000.00" in svg
        assert f"{month(number)} · Outsourced cost: €96,666.67" in svg
    # Months not over yet are not drawn.
    assert f"{month(12)} ·" not in svg


def test_the_cumulative_chart_marks_the_break_even_month(
    as_client_finance, make, client_org, vendor_org
):
    outsourced(make, client_org, vendor_org)
    with organization_context(client_org.id):
        db.session.add(SavingsSettings(transition_amortised=False))
        db.session.flush()

    svg = svg_of(as_client_finance.get("/savings/charts/cumulative.svg"))

    # The transition up front: −210,000 the first month, then 30,000 a month; the
    # cumulative saving is back to zero in the eighth month.
    assert f"{month(0)} · Cumulative saving: -€210,000.00" in svg
    assert f"{month(6)} · Cumulative saving: -€30,000.00" in svg
    assert f"{month(7)} · Cumulative saving: €0.00" in svg
    assert f"{month(11)} · Cumulative saving: €120,000.00" in svg
    # The marker and its printed label, on the eighth month.
    eighth = add_months(START, 7).strftime("%B %Y")
    assert f'class="label">Break-even: {eighth}</text>' in svg
    assert f"Break-even: {eighth} · Cumulative saving: €0.00" in svg


def test_a_cumulative_chart_that_never_breaks_even_says_so(
    as_client_finance, make, client_org, vendor_org
):
    outsourced(make, client_org, vendor_org, invoiced="130000")

    svg = svg_of(as_client_finance.get("/savings/charts/cumulative.svg"))

    assert "Break-even not reached" in svg
    assert 'class="label">Break-even' not in svg


def test_the_functions_chart_shows_each_functions_saving_over_the_period(
    as_client_finance, make, client_org, vendor_org
):
    outsourced(make, client_org, vendor_org)
    outsourced(make, client_org, vendor_org, months=12, invoiced="120000", name="Payroll")

    svg = svg_of(as_client_finance.get("/savings/charts/functions.svg?currency=EUR"))

    assert "Saving by function over the period, in EUR" in svg
    # 12 × 23,333.33; and 12 × (120,000 − 131,666.67), drawn in red.
    assert "Accounts payable · Saving: €279,999.96" in svg
    assert "Payroll · Saving: -€140,000.04" in svg
    assert "Extra cost" in svg


def test_the_charts_follow_the_pages_period(as_client_finance, make, client_org, vendor_org):
    outsourced(make, client_org, vendor_org)
    first, last = add_months(START, 3), add_months(START, 5)

    svg = svg_of(
        as_client_finance.get(
            f"/savings/charts/baseline.svg?period_from={first:%Y-%m}&period_to={last:%Y-%m}"
        )
    )

    assert f"{month(3)} · Outsourced cost" in svg
    assert f"{month(5)} · Outsourced cost" in svg
    assert f"{month(2)} ·" not in svg
    assert f"{month(6)} ·" not in svg
    functions = svg_of(
        as_client_finance.get(
            f"/savings/charts/functions.svg?period_from={first:%Y-%m}&period_to={last:%Y-%m}"
        )
    )
    assert "Accounts payable · Saving: €69,999.99" in functions


def test_a_chart_in_a_currency_without_figures_is_empty(as_client_finance, make, client_org):
    svg = svg_of(as_client_finance.get("/savings/charts/baseline.svg?currency=USD"))

    assert "No month is over yet" in svg


def test_an_unknown_chart_is_a_404(as_client_finance, make, client_org, vendor_org):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=1)

    assert as_client_finance.get("/savings/charts/pie.svg").status_code == 404
    url = f"/savings/functions/{function.id}/charts/functions.svg"
    assert as_client_finance.get(url).status_code == 404


def test_the_charts_speak_the_readers_language(make, login, client_org, vendor_org):
    outsourced(make, client_org, vendor_org, months=2)
    reader = make.member(client_org, "viewer", locale="fr")
    browser = login(reader, client_org)

    svg = svg_of(browser.get("/savings/charts/baseline.svg"))

    with force_locale("fr"):
        first = format_date(START, "MMM y")
    assert f"{first} · " in svg
    assert "120\u202f000,00\xa0€" in svg
    # The axis is in short French amounts too ("100 k €").
    assert "\xa0k\xa0€" in svg


def test_the_charts_statements_do_not_grow_with_months_or_invoices(
    app, as_client_finance, make, client_org, vendor_org
):
    function, contract, _invoices = outsourced(make, client_org, vendor_org, months=3)
    urls = (
        "/savings/charts/cumulative.svg",
        "/savings/charts/functions.svg",
        f"/savings/functions/{function.id}/charts/baseline.svg",
    )

    def counts() -> list[int]:
        db.session.expire_all()
        result = []
        for url in urls:
            with counting_statements(app) as statements:
                svg_of(as_client_finance.get(url))
            result.append(len(statements))
        return result

    few = counts()
    for number in range(3, 12):
        make.invoice(
            contract, period=add_months(START, number), status="issued", lines=fee("85000")
        )
    assert counts() == few


# --- One function's charts ------------------------------------------------------------


def test_a_functions_charts(as_client_finance, make, client_org, vendor_org):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=3)
    base = f"/savings/functions/{function.id}/charts"

    baseline = svg_of(as_client_finance.get(f"{base}/baseline.svg"))
    cumulative = svg_of(as_client_finance.get(f"{base}/cumulative.svg"))

    assert f"{month(2)} · In-house baseline: €120,000.00" in baseline
    assert f"{month(2)} · Outsourced cost: €96,666.67" in baseline
    assert f"{month(2)} · Cumulative saving: €69,999.99" in cumulative
    # Saving from the first month: the break-even is the first month.
    assert f"Break-even: {START:%B %Y}" in cumulative


def test_a_function_billed_in_two_currencies_has_charts_per_currency(
    as_client_finance, make, client_org, vendor_org
):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=3)
    other = make.organization(name="Pacific Shared Services", kind="vendor")
    dollars = make.contract(
        client_org,
        other,
        function_record=function,
        currency="USD",
        start_date=START,
        months=12,
        transition_cost=D("0"),
    )
    make.invoice(dollars, period=START, status="issued", lines=fee("20000"))
    base = f"/savings/functions/{function.id}/charts/baseline.svg"

    euros = svg_of(as_client_finance.get(f"{base}?currency=EUR"))
    usd = svg_of(as_client_finance.get(f"{base}?currency=USD"))

    assert "in EUR" in euros and "$20,000.00" not in euros
    assert f"{month(0)} · Outsourced cost: $20,000.00" in usd
    # No baseline in dollars: the register's baseline is in euros, never converted.
    assert "In-house baseline" not in usd


# --- The pages show them --------------------------------------------------------------


def test_the_savings_page_shows_the_charts_and_the_pdf_link(
    as_client_finance, make, client_org, vendor_org
):
    outsourced(make, client_org, vendor_org)
    first = add_months(START, 1)

    page = as_client_finance.get(f"/savings?period_from={first:%Y-%m}").get_data(as_text=True)

    assert 'data-testid="savings-charts"' in page
    for name in ("baseline", "cumulative", "functions"):
        assert f'src="/savings/charts/{name}.svg?' in page
    assert f"period_from={first:%Y-%m}" in page.split('src="/savings/charts/baseline.svg?')[1][:80]
    assert "Export the PDF report" in page
    assert f'href="/savings/report.pdf?scope=all&amp;period_from={first:%Y-%m}"' in page


def test_the_function_page_shows_its_charts_and_the_pdf_link(
    as_client_finance, make, client_org, vendor_org
):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=2)

    page = as_client_finance.get(f"/savings/functions/{function.id}").get_data(as_text=True)

    for name in ("baseline", "cumulative"):
        assert f'src="/savings/functions/{function.id}/charts/{name}.svg?currency=EUR"' in page
    assert f'href="/savings/report.pdf?scope={function.id}"' in page


# --- The client's alone ---------------------------------------------------------------


def test_a_vendor_reaches_no_chart(as_vendor_admin, make, client_org, vendor_org):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=1)

    for url in (
        "/savings/charts/baseline.svg",
        "/savings/charts/functions.svg",
        f"/savings/functions/{function.id}/charts/baseline.svg",
    ):
        assert as_vendor_admin.get(url).status_code == 404, url


def test_another_clients_function_chart_is_a_404(
    as_other_client_admin, make, client_org, vendor_org
):
    function, _contract, _invoices = outsourced(make, client_org, vendor_org, months=1)

    url = f"/savings/functions/{function.id}/charts/cumulative.svg"
    assert as_other_client_admin.get(url).status_code == 404
    # Its own organization charts know nothing of the other client's figures.
    svg = svg_of(as_other_client_admin.get("/savings/charts/functions.svg"))
    assert "Accounts payable" not in svg

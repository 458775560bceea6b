"""The back-office overview for the COO: delivery modes, who delivers, SLA health, cost
against the baseline, totals per department and per currency, and nobody else's eyes.

Every function of the factories costs 70,000 a month in-house (10 FTEs × 60,000
+ 60,000 + 36,000 + 24,000 + 120,000 a year, ÷ 12). Contracts started three
months ago with no transition cost, so the last invoiced month's cost is its
invoices' net total plus the retained governance cost.
"""

from __future__ import annotations

from decimal import Decimal as D

from billing.models import LineKind
from contracts.rules import add_months, month_start
from portal.db import utcnow
from tests.statements import counting_statements

TODAY = utcnow().date()
LAST_MONTH = add_months(month_start(TODAY), -1)
START = add_months(month_start(TODAY), -3)
#: How the page names a month under a cost ("October 2026").
LAST_MONTH_NAME = f"{LAST_MONTH:%B %Y}"


def _outsourced(
    make, client, vendor, function, fee, *, governance="0", reports=(), invoiced=LAST_MONTH
):
    """A contract running ``function`` since three months ago, ``invoiced`` billed ``fee``.

    ``reports``: (period, met, total) of accepted reports.
    """
    contract = make.contract(
        client,
        vendor,
        function_record=function,
        start_date=START,
        transition_cost=D("0"),
        retained_governance_monthly=governance,
    )
    make.invoice(
        contract,
        status="issued",
        period=invoiced,
        issue_date=TODAY,
        lines=[(LineKind.FIXED_FEE, "Service management", D(1), D(fee))],
    )
    for period, met, total in reports:
        make.delivery_report(
            contract, period, status="accepted", metrics_met=met, metrics_total=total
        )
    return contract


def _northwind(make, client_org):
    finance = make.department(client_org, name="Finance")
    it = make.department(client_org, name="IT")
    treasury = make.department(client_org, name="Treasury")
    payables = make.function(client_org, name="Accounts payable", dept=finance)
    ledger = make.function(client_org, name="General ledger", dept=finance)
    desk = make.function(client_org, name="IT service desk", dept=it)
    cash = make.function(client_org, name="Cash management", dept=treasury, currency="USD")
    atlas = make.organization(name="Atlas Back Office", kind="vendor")
    krakow = make.organization(name="Kraków centre", kind="vendor", captive_of_id=client_org.id)
    _outsourced(
        make,
        client_org,
        atlas,
        payables,
        "40000",
        governance="5000",
        reports=[(add_months(LAST_MONTH, -1), 1, 2), (LAST_MONTH, 2, 2)],
    )
    _outsourced(make, client_org, krakow, ledger, "50000")
    tender = make.tender(client_org, desk, status="published")
    return {
        "payables": payables,
        "ledger": ledger,
        "desk": desk,
        "cash": cash,
        "finance": finance,
        "tender": tender,
    }


def _page(test_client) -> str:
    response = test_client.get("/savings/overview")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _cell(html: str, testid: str, closing: str = "</td>") -> str:
    start = html.index(f'data-testid="{testid}"')
    end = html.index(closing, start)
    text = html[html.index(">", start) + 1 : end]
    # Drop the tags: the text of the cell, words separated by single spaces.
    words, inside = [], False
    for char in text:
        if char == "<":
            inside = True
            words.append(" ")
        elif char == ">":
            inside = False
        elif not inside:
            words.append(char)
    return " ".join("".join(words).split())


def test_delivery_modes_are_classified(as_client_viewer, make, client_org):
    case = _northwind(make, client_org)
    html = _page(as_client_viewer)

    modes = {
        name: html.split(f'data-testid="mode-{case[name].id}"')[1].split("</td>")[0]
        for name in ("payables", "ledger", "desk", "cash")
    }
    assert 'data-mode="outsourced"' in modes["payables"]
    assert 'data-mode="captive"' in modes["ledger"]
    assert 'data-mode="in_house"' in modes["desk"]
    assert 'data-mode="in_house"' in modes["cash"]
    assert _cell(html, f"by-{case['payables'].id}") == "Atlas Back Office"
    assert _cell(html, f"by-{case['ledger'].id}") == "Kraków centre"
    assert _cell(html, f"by-{case['desk'].id}") == "own staff"
    assert _cell(html, "count-in_house", "</p>") == "2 functions"
    assert _cell(html, "count-captive", "</p>") == "1 function"
    assert _cell(html, "count-outsourced", "</p>") == "1 function"


def test_a_captive_centre_of_another_client_is_an_outsourcer(
    as_client_viewer, make, client_org, other_client_org
):
    function = make.function(client_org, name="Payroll")
    theirs = make.organization(
        name="Contoso shared services", kind="vendor", captive_of_id=other_client_org.id
    )
    _outsourced(make, client_org, theirs, function, "60000")
    html = _page(as_client_viewer)
    cell = html.split(f'data-testid="mode-{function.id}"')[1].split("</td>")[0]
    assert 'data-mode="outsourced"' in cell


def test_cost_against_baseline_and_sla_health(as_client_viewer, make, client_org):
    case = _northwind(make, client_org)
    html = _page(as_client_viewer)
    payables, ledger, desk = case["payables"].id, case["ledger"].id, case["desk"].id

    # Accounts payable: 40,000 invoiced + 5,000 governance against 70,000.
    assert _cell(html, f"baseline-{payables}") == "€70,000.00"
    assert _cell(html, f"current-{payables}") == f"€45,000.00 {LAST_MONTH_NAME}"
    assert _cell(html, f"difference-{payables}") == "€25,000.00"
    assert _cell(html, f"percent-{payables}") == "35.7 %"
    # General ledger: 50,000 charged back by the captive centre.
    assert _cell(html, f"current-{ledger}") == f"€50,000.00 {LAST_MONTH_NAME}"
    assert _cell(html, f"percent-{ledger}") == "28.6 %"
    # In-house: the baseline is the cost.
    assert _cell(html, f"current-{desk}") == "€70,000.00"
    assert _cell(html, f"difference-{desk}") == "€0.00"

    # SLA: 2 of 2 met last month, 3 of 4 over the last 12 months: poor (below 80 %).
    sla = html.split(f'data-testid="sla-{payables}"')[1].split("</td>")[0]
    assert 'data-health="poor"' in sla
    assert "100.0 %" in sla
    assert "75.0 %" in sla
    assert _cell(html, f"sla-{desk}") == "—"

    # The open tender links to its projection.
    assert f'href="/savings/tenders/{case["tender"].id}"' in html


def test_totals_per_department_and_per_currency(as_client_viewer, make, client_org):
    case = _northwind(make, client_org)
    html = _page(as_client_viewer)
    finance = case["finance"].id

    # Finance: 70,000 + 70,000 in-house against 45,000 + 50,000: 45,000 a month, 32.1 %.
    row = html.split(f'data-testid="total-{finance}-EUR"')[1].split("</tr>")[0]
    assert "€140,000.00" in row
    assert "€95,000.00" in row
    assert "€45,000.00" in row
    assert "32.1 %" in row
    assert f'data-testid="total-{finance}-USD"' not in html

    # The organization: EUR and USD apart, never added up.
    eur = html.split('data-testid="total-organization-EUR"')[1].split("</tr>")[0]
    assert "€210,000.00" in eur
    assert "€165,000.00" in eur
    assert "3 functions" in eur
    usd = html.split('data-testid="total-organization-USD"')[1].split("</tr>")[0]
    assert "US$70,000.00" in usd or "$70,000.00" in usd
    assert "1 function" in usd
    assert "€280,000.00" not in html


def test_a_contract_not_invoiced_yet_is_not_in_the_totals(as_client_viewer, make, client_org):
    function = make.function(client_org, name="Payroll")
    vendor = make.organization(name="Clairval", kind="vendor")
    make.contract(client_org, vendor, function_record=function, start_date=month_start(TODAY))
    html = _page(as_client_viewer)
    assert _cell(html, f"current-{function.id}") == "not invoiced yet"
    assert 'data-testid="not-in-totals"' in html


def test_a_month_not_invoiced_yet_leaves_the_latest_invoiced_one(
    as_client_viewer, make, client_org
):
    function = make.function(client_org, name="Payroll")
    vendor = make.organization(name="Clairval", kind="vendor")
    earlier = add_months(LAST_MONTH, -1)
    # Last month is closed but not invoiced: its cost would be the governance alone.
    _outsourced(make, client_org, vendor, function, "60000", governance="3000", invoiced=earlier)
    html = _page(as_client_viewer)
    assert _cell(html, f"current-{function.id}") == f"€63,000.00 {earlier:%B %Y}"
    assert _cell(html, f"difference-{function.id}") == "€7,000.00"


def test_a_vendor_gets_404(as_vendor_admin):
    assert as_vendor_admin.get("/savings/overview").status_code == 404


def _functions(make, client, count):
    department = make.department(client, name=f"Operations {client.id}")
    vendor = make.organization(name=f"Vendor of {client.id}", kind="vendor")
    for number in range(count):
        function = make.function(client, name=f"Function {number}", dept=department)
        if number % 3:
            _outsourced(make, client, vendor, function, "40000", reports=[(LAST_MONTH, 2, 2)])
        else:
            make.tender(client, function, status="published")


def test_the_statement_count_does_not_grow_with_functions(
    app, make, login, client_org, other_client_org
):
    _functions(make, client_org, 3)
    _functions(make, other_client_org, 20)
    counts = []
    for organization in (client_org, other_client_org):
        test_client = login(make.member(organization, "viewer"), organization)
        test_client.get("/savings/overview")  # warm the caches
        with counting_statements(app) as statements:
            assert test_client.get("/savings/overview").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]

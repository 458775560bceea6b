"""The register page: derived costs, totals per currency, constant query count."""

from decimal import Decimal

from tests.statements import counting_statements


def test_register_shows_derived_monthly_cost_and_unit_cost(as_client_admin, make, client_org):
    make.function(client_org, "Accounts payable")
    response = as_client_admin.get("/functions/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Accounts payable" in html
    assert "€70,000.00" in html  # 840,000 a year / 12
    assert "€5.83" in html  # 70,000 / 12,000 supplier invoices
    assert "12,000" in html and "supplier invoices" in html


def test_register_is_a_client_page_vendor_gets_404(as_vendor_admin):
    assert as_vendor_admin.get("/functions/").status_code == 404


def test_viewer_reads_the_register_without_edit_buttons(as_client_viewer, make, client_org):
    make.function(client_org, "Payroll")
    response = as_client_viewer.get("/functions/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Payroll" in html
    assert "/functions/new" not in html
    assert "data-confirm" not in html


def test_register_lists_functions_grouped_by_department(as_client_admin, make, client_org):
    finance = make.department(client_org, "Finance")
    people = make.department(client_org, "People")
    make.department(client_org, "Empty department")
    make.function(client_org, "Accounts payable", dept=finance)
    make.function(client_org, "Payroll", dept=people, volume_unit="payslips")
    html = as_client_admin.get("/functions/").get_data(as_text=True)
    assert html.index("Finance") < html.index("Accounts payable") < html.index("People")
    assert html.index("People") < html.index("Payroll")
    assert "No functions in this department yet." in html


def test_totals_are_kept_per_currency_never_added_across(as_client_admin, make, client_org):
    finance = make.department(client_org, "Finance")
    shared = make.department(client_org, "Shared services")
    make.function(client_org, "Accounts payable", dept=finance)  # EUR 70,000.00 a month
    make.function(
        client_org,
        "UK payroll",
        dept=finance,
        currency="GBP",
        ftes=Decimal("2"),
        annual_cost_per_fte=Decimal("45000"),
        annual_overheads=Decimal("6000"),
        annual_facilities=Decimal("0"),
        annual_technology=Decimal("0"),
        annual_management=Decimal("0"),
        monthly_volume=400,
    )  # GBP 96,000 a year = 8,000.00 a month
    make.function(
        client_org, "IT service desk", dept=shared, ftes=Decimal("5"), annual_management=0
    )  # EUR (300,000 + 120,000) / 12 = 35,000.00
    html = as_client_admin.get("/functions/").get_data(as_text=True)
    assert "€70,000.00" in html
    assert "£8,000.00" in html
    assert "£20.00" in html  # 8,000 / 400
    overall = html[html.index('data-testid="overall-totals"') :]
    eur_line = overall[overall.index('data-testid="overall-total-EUR"') :]
    gbp_line = overall[overall.index('data-testid="overall-total-GBP"') :]
    assert "€105,000.00" in eur_line.split("</tr>")[0]
    assert "£8,000.00" in gbp_line.split("</tr>")[0]
    assert "€1,260,000.00" in eur_line.split("</tr>")[0]
    # Finance holds both currencies: one subtotal line each, nothing summed across them.
    finance_section = html[html.index("Finance") : html.index("Shared services")]
    assert 'data-testid="department-total-EUR"' in finance_section
    assert 'data-testid="department-total-GBP"' in finance_section
    assert "78,000" not in html  # 70,000 EUR + 8,000 GBP must never appear


def _count_queries(app, test_client, url):
    # A first request ends the test's session, so the counted one starts, like
    # every real request, with nothing already loaded.
    test_client.get(url)
    with counting_statements(app) as statements:
        response = test_client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_register_query_count_does_not_grow_with_functions(
    app, as_client_admin, client_admin, make, client_org
):
    departments = [
        make.department(client_org, f"Department {number}", manager=client_admin)
        for number in range(2)
    ]
    for number in range(3):
        make.function(client_org, f"Function {number}", dept=departments[number % 2])
    with_three = _count_queries(app, as_client_admin, "/functions/")

    manager = make.member(client_org, "finance")
    departments += [
        make.department(client_org, f"Department {number}", manager=manager)
        for number in range(2, 10)
    ]
    for number in range(3, 50):
        make.function(
            client_org,
            f"Function {number}",
            dept=departments[number % 10],
            currency="GBP" if number % 3 else "EUR",
        )
    with_fifty = _count_queries(app, as_client_admin, "/functions/")
    assert with_three > 0
    assert with_fifty == with_three

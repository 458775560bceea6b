"""Creating, reading, editing and deleting back-office functions."""

from decimal import Decimal

import pytest

from tests.portal.functions.conftest import function_form


def test_new_function_prefills_from_the_catalogue(as_client_admin, make, client_org):
    make.department(client_org, "People")
    response = as_client_admin.get("/functions/new?catalogue=payroll")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Payroll"' in html
    assert 'value="payslips"' in html
    assert "issuing payslips" in html
    assert '<option selected value="payroll">' in html


def test_unknown_catalogue_key_gives_an_empty_custom_form(as_client_admin, make, client_org):
    make.department(client_org, "People")
    response = as_client_admin.get("/functions/new?catalogue=nonsense")
    assert response.status_code == 200
    assert 'name="name" required type="text" value=""' in response.get_data(as_text=True)


def test_currency_defaults_to_the_organization_currency(make, login):
    org = make.organization(kind="client", default_currency="GBP")
    make.department(org, "Finance")
    admin = make.member(org, "admin")
    html = login(admin, org).get("/functions/new").get_data(as_text=True)
    assert '<option selected value="GBP">' in html


def test_new_function_asks_for_a_department_first(as_client_admin):
    html = as_client_admin.get("/functions/new").get_data(as_text=True)
    assert "Create a department first." in html


def test_create_function_stores_the_baseline_and_records_audit(
    as_client_admin, make, client_org, functions_of, audit_events_of
):
    department = make.department(client_org, "Finance")
    response = as_client_admin.post("/functions/new", data=function_form(department.id))
    assert response.status_code == 302
    [function] = functions_of(client_org)
    assert response.headers["Location"].endswith(f"/functions/{function.id}")
    assert function.catalogue_key == "accounts_payable"
    assert function.ftes == Decimal("10.00")
    assert function.monthly_volume == 12000
    [event] = audit_events_of(client_org, "function.created")
    assert event.target_id == function.id
    assert event.before is None
    assert event.after["annual_cost_per_fte"] == "60000.00"
    assert event.after["monthly_volume"] == 12000
    assert event.after["department_id"] == department.id


def test_finance_may_create_a_function(as_client_finance, make, client_org, functions_of):
    department = make.department(client_org, "Finance")
    response = as_client_finance.post("/functions/new", data=function_form(department.id))
    assert response.status_code == 302
    assert len(functions_of(client_org)) == 1


def test_french_decimal_comma_is_accepted(make, login, client_org, functions_of):
    department = make.department(client_org, "Finance")
    french = make.member(client_org, "finance", locale="fr")
    response = login(french, client_org).post(
        "/functions/new",
        data=function_form(department.id, ftes="12,5", annual_cost_per_fte="60 000,50"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [function] = functions_of(client_org)
    assert function.ftes == Decimal("12.50")
    assert function.annual_cost_per_fte == Decimal("60000.50")


def test_a_bad_number_keeps_what_was_typed_and_names_the_field(
    as_client_admin, make, client_org, functions_of
):
    department = make.department(client_org, "Finance")
    response = as_client_admin.post(
        "/functions/new",
        data=function_form(department.id, ftes="-1", annual_overheads="lots", name="Kept name"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="-1"' in html
    assert 'value="lots"' in html
    assert 'value="Kept name"' in html
    assert 'data-field="ftes"' in html
    assert 'data-field="annual_overheads"' in html
    assert 'data-field="annual_technology"' not in html
    assert functions_of(client_org) == []


def test_function_name_is_unique_per_organization(
    as_client_admin, make, client_org, other_client_org, functions_of
):
    department = make.department(client_org, "Finance")
    make.function(client_org, "Accounts payable", dept=department)
    make.function(other_client_org, "Payroll")
    department_id = department.id
    response = as_client_admin.post(
        "/functions/new", data=function_form(department_id, name="accounts payable")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="name"' in html
    assert "A function with this name already exists." in html
    assert 'value="accounts payable"' in html
    # Another organization's function of the same name is no obstacle.
    response = as_client_admin.post(
        "/functions/new", data=function_form(department_id, name="Payroll")
    )
    assert response.status_code == 302
    assert [f.name for f in functions_of(client_org)] == ["Accounts payable", "Payroll"]


def test_department_of_another_organization_is_refused(
    as_client_admin, make, client_org, other_client_org, functions_of
):
    make.department(client_org, "Finance")
    theirs = make.department(other_client_org, "Their finance")
    response = as_client_admin.post("/functions/new", data=function_form(theirs.id))
    assert response.status_code == 400
    assert 'data-field="department_id"' in response.get_data(as_text=True)
    assert functions_of(client_org) == []
    assert functions_of(other_client_org) == []


def test_detail_page_explains_how_the_baseline_is_computed(as_client_admin, make, client_org):
    function = make.function(client_org, "Accounts payable")
    response = as_client_admin.get(f"/functions/{function.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "How it is computed" in html
    assert "10 FTEs × €60,000.00 per FTE a year" in html
    assert "€600,000.00" in html and "€50,000.00" in html  # people per year, per month
    assert "€840,000.00" in html and "€70,000.00" in html
    assert "€70,000.00 per month ÷ 12,000 supplier invoices" in html
    assert "€5.83" in html
    assert 'data-confirm="' in html


def test_edit_form_shows_stored_values(as_client_admin, make, client_org):
    function = make.function(client_org, "Accounts payable", ftes=Decimal("12.5"))
    html = as_client_admin.get(f"/functions/{function.id}/edit").get_data(as_text=True)
    assert 'value="12.50"' in html
    assert 'value="Accounts payable"' in html


def test_edit_function_records_before_and_after(
    as_client_admin, make, client_org, functions_of, audit_events_of
):
    function = make.function(client_org, "Accounts payable")
    response = as_client_admin.post(
        f"/functions/{function.id}/edit",
        data=function_form(function.department_id, ftes="8", monthly_volume="10000"),
    )
    assert response.status_code == 302
    [stored] = functions_of(client_org)
    assert stored.ftes == Decimal("8.00")
    [event] = audit_events_of(client_org, "function.updated")
    assert event.before["ftes"] == "10.00"
    assert event.after["ftes"] == "8.00"
    assert event.before["monthly_volume"] == 12000
    assert event.after["monthly_volume"] == 10000
    assert (
        set(event.before)
        == set(event.after)
        >= {
            "annual_cost_per_fte",
            "annual_overheads",
            "annual_facilities",
            "annual_technology",
            "annual_management",
            "currency",
            "department_id",
        }
    )


def test_saving_unchanged_function_records_nothing(
    as_client_admin, make, client_org, audit_events_of
):
    function = make.function(client_org, "Accounts payable", volume_unit="supplier invoices")
    response = as_client_admin.post(
        f"/functions/{function.id}/edit",
        data=function_form(function.department_id, catalogue_key="", description=""),
    )
    assert response.status_code == 302
    assert audit_events_of(client_org, "function.updated") == []


def test_delete_function_removes_it_and_records_audit(
    as_client_admin, make, client_org, functions_of, audit_events_of
):
    function = make.function(client_org, "Accounts payable")
    response = as_client_admin.post(f"/functions/{function.id}/delete")
    assert response.status_code == 302
    assert functions_of(client_org) == []
    [event] = audit_events_of(client_org, "function.deleted")
    assert event.before["name"] == "Accounts payable"
    assert event.before["ftes"] == "10.00"
    assert event.after is None


def test_delete_takes_post_only(as_client_admin, make, client_org):
    function = make.function(client_org)
    assert as_client_admin.get(f"/functions/{function.id}/delete").status_code == 405


@pytest.mark.parametrize(
    "path", ["/functions/new", "/functions/{id}/edit", "/functions/{id}/delete"]
)
def test_viewer_gets_403_on_changes(as_client_viewer, make, client_org, functions_of, path):
    function = make.function(client_org, "Accounts payable")
    url = path.format(id=function.id)
    response = as_client_viewer.post(url, data=function_form(function.department_id, ftes="1"))
    assert response.status_code == 403
    [stored] = functions_of(client_org)
    assert stored.ftes == Decimal("10.00")


def test_viewer_may_read_a_function_but_gets_no_buttons(as_client_viewer, make, client_org):
    function = make.function(client_org)
    response = as_client_viewer.get(f"/functions/{function.id}")
    assert response.status_code == 200
    assert "data-confirm" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/functions/{id}"),
        ("get", "/functions/{id}/edit"),
        ("post", "/functions/{id}/edit"),
        ("post", "/functions/{id}/delete"),
    ],
)
def test_another_client_organization_gets_404(
    as_other_client_admin, make, client_org, functions_of, method, path
):
    function = make.function(client_org, "Accounts payable")
    url = path.format(id=function.id)
    data = function_form(function.department_id, ftes="1") if method == "post" else None
    response = getattr(as_other_client_admin, method)(url, data=data)
    assert response.status_code == 404
    [stored] = functions_of(client_org)
    assert stored.ftes == Decimal("10.00")


@pytest.mark.parametrize(
    "path", ["/functions/", "/functions/new", "/functions/{id}", "/functions/{id}/edit"]
)
def test_vendor_organization_gets_404(as_vendor_admin, make, vendor_org, path):
    # Even a function somehow recorded for a vendor stays out of its reach.
    function = make.function(vendor_org)
    assert as_vendor_admin.get(path.format(id=function.id)).status_code == 404

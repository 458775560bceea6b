"""The first endpoints: organization, members, functions — walled by the token."""

from __future__ import annotations

from decimal import Decimal

from tests.portal.api.conftest import bearer


def test_members_are_listed_with_their_role_and_join_date(api, make, client_org):
    person = make.member(client_org, "finance", email="fiona@northwind.test", full_name="Fiona F")
    response = api.get("/api/v1/members")
    assert response.status_code == 200
    [member] = response.get_json()["data"]
    assert member["user_id"] == person.id
    assert member["full_name"] == "Fiona F"
    assert member["email"] == "fiona@northwind.test"
    assert member["role"] == "finance"
    assert member["joined_at"]


def test_members_of_another_organization_are_not_listed(api, make, client_org, other_client_org):
    make.member(client_org, "admin", email="mine@northwind.test")
    make.member(other_client_org, "admin", email="theirs@contoso.test")
    emails = [m["email"] for m in api.get("/api/v1/members").get_json()["data"]]
    assert emails == ["mine@northwind.test"]


def test_a_function_is_given_with_amounts_as_strings_and_its_baseline(api, make, client_org):
    department = make.department(client_org, name="Finance")
    function = make.function(
        client_org, name="Accounts payable", dept=department, catalogue_key="ap"
    )
    response = api.get(f"/api/v1/functions/{function.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == function.id
    assert body["name"] == "Accounts payable"
    assert body["catalogue_key"] == "ap"
    assert body["department"] == {"id": department.id, "name": "Finance"}
    assert body["currency"] == "EUR"
    assert body["ftes"] == "10.00"
    assert body["annual_cost_per_fte"] == {"amount": "60000.00", "currency": "EUR"}
    assert body["annual_management"] == {"amount": "120000.00", "currency": "EUR"}
    assert body["monthly_volume"] == 12000
    assert body["volume_unit"] == "supplier invoices"
    # 10 × 60,000 + 60,000 + 36,000 + 24,000 + 120,000 = 840,000 a year.
    assert body["annual_in_house_cost"] == {"amount": "840000.00", "currency": "EUR"}
    assert body["monthly_in_house_cost"] == {"amount": "70000.00", "currency": "EUR"}
    assert body["unit_cost"] == {"amount": "5.83", "currency": "EUR"}
    assert Decimal(body["unit_cost"]["amount"]) == Decimal("5.83")


def test_a_function_without_volume_has_no_unit_cost(api, make, client_org):
    function = make.function(client_org, monthly_volume=0)
    assert api.get(f"/api/v1/functions/{function.id}").get_json()["unit_cost"] is None


def test_functions_are_paginated(api, make, client_org):
    department = make.department(client_org)
    for number in range(3):
        make.function(client_org, name=f"Function {number}", dept=department)
    body = api.get("/api/v1/functions?per_page=2").get_json()
    assert [f["name"] for f in body["data"]] == ["Function 0", "Function 1"]
    assert body["meta"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}


def test_another_organizations_function_is_a_404_problem(api, make, other_client_org):
    theirs = make.function(other_client_org, name="Their payroll")
    response = api.get(f"/api/v1/functions/{theirs.id}")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_another_organizations_functions_are_not_listed(api, make, client_org, other_client_org):
    make.function(client_org, name="Ours")
    make.function(other_client_org, name="Theirs")
    names = [f["name"] for f in api.get("/api/v1/functions").get_json()["data"]]
    assert names == ["Ours"]


def test_a_vendor_token_has_no_functions(client, make, vendor_org, client_org, make_token):
    secret = make_token(vendor_org)
    function = make.function(client_org)
    assert client.get("/api/v1/functions", headers=bearer(secret)).status_code == 404
    response = client.get(f"/api/v1/functions/{function.id}", headers=bearer(secret))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_every_role_may_read(client, client_org, make_token):
    for role in ("admin", "procurement", "finance", "delivery", "viewer"):
        secret = make_token(client_org, role)
        for path in ("/api/v1/organization", "/api/v1/members", "/api/v1/functions"):
            assert client.get(path, headers=bearer(secret)).status_code == 200, (role, path)


def test_an_endpoint_that_changes_data_cannot_be_open_to_viewers():
    import pytest

    from portal.api.endpoints import endpoint

    with pytest.raises(ValueError, match="viewer never changes data"):
        endpoint("POST", "/never", summary="never registered")

"""The contract pages: both sides, forms keeping what was typed, roles and the wall."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.models import Contract, ContractStatus
from contracts.operations import contracts as operations
from portal import db, tenancy
from portal.db import utcnow
from portal.tenancy import organization_context
from tests.statements import counting_statements

D = Decimal


@pytest.fixture
def function(make, client_org):
    return make.function(client_org, name="Accounts payable", catalogue_key="accounts_payable")


@pytest.fixture
def as_vendor_viewer(make, login, vendor_org):
    return login(make.member(vendor_org, "viewer"), vendor_org)


def form_fields(vendor, function, **overrides) -> dict:
    fields = {
        "vendor_id": str(vendor.id),
        "function_id": str(function.id),
        "title": "Payables with Atlas",
        "scope": "Invoices in, payments out.",
        "currency": "",
        "start_date": "2026-01-01",
        "end_date": "2028-12-31",
        "payment_terms_days": "30",
        "vat_treatment": "",
        "vat_rate": "",
        "transition_cost": "80000",
        "retained_governance_monthly": "4500",
        "monthly_minimum": "",
        "credit_cap_percent": "10",
        "rate_lines-0-kind": "fixed_monthly",
        "rate_lines-0-description": "Service management",
        "rate_lines-0-unit": "",
        "rate_lines-0-rate": "25000",
        "rate_lines-0-code": "",
        "rate_lines-1-kind": "per_unit",
        "rate_lines-1-description": "Invoice processing",
        "rate_lines-1-unit": "supplier invoice",
        "rate_lines-1-rate": "1.85",
        "rate_lines-1-code": "",
        "rate_lines-2-kind": "fixed_monthly",
        "rate_lines-2-description": "",
        "rate_lines-2-unit": "",
        "rate_lines-2-rate": "",
        "rate_lines-2-code": "",
        "metrics-0-name": "Invoice accuracy",
        "metrics-0-unit": "%",
        "metrics-0-target": "99",
        "metrics-0-better": "higher",
        "metrics-0-critical_threshold": "97",
        "metrics-0-credit_percent": "5",
        "metrics-0-code": "",
        "metrics-0-library_key": "",
        "save": "1",
    }
    fields.update(overrides)
    return fields


def contracts_of(org) -> list[Contract]:
    with organization_context(org.id):
        db.session.expire_all()
        return list(db.session.scalars(select(Contract).order_by(Contract.id)))


def reload(contract) -> Contract:
    db.session.expire_all()
    statement = tenancy.across_tenants(select(Contract).where(Contract.id == contract.id))
    return db.session.scalars(statement).one()


def page(browser, url) -> str:
    response = browser.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# --- A new contract -------------------------------------------------------------------


def test_new_contract_lists_captive_centres_first_and_labelled(
    make, as_client_admin, client_org, function
):
    make.organization(name="Aardvark BPO", kind="vendor")
    make.organization(name="Northwind Services Lisbon", kind="vendor", captive_of_id=client_org.id)
    html = page(as_client_admin, "/contracts/new")
    assert "Northwind Services Lisbon (your captive centre)" in html
    assert html.index("Northwind Services Lisbon") < html.index("Aardvark BPO")
    assert "Northwind Holdings" not in html.split('name="vendor_id"')[1].split("</select>")[0]


def test_new_contract_is_saved_as_a_draft(as_client_admin, client_org, vendor_org, function):
    response = as_client_admin.post("/contracts/new", data=form_fields(vendor_org, function))
    assert response.status_code == 302
    [contract] = contracts_of(client_org)
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert contract.status == ContractStatus.DRAFT
    assert contract.vendor_organization_id == vendor_org.id
    assert [line.code for line in contract.versions[0].rate_lines] == [
        "service-management",
        "invoice-processing",
    ]
    assert contract.versions[0].retained_governance_monthly == D("4500")


def test_the_new_contract_form_keeps_what_was_typed_on_error(
    as_client_admin, client_org, vendor_org, function
):
    fields = form_fields(
        vendor_org,
        function,
        **{"metrics-0-critical_threshold": "99.5"},
    )
    response = as_client_admin.post("/contracts/new", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "critical threshold must be worse" in html
    assert 'value="Payables with Atlas"' in html
    assert 'value="99.5"' in html
    assert 'value="Invoice processing"' in html
    assert contracts_of(client_org) == []


def test_a_bad_number_stays_in_its_field_with_its_error(
    as_client_admin, client_org, vendor_org, function
):
    fields = form_fields(vendor_org, function, **{"rate_lines-0-rate": "twelve"})
    response = as_client_admin.post("/contracts/new", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="twelve"' in html
    assert "Enter a number" in html
    assert contracts_of(client_org) == []


def test_more_rows_and_the_library_change_the_rows_without_saving(
    as_client_admin, client_org, vendor_org, function
):
    fields = form_fields(vendor_org, function)
    del fields["save"]
    response = as_client_admin.post("/contracts/new", data={**fields, "more_rows": "1"})
    assert response.status_code == 200
    assert 'name="rate_lines-5-kind"' in response.get_data(as_text=True)
    response = as_client_admin.post(
        "/contracts/new",
        data={**fields, "library_keys": "payments_on_time", "add_library": "1"},
    )
    html = response.get_data(as_text=True)
    assert 'value="payments_on_time"' in html
    assert 'name="metrics-1-name"' in html
    assert contracts_of(client_org) == []


def test_a_vendor_only_organization_cannot_draft_contracts(as_vendor_admin):
    assert as_vendor_admin.get("/contracts/new").status_code == 404


# --- The list -------------------------------------------------------------------------


def test_the_list_shows_both_sides_and_filters(make, login, client_org, vendor_org):
    both = make.organization(name="Janus Group", kind="both")
    other_vendor = make.organization(name="Birch BPO", kind="vendor")
    as_client = make.contract(both, vendor_org, title="Janus buys from Atlas")
    as_vendor = make.contract(client_org, both, title="Janus serves Northwind")
    make.contract(both, other_vendor, title="Janus buys from Birch", status="terminated")
    make.contract(client_org, both, title="Northwind draft for Janus", status="draft")
    browser = login(make.member(both, "viewer"), both)

    html = page(browser, "/contracts")
    assert "Janus buys from Atlas" in html
    assert "Janus serves Northwind" in html
    assert "Janus buys from Birch" in html
    assert "Northwind draft for Janus" not in html  # never sent: the client's working copy
    assert html.count('data-testid="counterparty"') == 3

    html = page(browser, f"/contracts?counterparty={client_org.id}")
    assert "Janus serves Northwind" in html
    assert "Janus buys from Atlas" not in html
    html = page(browser, "/contracts?status=terminated")
    assert "Janus buys from Birch" in html
    assert "Janus buys from Atlas" not in html
    # A filter outside the choices is ignored.
    assert "Janus buys from Atlas" in page(browser, "/contracts?status=nonsense&counterparty=x")
    assert as_client.id and as_vendor.id


def test_the_list_sends_the_same_statements_for_3_and_20_contracts(
    app, make, as_client_admin, client_org
):
    def count_for(rows: int) -> int:
        while len(contracts_of(client_org)) < rows:
            make.contract(client_org, make.organization(kind="vendor"))
        with counting_statements(app) as statements:
            assert as_client_admin.get("/contracts").status_code == 200
        return len(statements)

    assert count_for(3) == count_for(20)


def test_the_list_is_paginated(make, as_client_admin, client_org, vendor_org):
    for number in range(27):
        make.contract(client_org, vendor_org, title=f"Contract {number:02d}")
    html = page(as_client_admin, "/contracts")
    assert html.count('data-testid="counterparty"') == 25
    html = page(as_client_admin, "/contracts?page=2")
    assert html.count('data-testid="counterparty"') == 2


# --- One contract ---------------------------------------------------------------------


def test_the_client_sees_its_costs_and_the_vendor_never_does(
    make, as_client_admin, as_vendor_admin, client_org, vendor_org
):
    contract = make.contract(
        client_org,
        vendor_org,
        retained_governance_monthly="4321.00",
        transition_cost=D("98765"),
        monthly_minimum=D("35000"),
    )
    client_page = page(as_client_admin, f"/contracts/{contract.id}")
    assert 'data-testid="governance-cost"' in client_page
    assert "4,321.00" in client_page
    assert "98,765.00" in client_page
    assert "35,000.00" in client_page
    assert f"/functions/{contract.function_id}" in client_page

    for url in (
        f"/contracts/{contract.id}",
        f"/contracts/{contract.id}/versions/{contract.versions[0].id}",
    ):
        html = page(as_vendor_admin, url)
        assert "4,321" not in html
        assert "98,765" not in html
        assert "governance-cost" not in html
        assert "transition-cost" not in html
        assert "35,000.00" in html  # the minimum is a term both parties read
        # The client's register stays behind its wall.
        assert f"/functions/{contract.function_id}" not in html
    vendor_list = page(as_vendor_admin, "/contracts")
    assert contract.title in vendor_list


def test_the_page_shows_terms_with_codes_and_the_version_history(
    make, as_client_admin, client_org, vendor_org
):
    contract = make.contract(client_org, vendor_org)
    html = page(as_client_admin, f"/contracts/{contract.id}")
    for code in ("base-fee", "invoices", "accuracy", "cycle-time"):
        assert f"<code>{code}</code>" in html
    assert f"/contracts/{contract.id}/versions/{contract.versions[0].id}" in html
    assert 'data-testid="amend"' in html
    assert 'data-testid="accept"' not in html


def test_earlier_versions_stay_readable(make, app, as_client_admin, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    manager = make.member(client_org, "admin")
    version = contract.current_version
    data = {
        "effective_month": date(2026, 7, 1),
        "summary": "New invoice rate.",
        "end_date": contract.end_date,
        "credit_cap_percent": D("10"),
        "rate_lines": [
            {
                "kind": "fixed_monthly",
                "description": "Service management",
                "rate": D("41000"),
                "code": "base-fee",
            },
        ],
        "metrics": [],
    }
    with app.test_request_context(), organization_context(client_org.id):
        operations.amend_contract(manager, contract, data)
    html = page(as_client_admin, f"/contracts/{contract.id}/versions/{version.id}")
    assert "Earlier version" in html
    assert "40,000.00" in html
    assert "<code>invoices</code>" in html
    html = page(as_client_admin, f"/contracts/{contract.id}")
    assert "41,000.00" in html
    assert "New invoice rate." in html
    other = make.contract(client_org, vendor_org)
    url = f"/contracts/{contract.id}/versions/{other.versions[0].id}"
    assert as_client_admin.get(url).status_code == 404


# --- The life cycle over HTTP ---------------------------------------------------------


def test_send_accept_and_the_buttons_of_each_side(
    make, as_client_admin, as_vendor_admin, client_org, vendor_org
):
    contract = make.contract(client_org, vendor_org, status="draft")
    assert as_vendor_admin.get(f"/contracts/{contract.id}").status_code == 404
    html = page(as_client_admin, f"/contracts/{contract.id}")
    assert 'data-testid="send"' in html
    assert as_client_admin.post(f"/contracts/{contract.id}/send").status_code == 302
    assert reload(contract).status == ContractStatus.SENT

    html = page(as_vendor_admin, f"/contracts/{contract.id}")
    assert 'data-testid="accept"' in html
    assert 'data-testid="send"' not in html
    assert as_client_admin.post(f"/contracts/{contract.id}/accept").status_code == 403
    assert as_vendor_admin.post(f"/contracts/{contract.id}/accept").status_code == 302
    assert reload(contract).status == ContractStatus.ACTIVE
    # Posted twice: the second is refused and changes nothing.
    response = as_vendor_admin.post(f"/contracts/{contract.id}/accept", follow_redirects=True)
    assert "already accepted" in response.get_data(as_text=True)


def test_reject_needs_a_reason_and_the_client_reads_it(
    make, as_client_admin, as_vendor_admin, client_org, vendor_org
):
    contract = make.contract(client_org, vendor_org, status="sent")
    response = as_vendor_admin.post(f"/contracts/{contract.id}/reject", data={"reason": ""})
    assert response.status_code == 400
    assert reload(contract).status == ContractStatus.SENT
    response = as_vendor_admin.post(
        f"/contracts/{contract.id}/reject", data={"reason": "The credit cap is too high."}
    )
    assert response.status_code == 302
    assert reload(contract).status == ContractStatus.DRAFT
    html = page(as_client_admin, f"/contracts/{contract.id}")
    assert "The credit cap is too high." in html
    assert "The credit cap is too high." in page(as_client_admin, f"/contracts/{contract.id}/edit")
    # The vendor that sent it back still sees it, without the client's buttons.
    html = page(as_vendor_admin, f"/contracts/{contract.id}")
    assert "The credit cap is too high." in html
    assert 'data-testid="edit"' not in html


def test_edit_a_draft_keeps_input_on_error_and_saves(
    make, as_client_admin, client_org, vendor_org, function
):
    contract = make.contract(client_org, vendor_org, status="draft", function_record=function)
    html = page(as_client_admin, f"/contracts/{contract.id}/edit")
    assert 'value="base-fee"' in html
    assert 'name="vendor_id"' not in html
    fields = form_fields(vendor_org, function, end_date="2025-01-01")
    del fields["vendor_id"], fields["function_id"]
    response = as_client_admin.post(f"/contracts/{contract.id}/edit", data=fields)
    assert response.status_code == 400
    assert 'value="2025-01-01"' in response.get_data(as_text=True)
    fields["end_date"] = "2027-12-31"
    response = as_client_admin.post(f"/contracts/{contract.id}/edit", data=fields)
    assert response.status_code == 302
    contract = reload(contract)
    assert contract.end_date == date(2027, 12, 31)
    assert contract.title == "Payables with Atlas"


def test_an_active_contract_is_not_edited_but_amended(
    make, as_client_admin, client_org, vendor_org
):
    contract = make.contract(client_org, vendor_org)
    response = as_client_admin.get(f"/contracts/{contract.id}/edit")
    assert response.status_code == 302
    html = page(as_client_admin, f"/contracts/{contract.id}/amend")
    assert 'value="base-fee"' in html
    assert 'value="2.50"' in html


def test_amend_over_http_keeps_input_on_error_then_saves(
    make, as_client_admin, client_org, vendor_org
):
    contract = make.contract(client_org, vendor_org)
    fields = {
        "effective_month": "2026-01",
        "summary": "Lower rate.",
        "end_date": "2028-12-31",
        "credit_cap_percent": "10",
        "retained_governance_monthly": "",
        "monthly_minimum": "",
        "rate_lines-0-kind": "per_unit",
        "rate_lines-0-description": "Invoice processing",
        "rate_lines-0-unit": "supplier invoice",
        "rate_lines-0-rate": "2.2",
        "rate_lines-0-code": "invoices",
        "save": "1",
    }
    response = as_client_admin.post(f"/contracts/{contract.id}/amend", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "after the start" in html
    assert 'value="Lower rate."' in html or "Lower rate." in html
    assert 'value="2.2"' in html
    response = as_client_admin.post(
        f"/contracts/{contract.id}/amend", data={**fields, "effective_month": "2026-04"}
    )
    assert response.status_code == 302
    contract = reload(contract)
    assert [v.number for v in contract.versions] == [1, 2]
    assert contract.versions[1].effective_from == date(2026, 4, 1)


def test_terminate_over_http(make, as_client_admin, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, start_date=date(2026, 1, 1), months=120)
    response = as_client_admin.post(
        f"/contracts/{contract.id}/terminate", data={"last_day": "2020-01-01", "reason": "Moved."}
    )
    assert response.status_code == 400
    assert "cannot be in the past" in response.get_data(as_text=True)
    response = as_client_admin.post(
        f"/contracts/{contract.id}/terminate", data={"last_day": "2035-12-31", "reason": "Moved."}
    )
    assert response.status_code == 302
    contract = reload(contract)
    assert contract.status == ContractStatus.TERMINATED
    assert contract.terminated_on == date(2035, 12, 31)
    assert "Moved." in page(as_client_admin, f"/contracts/{contract.id}")


def test_cancel_over_http(make, as_client_admin, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, status="sent")
    assert as_client_admin.post(f"/contracts/{contract.id}/cancel").status_code == 302
    assert reload(contract).status == ContractStatus.CANCELLED


# --- Who may do what ------------------------------------------------------------------


def _routes(contract) -> list[tuple[str, str]]:
    base = f"/contracts/{contract.id}"
    return [
        ("GET", base),
        ("GET", f"{base}/versions/{contract.versions[0].id}"),
        ("GET", f"{base}/edit"),
        ("POST", f"{base}/edit"),
        ("POST", f"{base}/send"),
        ("POST", f"{base}/cancel"),
        ("POST", f"{base}/accept"),
        ("POST", f"{base}/reject"),
        ("GET", f"{base}/amend"),
        ("POST", f"{base}/amend"),
        ("POST", f"{base}/terminate"),
    ]


def test_another_organization_gets_404_on_every_route(
    make, as_other_client_admin, client_org, vendor_org
):
    for status in ("draft", "sent", "active"):
        contract = make.contract(client_org, vendor_org, status=status)
        for method, url in _routes(contract):
            response = as_other_client_admin.open(url, method=method)
            assert response.status_code == 404, (method, url)
        assert contract.title not in page(as_other_client_admin, "/contracts")


def test_viewers_change_nothing(make, as_client_viewer, as_vendor_viewer, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, status="sent")
    for browser in (as_client_viewer, as_vendor_viewer):
        assert browser.get(f"/contracts/{contract.id}").status_code == 200
        for method, url in _routes(contract):
            if method == "POST":
                assert browser.post(url).status_code == 403, url
    assert reload(contract).status == ContractStatus.SENT


def test_the_vendor_cannot_edit_send_amend_or_terminate(
    make, as_vendor_admin, client_org, vendor_org
):
    draft_sent_back = make.contract(
        client_org, vendor_org, status="draft", sent_at=utcnow(), rejection_reason="No."
    )
    active = make.contract(client_org, vendor_org)
    for url in (
        f"/contracts/{draft_sent_back.id}/edit",
        f"/contracts/{active.id}/amend",
    ):
        assert as_vendor_admin.get(url).status_code == 403
        assert as_vendor_admin.post(url).status_code == 403
    for action in ("send", "cancel"):
        assert as_vendor_admin.post(f"/contracts/{draft_sent_back.id}/{action}").status_code == 403
    assert as_vendor_admin.post(f"/contracts/{active.id}/terminate").status_code == 403
    assert reload(draft_sent_back).status == ContractStatus.DRAFT
    assert reload(active).status == ContractStatus.ACTIVE


def test_the_client_cannot_accept_or_reject(make, as_client_admin, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, status="sent")
    assert as_client_admin.post(f"/contracts/{contract.id}/accept").status_code == 403
    response = as_client_admin.post(f"/contracts/{contract.id}/reject", data={"reason": "x"})
    assert response.status_code == 403
    assert reload(contract).status == ContractStatus.SENT


def test_a_function_under_contract_stays_in_the_register(make, client_org, vendor_org, login):
    from sqlalchemy import select

    from portal import db
    from portal.models import AuditEvent, BackOfficeFunction
    from portal.tenancy import organization_context

    admin = make.member(client_org, "admin", email="register-admin@northwind.test")
    function = make.function(client_org, name="Payables under contract")
    make.contract(client_org, vendor_org, function_record=function)

    response = login(admin, client_org).post(
        f"/functions/{function.id}/delete", follow_redirects=True
    )

    assert response.status_code == 200
    assert "has tenders or contracts" in response.get_data(as_text=True)
    with organization_context(client_org.id):
        assert db.session.get(BackOfficeFunction, function.id) is not None
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "function.deleted")
        ).all()

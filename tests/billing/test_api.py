"""The invoicing API: the pages' rules for vendors and clients, in the OpenAPI document."""

from __future__ import annotations

import hashlib
from datetime import date

import facturx
import pytest

from contracts.models import ReportStatus
from contracts.operations.results import record_results
from portal.tenancy import organization_context
from tests.portal.api.conftest import bearer

API = "/api/v1"


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def accepted_report(make, contract, client_org):
    report = make.delivery_report(contract, date(2026, 3, 1), status=ReportStatus.ACCEPTED)
    with organization_context(client_org.id):
        record_results(report, notify_breaches=False)
    return report


@pytest.fixture
def vendor_api(client, make_token, vendor_org):
    secret = make_token(vendor_org, "finance")
    return lambda method, path, **kwargs: client.open(
        API + path, method=method, headers=bearer(secret), **kwargs
    )


@pytest.fixture
def client_api(client, make_token, client_org):
    secret = make_token(client_org, "finance")
    return lambda method, path, **kwargs: client.open(
        API + path, method=method, headers=bearer(secret), **kwargs
    )


def test_the_vendor_drafts_issues_and_the_client_downloads_and_approves(
    contract, accepted_report, vendor_api, client_api
):
    drafted = vendor_api("POST", f"/contracts/{contract.id}/reports/{accepted_report.id}/invoice")
    assert drafted.status_code == 201, drafted.json
    invoice_id = drafted.json["id"]
    assert drafted.json["status"] == "draft" and drafted.json["number"] is None
    # 40,000 fixed + 10,000 × 2.50 = 65,000 net; French VAT 20 % on the sum.
    assert drafted.json["net_total"] == {"amount": "65000.00", "currency": "EUR"}
    assert client_api("GET", f"/invoices/{invoice_id}").status_code == 404

    issued = vendor_api("POST", f"/invoices/{invoice_id}/issue")
    assert issued.status_code == 200, issued.json
    assert issued.json["status"] == "issued"
    assert issued.json["gross_total"] == {"amount": "78000.00", "currency": "EUR"}
    number = issued.json["number"]

    pdf = client_api("GET", f"/invoices/{invoice_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == issued.json["pdf_sha256"]
    _name, xml = facturx.get_xml_from_pdf(pdf.data, check_xsd=True)
    assert number.encode() in xml
    assert client_api("GET", f"/invoices/{invoice_id}/xml").data == xml

    approved = client_api("POST", f"/invoices/{invoice_id}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    listed = client_api("GET", "/invoices?side=received").json["data"]
    assert [row["number"] for row in listed] == [number]


def test_payments_and_disputes_follow_the_rules(make, contract, vendor_api, client_api):
    invoice = make.invoice(contract, status="issued")  # 40,000 + 20 % VAT = 48,000

    disputed = client_api("POST", f"/invoices/{invoice.id}/dispute", json={"reason": "Wrong"})
    assert disputed.status_code == 200 and disputed.json["status"] == "disputed"
    assert client_api("POST", f"/invoices/{invoice.id}/dispute", json={}).status_code == 422

    partial = vendor_api(
        "POST",
        f"/invoices/{invoice.id}/payments",
        json={
            "received_on": "2026-03-20",
            "amount": "8000.00",
            "reference": "VIR 1",
            "paid_before": "0.00",
        },
    )
    assert partial.status_code == 201, partial.json
    retried = vendor_api(
        "POST",
        f"/invoices/{invoice.id}/payments",
        json={
            "received_on": "2026-03-20",
            "amount": "8000.00",
            "reference": "VIR 1",
            "paid_before": "0.00",
        },
    )
    assert retried.status_code == 409
    assert partial.json["balance_due"] == {"amount": "40000.00", "currency": "EUR"}
    too_much = vendor_api(
        "POST",
        f"/invoices/{invoice.id}/payments",
        json={"received_on": "2026-03-21", "amount": "40000.01", "paid_before": "8000.00"},
    )
    assert too_much.status_code in (409, 422)
    paid = vendor_api(
        "POST",
        f"/invoices/{invoice.id}/payments",
        json={
            "received_on": "2026-03-21",
            "amount": "40000.00",
            "reference": "VIR 2",
            "paid_before": "8000.00",
        },
    )
    assert paid.json["status"] == "paid"
    assert paid.json["balance_due"]["amount"] == "0.00"


def test_each_side_only_does_its_own_part(make, contract, vendor_api, client_api):
    draft = make.invoice(contract)
    issued = make.invoice(contract, status="issued")

    assert client_api("POST", f"/invoices/{draft.id}/issue").status_code == 404
    assert vendor_api("POST", f"/invoices/{issued.id}/approve").status_code == 404
    assert (
        client_api(
            "POST",
            f"/invoices/{issued.id}/payments",
            json={"received_on": "2026-03-20", "amount": "1.00", "paid_before": "0"},
        ).status_code
        == 404
    )


def test_another_organization_reaches_nothing(make, client, make_token, other_client_org, contract):
    issued = make.invoice(contract, status="issued")
    secret = make_token(other_client_org, "admin")

    for path in (f"/invoices/{issued.id}", f"/invoices/{issued.id}/pdf"):
        assert client.get(API + path, headers=bearer(secret)).status_code == 404
    assert client.get(API + "/invoices", headers=bearer(secret)).json["data"] == []

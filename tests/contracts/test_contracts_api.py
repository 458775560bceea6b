"""The contracts API: both parties read a contract and its versions; nobody else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.models import ContractVersion
from portal import db
from tests.portal.api.conftest import bearer

API = "/api/v1"


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org, retained_governance_monthly="5000")


def _get(client, secret, path, **kwargs):
    return client.get(API + path, headers=bearer(secret), **kwargs)


def test_the_client_reads_its_contract_with_its_own_costs(client, make_token, client_org, contract):
    response = _get(client, make_token(client_org), f"/contracts/{contract.id}")

    assert response.status_code == 200
    body = response.json
    assert body["vendor"]["id"] == contract.vendor_organization_id
    assert body["transition_cost"] == {"amount": "120000.00", "currency": "EUR"}
    version = body["versions"][0]
    assert version["retained_governance_monthly"] == {"amount": "5000.00", "currency": "EUR"}
    assert [line["code"] for line in version["rate_lines"]] == ["base-fee", "invoices"]
    assert version["metrics"][0] == {
        "code": "accuracy",
        "name": "Invoice accuracy",
        "unit": "%",
        "target": "99.0000",
        "better": "higher",
        "critical_threshold": "97.0000",
        "credit_percent": "5.00",
    }


def test_the_vendor_never_reads_the_clients_costs(client, make_token, vendor_org, contract):
    response = _get(client, make_token(vendor_org), f"/contracts/{contract.id}")

    assert response.status_code == 200
    assert response.json["transition_cost"] is None
    assert response.json["versions"][0]["retained_governance_monthly"] is None
    assert "5000.00" not in response.get_data(as_text=True)


def test_another_organization_gets_404(client, make_token, other_client_org, contract):
    secret = make_token(other_client_org, "admin")

    assert _get(client, secret, f"/contracts/{contract.id}").status_code == 404
    listed = _get(client, secret, "/contracts").json
    assert listed["data"] == []


def test_the_list_filters_by_side_and_status(
    make, client, make_token, client_org, vendor_org, contract
):
    # The vendor organization is also a client of someone else.
    supplier = make.organization(kind="vendor")
    vendor_org.kind = "both"
    theirs = make.contract(vendor_org, supplier, status="draft")
    secret = make_token(vendor_org)

    everything = _get(client, secret, "/contracts").json["data"]
    as_vendor = _get(client, secret, "/contracts?side=vendor").json["data"]
    drafts = _get(client, secret, "/contracts?status=draft").json["data"]

    assert {row["id"] for row in everything} == {contract.id, theirs.id}
    assert [row["id"] for row in as_vendor] == [contract.id]
    assert [row["id"] for row in drafts] == [theirs.id]
    assert _get(client, secret, "/contracts?side=nobody").status_code == 422


def test_every_version_is_listed_oldest_first(make, client, make_token, client_org, contract):
    amended = ContractVersion(
        contract_id=contract.id,
        number=2,
        effective_from=date(2026, 7, 1),
        end_date=contract.end_date,
        summary="Tighter accuracy",
        credit_cap_percent=Decimal("12"),
    )
    db.session.add(amended)
    db.session.flush()

    body = _get(client, make_token(client_org), f"/contracts/{contract.id}").json

    assert [version["number"] for version in body["versions"]] == [1, 2]
    assert body["versions"][1]["effective_from"] == "2026-07-01"
    assert body["versions"][1]["summary"] == "Tighter accuracy"

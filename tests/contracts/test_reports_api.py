"""The delivery report API: the vendor pushes one period or a batch (all or nothing,
422 naming each value by its JSON pointer), both parties read, the client reviews."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from contracts.models import DeliveryReport, ReportStatus
from contracts.rules import add_months, month_start
from portal import db
from portal.tenancy import across_tenants
from tests.portal.api.conftest import bearer

API = "/api/v1"
THIS_MONTH = month_start(date.today())


def _month(offset: int) -> str:
    return f"{add_months(THIS_MONTH, offset):%Y-%m}"


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org, start_date=add_months(THIS_MONTH, -6))


def _caller(client, secret):
    def call(method, path, **kwargs):
        return client.open(API + path, method=method, headers=bearer(secret), **kwargs)

    return call


@pytest.fixture
def vendor_api(client, make_token, vendor_org):
    return _caller(client, make_token(vendor_org, "delivery"))


@pytest.fixture
def client_api(client, make_token, client_org):
    return _caller(client, make_token(client_org, "finance"))


@pytest.fixture
def intruder_api(client, make_token, other_client_org):
    return _caller(client, make_token(other_client_org, "admin"))


def _count() -> int:
    return db.session.scalar(across_tenants(select(func.count()).select_from(DeliveryReport)))


def _one(period: str, **changes) -> dict:
    body = {
        "period": period,
        "volumes": {"invoices": 12450},
        "measurements": {"accuracy": 99.2, "cycle-time": None},
        "notes": {"cycle-time": "Tool outage: not measured."},
        "comment": "",
    }
    body.update(changes)
    return body


def test_the_vendor_pushes_one_period_and_submits_it(vendor_api, contract):
    response = vendor_api(
        "POST", f"/contracts/{contract.id}/reports", json={**_one(_month(-1)), "submit": True}
    )
    assert response.status_code == 201, response.get_json()
    [report] = response.get_json()["reports"]
    assert report["period"] == _month(-1)
    assert report["status"] == "submitted"
    assert report["source"] == "api"
    assert report["volumes"] == {"invoices": "12450.00"}
    assert report["measurements"] == {"accuracy": "99.2000", "cycle-time": None}
    assert report["notes"] == {"cycle-time": "Tool outage: not measured."}


def test_a_batch_is_saved_whole(vendor_api, contract):
    body = {"reports": [_one(_month(-3)), _one(_month(-2)), _one(_month(-1))]}
    response = vendor_api("POST", f"/contracts/{contract.id}/reports", json=body)
    assert response.status_code == 201
    assert [r["status"] for r in response.get_json()["reports"]] == ["draft"] * 3
    # Sent again, the drafts are replaced, not duplicated.
    assert vendor_api("POST", f"/contracts/{contract.id}/reports", json=body).status_code == 201
    assert _count() == 3


def test_a_bad_batch_is_refused_whole_with_a_pointer_per_problem(vendor_api, contract):
    body = {
        "reports": [
            _one(_month(-2)),
            _one(_month(-1), measurements={"accuracy": "abc", "speed": 3}, volumes={}),
            _one(_month(2)),
        ]
    }
    response = vendor_api("POST", f"/contracts/{contract.id}/reports", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    assert set(errors) == {
        "/reports/1/measurements/accuracy",
        "/reports/1/measurements/speed",
        "/reports/1/volumes/invoices",
        "/reports/2/period",
    }
    assert _count() == 0


def test_a_metric_sent_as_a_volume_is_named(vendor_api, contract):
    body = _one(_month(-1), volumes={"invoices": 3, "accuracy": 99}, measurements={})
    response = vendor_api("POST", f"/contracts/{contract.id}/reports", json=body)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["/volumes/accuracy"]


def test_a_period_already_submitted_is_a_422_on_its_period(vendor_api, make, contract):
    make.delivery_report(contract, add_months(THIS_MONTH, -1), status="submitted")
    response = vendor_api("POST", f"/contracts/{contract.id}/reports", json=_one(_month(-1)))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["/period"]


def test_one_period_and_a_batch_together_are_refused(vendor_api, contract):
    body = {**_one(_month(-1)), "reports": [_one(_month(-2))]}
    response = vendor_api("POST", f"/contracts/{contract.id}/reports", json=body)
    assert response.status_code == 422
    assert _count() == 0


def test_another_organization_gets_404(intruder_api, make, contract):
    report = make.delivery_report(contract, add_months(THIS_MONTH, -1))
    for method, path in (
        ("GET", f"/contracts/{contract.id}/reports"),
        ("GET", f"/contracts/{contract.id}/reports/{report.id}"),
        ("POST", f"/contracts/{contract.id}/reports/{report.id}/accept"),
        ("POST", f"/contracts/{contract.id}/reports/{report.id}/dispute"),
    ):
        response = intruder_api(method, path, json={})
        assert response.status_code == 404, (method, path)
        assert response.content_type == "application/problem+json"


def test_the_client_cannot_push_reports(client_api, contract):
    response = client_api("POST", f"/contracts/{contract.id}/reports", json=_one(_month(-1)))
    assert response.status_code in (403, 404)
    assert _count() == 0


def test_both_parties_read_reports_but_the_client_no_drafts(client_api, vendor_api, make, contract):
    submitted = make.delivery_report(contract, add_months(THIS_MONTH, -2))
    make.delivery_report(contract, add_months(THIS_MONTH, -1), status="draft")
    vendor_list = vendor_api("GET", f"/contracts/{contract.id}/reports").get_json()
    client_list = client_api("GET", f"/contracts/{contract.id}/reports").get_json()
    assert vendor_list["meta"]["total"] == 2
    assert [r["id"] for r in client_list["data"]] == [submitted.id]
    one = client_api("GET", f"/contracts/{contract.id}/reports/{submitted.id}")
    assert one.status_code == 200
    assert one.get_json()["measurements"] == {"accuracy": "99.0000", "cycle-time": "3.0000"}


def test_the_client_accepts_once(client_api, make, contract):
    report = make.delivery_report(contract, add_months(THIS_MONTH, -1))
    path = f"/contracts/{contract.id}/reports/{report.id}/accept"
    first = client_api("POST", path)
    assert first.status_code == 200
    body = first.get_json()
    assert body["status"] == "accepted"
    assert body["metrics_met"] == 2
    assert body["credit_amount"]["amount"] == "0.00"
    second = client_api("POST", path)
    assert second.status_code == 200
    assert second.get_json()["status"] == "accepted"


def test_the_client_disputes_value_by_value_and_the_vendor_submits_a_correction(
    client_api, vendor_api, make, contract
):
    report = make.delivery_report(contract, add_months(THIS_MONTH, -1))
    path = f"/contracts/{contract.id}/reports/{report.id}"
    refused = client_api("POST", path + "/dispute", json={"reason": "", "items": {}})
    assert refused.status_code == 422
    response = client_api(
        "POST", path + "/dispute", json={"items": {"accuracy": "Our sample says 97 %."}}
    )
    assert response.status_code == 200
    assert response.get_json()["dispute_items"] == {"accuracy": "Our sample says 97 %."}
    # The vendor pushes the corrected period: a new version, submitted.
    pushed = vendor_api(
        "POST",
        f"/contracts/{contract.id}/reports",
        json={**_one(_month(-1), measurements={"accuracy": 97}), "submit": True},
    )
    assert pushed.status_code == 201
    [corrected] = pushed.get_json()["reports"]
    assert (corrected["version"], corrected["supersedes_id"]) == (2, report.id)
    assert client_api("GET", path).get_json()["status"] == ReportStatus.SUPERSEDED.value


def test_submit_a_draft_through_the_api(vendor_api, make, contract):
    draft = make.delivery_report(contract, add_months(THIS_MONTH, -1), status="draft")
    path = f"/contracts/{contract.id}/reports/{draft.id}/submit"
    assert vendor_api("POST", path).get_json()["status"] == "submitted"
    assert vendor_api("POST", path).status_code == 200


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    reports = paths["/api/v1/contracts/{contract_id}/reports"]
    assert {"get", "post"} <= set(reports)
    assert "post" in paths["/api/v1/contracts/{contract_id}/reports/{report_id}/dispute"]

"""The SLA results API: a contract's results for both parties (nobody else), the
vendor's scorecard and the client's ranking of its vendors."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from tests.contracts.test_results_queries import accepted_months
from tests.contracts.test_results_views import history
from tests.portal.api.conftest import bearer
from tests.statements import counting_statements

API = "/api/v1"


@pytest.fixture
def api(client, make_token):
    """``api(org, role)`` → a function calling the API with a token of that organization."""

    def for_organization(org, role: str = "viewer"):
        secret = make_token(org, role)

        def get(path: str):
            return client.get(API + path, headers=bearer(secret))

        return get

    return for_organization


@pytest.fixture
def contract(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, credit_cap_percent="8")
    accepted_months(
        make,
        contract,
        date(2026, 1, 1),
        2,
        values=lambda index: [{}, {"accuracy": "96", "cycle-time": None}][index],
    )
    return contract


def test_both_parties_read_a_contracts_results(api, contract, client_org, vendor_org):
    for organization in (client_org, vendor_org):
        response = api(organization)(f"/contracts/{contract.id}/results")
        assert response.status_code == 200
        data = response.get_json()
        assert data["contract_id"] == contract.id
        assert data["currency"] == "EUR"
        assert data["attainment_latest"] == "0.0"
        assert data["attainment_last_12_periods"] == "50.0"
        assert data["trend"] == "down"
        assert data["credit_latest"] == {"amount": "5200.00", "currency": "EUR"}
        assert data["credit_total"] == {"amount": "5200.00", "currency": "EUR"}
        assert [metric["code"] for metric in data["metrics"]] == ["accuracy", "cycle-time"]
        assert [period["period"] for period in data["periods"]] == ["2026-01", "2026-02"]
        february = data["periods"][1]
        assert february["fees"] == {"amount": "65000.00", "currency": "EUR"}
        assert february["credit_uncapped"]["amount"] == "5850.00"
        assert february["credit_amount"]["amount"] == "5200.00"
        assert february["capped"] is True
        assert (february["metrics_met"], february["metrics_total"]) == (0, 2)
        accuracy, cycle_time = february["results"]
        assert accuracy == {
            "code": "accuracy",
            "target": "99.0000",
            "actual": "96.0000",
            "outcome": "critical",
            "credit_percent": "5.00",
            "credit_amount": {"amount": "3250.00", "currency": "EUR"},
        }
        assert (cycle_time["actual"], cycle_time["outcome"]) == (None, "missing")


def test_another_organization_gets_404(api, contract, other_client_org):
    response = api(other_client_org, "admin")(f"/contracts/{contract.id}/results")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_a_contract_without_results(api, make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    data = api(client_org)(f"/contracts/{contract.id}/results").get_json()
    assert data["periods"] == []
    assert data["attainment_latest"] is None
    assert data["credit_latest"] is None
    assert data["credit_total"] == {"amount": "0.00", "currency": "EUR"}


@pytest.fixture
def december():
    with freeze_time("2026-12-15 10:00:00"):
        yield


def test_the_vendor_reads_its_scorecard(december, api, contract, vendor_org):
    response = api(vendor_org)("/scorecard")
    assert response.status_code == 200
    data = response.get_json()
    assert data["since"] == "2026-01"
    assert data["attainment_last_12_months"] == "50.0"
    assert data["credits_last_12_months"] == [{"amount": "5200.00", "currency": "EUR"}]
    assert data["active_contracts"] == 1
    (row,) = data["contracts"]
    assert row["contract_id"] == contract.id
    assert row["client"] == "Northwind Holdings"
    assert row["status"] == "active"
    assert row["latest_period"] == "2026-02"
    assert row["credit_total"] == {"amount": "5200.00", "currency": "EUR"}
    assert [period["period"] for period in data["periods"]] == ["2026-02", "2026-01"]
    assert data["periods"][0]["credits"] == [{"amount": "5200.00", "currency": "EUR"}]


def test_the_scorecard_is_for_vendors_and_the_ranking_for_clients(api, client_org, vendor_org):
    assert api(client_org)("/scorecard").status_code == 404
    assert api(vendor_org)("/vendor-performance").status_code == 404


def test_the_client_reads_the_ranking(december, api, make, contract, client_org, vendor_org):
    stronger = make.organization(name="Zenith Services", kind="vendor")
    accepted_months(make, make.contract(client_org, stronger), date(2026, 1, 1), 1)
    response = api(client_org)("/vendor-performance")
    assert response.status_code == 200
    data = response.get_json()
    assert [(row["rank"], row["vendor"]) for row in data] == [
        (1, {"id": stronger.id, "name": "Zenith Services"}),
        (2, {"id": vendor_org.id, "name": "Atlas Back Office"}),
    ]
    assert data[1]["attainment_last_12_months"] == "50.0"
    assert data[1]["credits_last_12_months"] == [{"amount": "5200.00", "currency": "EUR"}]
    assert data[1]["trend"] == "down"
    assert (data[1]["contracts"], data[1]["active_contracts"]) == (1, 1)


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/contracts/{contract_id}/results"]
    assert "get" in paths["/api/v1/scorecard"]
    assert "get" in paths["/api/v1/vendor-performance"]


def test_the_results_take_the_same_statements_for_12_or_36_months(
    app, api, make, client_org, vendor_org
):
    year = history(make, client_org, vendor_org, 12)
    three_years = history(make, client_org, vendor_org, 36)
    get = api(client_org)

    def count(contract) -> int:
        get(f"/contracts/{contract.id}/results")
        with counting_statements(app) as statements:
            response = get(f"/contracts/{contract.id}/results")
        assert response.status_code == 200
        return len(statements)

    assert count(year) == count(three_years)

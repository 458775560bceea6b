"""The SLA results pages: a contract's results, its charts and CSV, scorecards and the
ranking of vendors; only the two parties reach a contract's results."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from contracts.models import RateKind
from tests.contracts.test_results_queries import accepted_months
from tests.contracts.test_results_recording import amend
from tests.statements import counting_statements
from vendors.models import Better

D = Decimal


@pytest.fixture
def contract(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, credit_cap_percent="8")
    accepted_months(
        make,
        contract,
        date(2026, 1, 1),
        3,
        values=lambda index: [
            {},
            {"accuracy": "98.5"},
            {"accuracy": "96", "cycle-time": None},
        ][index],
    )
    return contract


def results_url(contract) -> str:
    return f"/contracts/{contract.id}/results"


def chart_url(contract, metric) -> str:
    return f"/contracts/{contract.id}/metrics/{metric.id}/chart.svg"


# --- The results page -----------------------------------------------------------------


def test_the_client_reads_the_results(as_client_admin, contract):
    response = as_client_admin.get(results_url(contract))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="tab-results"' in page
    assert 'data-testid="attainment-latest">0.0 %' in page
    # 3 of 6 metrics met over the three periods.
    assert 'data-testid="attainment-12">50.0 %' in page
    assert 'data-trend="down"' in page
    # The last period: 3,250.00 + 2,600.00 capped at 8 % of 65,000.00.
    assert 'data-testid="credit-latest">€5,200.00' in page
    assert 'data-testid="credit-total">€8,450.00' in page
    assert "Cap applied" in page
    assert "€5,850.00 before the cap" in page
    assert 'data-testid="cap-note"' in page
    for label in ("Met", "Breached", "Critical breach", "Not reported"):
        assert f">{label}</span>" in page
    assert f'href="/contracts/{contract.id}/results.csv"' in page
    for metric in contract.versions[0].metrics:
        assert f'src="{chart_url(contract, metric)}"' in page
    # The table is the charts' text alternative: each image says so.
    assert "the values are in the table above" in page


def test_the_vendor_reads_the_results_too(as_vendor_admin, contract):
    response = as_vendor_admin.get(results_url(contract))
    assert response.status_code == 200
    assert 'data-testid="results-table"' in response.get_data(as_text=True)


def test_a_viewer_reads_the_results(as_client_viewer, contract):
    assert as_client_viewer.get(results_url(contract)).status_code == 200


@pytest.mark.parametrize("suffix", ["results", "results.csv", "metrics/{metric}/chart.svg"])
def test_another_organization_gets_404(as_other_client_admin, contract, suffix):
    metric = contract.versions[0].metrics[0].id
    url = f"/contracts/{contract.id}/" + suffix.format(metric=metric)
    assert as_other_client_admin.get(url).status_code == 404


def test_a_contract_without_accepted_report_says_so(make, client_org, vendor_org, as_client_admin):
    contract = make.contract(client_org, vendor_org)
    make.delivery_report(contract, date(2026, 1, 1), status="submitted")
    response = as_client_admin.get(results_url(contract))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="no-results"' in page
    assert 'data-testid="results-table"' not in page


def test_an_amended_target_shows_in_its_periods(make, client_org, vendor_org, as_client_admin):
    contract = make.contract(client_org, vendor_org)
    amend(contract, date(2026, 2, 1), accuracy="98")
    accepted_months(make, contract, date(2026, 1, 1), 2, values=lambda i: {"accuracy": "98.5"})
    page = as_client_admin.get(results_url(contract)).get_data(as_text=True)
    # The column names the current target; the older period shows its own.
    assert "≥ 98 %" in page
    assert "target 99" in page
    # The chart is drawn for the current version's metric.
    assert f'src="{chart_url(contract, contract.versions[1].metrics[0])}"' in page


# --- CSV ------------------------------------------------------------------------------


def test_the_results_csv(as_client_finance, contract):
    response = as_client_finance.get(f"/contracts/{contract.id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        f'filename="sla-results-contract-{contract.id}.csv"'
        in response.headers["Content-Disposition"]
    )
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "Period",
        "Code",
        "Metric",
        "Unit",
        "Target",
        "Actual",
        "Outcome",
        "Credit percent",
        "Credit amount",
        "Period fees",
        "Period credit before cap",
        "Period credit after cap",
        "Currency",
    ]
    # One row per period and metric.
    assert len(rows) == 1 + 3 * 2
    by_key = {(row[0], row[1]): row for row in rows[1:]}
    accuracy = by_key[("2026-03", "accuracy")]
    assert accuracy[2:9] == [
        "Invoice accuracy",
        "%",
        "99.0000",
        "96.0000",
        "Critical breach",
        "5.00",
        "3250.00",
    ]
    assert accuracy[9:] == ["65000.00", "5850.00", "5200.00", "EUR"]
    missing = by_key[("2026-03", "cycle-time")]
    assert (missing[5], missing[6], missing[8]) == ("", "Not reported", "2600.00")
    assert by_key[("2026-01", "cycle-time")][6] == "Met"


def test_the_vendor_downloads_the_csv(as_vendor_admin, contract):
    assert as_vendor_admin.get(f"/contracts/{contract.id}/results.csv").status_code == 200


# --- Charts ---------------------------------------------------------------------------


def test_the_chart_is_an_svg_with_its_own_policy(as_client_admin, contract):
    accuracy = contract.versions[0].metrics[0]
    response = as_client_admin.get(chart_url(contract, accuracy))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert response.headers["Cache-Control"] == "no-store"
    svg = response.get_data(as_text=True)
    assert "<script" not in svg
    assert "xlink:href" not in svg
    assert "Invoice accuracy: actual against target" in svg
    # The data is in the SVG as text: months, values and outcomes.
    for text in ("Jan 2026", "Feb 2026", "Mar 2026", "98.5", "96", "99"):
        assert text in svg
    assert "Mar 2026 · Critical breach" in svg
    assert "Feb 2026 · Breached" in svg
    assert "Jan 2026 · Met" in svg


def test_a_chart_follows_its_metric_code_across_versions(
    make, client_org, vendor_org, as_client_admin
):
    contract = make.contract(client_org, vendor_org)
    amend(contract, date(2026, 2, 1), accuracy="98")
    accepted_months(make, contract, date(2026, 1, 1), 2, values=lambda i: {"accuracy": "98.5"})
    old_metric = contract.versions[0].metrics[0]
    new_metric = contract.versions[1].metrics[0]
    for metric in (old_metric, new_metric):
        svg = as_client_admin.get(chart_url(contract, metric)).get_data(as_text=True)
        # The whole series by code: the breach under the old target, then the new target.
        assert "Jan 2026 · Breached" in svg
        assert "Feb 2026 · Met" in svg
        assert "Jan 2026 · target" in svg


def test_a_metric_of_another_contract_is_a_404(make, client_org, vendor_org, as_client_admin):
    mine = make.contract(client_org, vendor_org)
    other = make.contract(client_org, vendor_org)
    response = as_client_admin.get(chart_url(mine, other.versions[0].metrics[0]))
    assert response.status_code == 404


def test_a_chart_without_accepted_period(make, client_org, vendor_org, as_vendor_admin):
    contract = make.contract(client_org, vendor_org)
    response = as_vendor_admin.get(chart_url(contract, contract.versions[0].metrics[0]))
    assert response.status_code == 200
    assert "No accepted period yet" in response.get_data(as_text=True)


def test_the_chart_speaks_the_readers_language(make, client_org, login, contract):
    reader = make.member(client_org, "viewer", locale="fr")
    browser = login(reader, client_org)
    svg = browser.get(chart_url(contract, contract.versions[0].metrics[0])).get_data(as_text=True)
    assert "98,5" in svg
    assert "janv. 2026" in svg


# --- Scorecards and ranking -----------------------------------------------------------


@pytest.fixture
def december():
    """Mid-December 2026: "the last 12 months" are January to December 2026. Asked for
    before the logged-in client, so that the session starts in the same frozen time."""
    with freeze_time("2026-12-15 10:00:00"):
        yield


def test_the_vendor_scorecard_page(december, as_vendor_admin, contract):
    response = as_vendor_admin.get("/scorecard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your scorecard" in page
    assert f'data-testid="contract-{contract.id}"' in page
    assert "Northwind Holdings" in page
    assert 'data-testid="period-2026-03"' in page
    assert 'data-testid="attainment-12">50.0 %' in page
    assert "€8,450.00" in page


def test_the_vendor_scorecard_is_a_vendor_page(as_client_admin):
    assert as_client_admin.get("/scorecard").status_code == 404


def test_the_vendor_ranking_is_a_client_page(as_vendor_admin):
    assert as_vendor_admin.get("/vendor-performance").status_code == 404


def test_the_client_ranks_its_vendors(
    december, make, client_org, as_client_viewer, contract, vendor_org
):
    stronger = make.organization(name="Zenith Services", kind="vendor")
    accepted_months(make, make.contract(client_org, stronger), date(2026, 1, 1), 2)
    response = as_client_viewer.get("/vendor-performance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("Zenith Services") < page.index("Atlas Back Office")
    assert f'href="/vendor-performance/{vendor_org.id}"' in page
    assert 'data-trend="down"' in page


def test_a_client_without_vendors_sees_an_empty_ranking(as_client_admin):
    response = as_client_admin.get("/vendor-performance")
    assert response.status_code == 200
    assert 'data-testid="no-vendors"' in response.get_data(as_text=True)


def test_the_client_reads_one_vendors_scorecard(december, as_client_admin, contract, vendor_org):
    response = as_client_admin.get(f"/vendor-performance/{vendor_org.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Scorecard of Atlas Back Office" in page
    assert f'data-testid="contract-{contract.id}"' in page
    assert 'data-testid="attainment-12">50.0 %' in page


def test_a_vendor_without_contract_with_this_client_is_a_404(
    make, as_client_admin, other_client_org
):
    stranger = make.organization(kind="vendor")
    make.contract(other_client_org, stranger)
    assert as_client_admin.get(f"/vendor-performance/{stranger.id}").status_code == 404


# --- Statements do not grow with the months -------------------------------------------


def twenty_metrics():
    return [
        (f"metric-{n:02d}", f"Metric {n}", "%", "95", Better.HIGHER, "90", "1") for n in range(20)
    ]


def history(make, client_org, vendor_org, months: int):
    contract = make.contract(
        client_org,
        vendor_org,
        start_date=date(2023, 1, 1),
        months=48,
        metrics=twenty_metrics(),
        lines=[("base-fee", RateKind.FIXED_MONTHLY, "Service", "", D("40000"))],
    )
    accepted_months(
        make,
        contract,
        date(2023, 1, 1),
        months,
        values=lambda index: {f"metric-{index % 20:02d}": "80"},
    )
    return contract


def test_the_results_take_the_same_statements_for_12_or_36_months(
    app, make, client_org, vendor_org, as_client_admin
):
    year = history(make, client_org, vendor_org, 12)
    three_years = history(make, client_org, vendor_org, 36)

    def count(url: str) -> int:
        as_client_admin.get(url)  # warm the session, the caches and the templates
        with counting_statements(app) as statements:
            response = as_client_admin.get(url)
        assert response.status_code == 200
        return len(statements)

    for suffix in ("results", "results.csv"):
        assert count(f"/contracts/{year.id}/{suffix}") == count(
            f"/contracts/{three_years.id}/{suffix}"
        )
    chart = "/contracts/{id}/metrics/{metric}/chart.svg"
    assert count(chart.format(id=year.id, metric=year.versions[0].metrics[3].id)) == count(
        chart.format(id=three_years.id, metric=three_years.versions[0].metrics[3].id)
    )
    page = as_client_admin.get(f"/contracts/{three_years.id}/results").get_data(as_text=True)
    assert page.count('data-testid="period-') == 36
    assert page.count("<img ") >= 20

"""Scorecards: a vendor's own across its clients, the client's view of one vendor,
and the client's ranking of its vendors; credits per currency, never mixed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from werkzeug.exceptions import NotFound

from contracts.models import ContractStatus
from contracts.queries import results as queries
from portal.tenancy import organization_context
from tests.contracts.test_results_queries import accepted_months
from tests.statements import counting_statements

D = Decimal

BREACH = {"accuracy": "98"}


@pytest.fixture(autouse=True)
def _mid_december_2026():
    # "The last 12 months" are January to December 2026.
    with freeze_time("2026-12-15 10:00:00"):
        yield


@pytest.fixture
def usd_client(make):
    return make.organization(name="Globex", kind="client", default_currency="USD")


def usd_contract(make, client, vendor, **fields):
    function = make.function(client, name="Payroll", currency="USD")
    return make.contract(client, vendor, function_record=function, **fields)


def test_the_vendor_scorecard_adds_up_every_client(make, client_org, vendor_org, usd_client):
    euro = make.contract(client_org, vendor_org)
    dollar = usd_contract(make, usd_client, vendor_org)
    accepted_months(make, euro, date(2026, 1, 1), 2)
    accepted_months(make, dollar, date(2026, 2, 1), 2, values=lambda i: BREACH)

    with organization_context(vendor_org.id):
        scorecard = queries.vendor_own_scorecard(vendor_org.id)

    assert scorecard.since == date(2026, 1, 1)
    # Newest month first.
    assert [(p.period, p.reports, p.metrics_met, p.metrics_total) for p in scorecard.periods] == [
        (date(2026, 3, 1), 1, 1, 2),
        (date(2026, 2, 1), 2, 3, 4),
        (date(2026, 1, 1), 1, 2, 2),
    ]
    february = scorecard.periods[1]
    assert february.attainment == D("75.0")
    # Euros and dollars are listed apart, never added.
    assert february.credits == {"EUR": D("0.00"), "USD": D("3250.00")}
    assert scorecard.attainment_last_12 == D("75.0")
    assert scorecard.credits_last_12 == {"EUR": D("0.00"), "USD": D("6500.00")}
    assert scorecard.active_contracts == 2
    by_id = {row.contract_id: row for row in scorecard.contracts}
    assert by_id[euro.id].counterparty == "Northwind Holdings"
    assert by_id[dollar.id].counterparty == "Globex"
    assert (by_id[dollar.id].periods, by_id[dollar.id].latest_period) == (2, date(2026, 3, 1))
    assert by_id[dollar.id].attainment == D("50.0")
    assert by_id[dollar.id].credit_total == D("6500.00")
    assert by_id[dollar.id].currency == "USD"
    assert by_id[euro.id].attainment_last_12 == D("100.0")


def test_the_last_12_months_leave_older_periods_out(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, start_date=date(2025, 7, 1))
    # Six breached months in 2025, then six met in 2026.
    accepted_months(make, contract, date(2025, 7, 1), 12, values=lambda i: BREACH if i < 6 else {})
    with organization_context(vendor_org.id):
        scorecard = queries.vendor_own_scorecard(vendor_org.id)
    assert len(scorecard.periods) == 12
    assert len(scorecard.last_periods) == 6
    assert scorecard.attainment_last_12 == D("100.0")
    assert scorecard.credits_last_12 == {"EUR": D("0.00")}
    row = scorecard.contracts[0]
    assert row.attainment == D("75.0")
    assert row.attainment_last_12 == D("100.0")
    assert row.credit_total == D("19500.00")
    assert row.credit_last_12 == D("0.00")
    assert scorecard.trend == "up"


def test_an_organization_that_is_also_a_client_sees_only_its_vendor_contracts(make, vendor_org):
    both = make.organization(name="Hybrid", kind="both")
    as_vendor = make.contract(make.organization(kind="client"), both)
    as_client = make.contract(both, vendor_org)
    accepted_months(make, as_vendor, date(2026, 1, 1), 1)
    accepted_months(make, as_client, date(2026, 1, 1), 1, values=lambda i: BREACH)
    with organization_context(both.id):
        scorecard = queries.vendor_own_scorecard(both.id)
    assert [row.contract_id for row in scorecard.contracts] == [as_vendor.id]
    assert [(p.metrics_met, p.metrics_total) for p in scorecard.periods] == [(2, 2)]


def test_drafts_and_cancelled_contracts_are_not_scored(make, client_org, vendor_org):
    make.contract(client_org, vendor_org, status="draft")
    make.contract(client_org, vendor_org, status="cancelled")
    sent = make.contract(client_org, vendor_org, status="sent")
    with organization_context(vendor_org.id):
        scorecard = queries.vendor_own_scorecard(vendor_org.id)
    assert [row.contract_id for row in scorecard.contracts] == [sent.id]
    assert scorecard.contracts[0].periods == 0
    assert scorecard.contracts[0].attainment is None
    assert scorecard.active_contracts == 0


def test_the_client_sees_one_vendor_with_itself_only(
    make, client_org, vendor_org, other_client_org
):
    mine = make.contract(client_org, vendor_org)
    theirs = make.contract(other_client_org, vendor_org)
    other_vendor = make.organization(name="Meridian", kind="vendor")
    make.contract(client_org, other_vendor)
    accepted_months(make, mine, date(2026, 1, 1), 1)
    accepted_months(make, theirs, date(2026, 1, 1), 1, values=lambda i: BREACH)

    with organization_context(client_org.id):
        assert queries.client_vendor_or_404(client_org.id, vendor_org.id) == vendor_org
        scorecard = queries.client_vendor_scorecard(client_org.id, vendor_org.id)
    assert [row.contract_id for row in scorecard.contracts] == [mine.id]
    assert scorecard.contracts[0].counterparty == "Atlas Back Office"
    assert [(p.metrics_met, p.metrics_total) for p in scorecard.periods] == [(2, 2)]
    assert scorecard.credits_last_12 == {"EUR": D("0.00")}


def test_a_vendor_without_a_contract_with_the_client_is_not_found(
    make, client_org, vendor_org, other_client_org
):
    make.contract(other_client_org, vendor_org)
    drafted = make.organization(kind="vendor")
    make.contract(client_org, drafted, status="draft")
    with organization_context(client_org.id):
        for vendor in (vendor_org, drafted, client_org):
            with pytest.raises(NotFound):
                queries.client_vendor_or_404(client_org.id, vendor.id)


def test_the_ranking_puts_the_best_vendor_first(make, client_org, vendor_org, other_client_org):
    weaker = vendor_org
    stronger = make.organization(name="Zenith Services", kind="vendor")
    silent = make.organization(name="Beta Outsourcing", kind="vendor")
    weak = make.contract(client_org, weaker)
    make.contract(client_org, weaker, status="expired")
    strong = make.contract(client_org, stronger)
    make.contract(client_org, silent)
    # Another client's contract with the weaker vendor does not count here.
    elsewhere = make.contract(other_client_org, stronger)
    accepted_months(make, weak, date(2026, 1, 1), 3, values=lambda i: BREACH if i == 2 else {})
    accepted_months(make, strong, date(2026, 1, 1), 3)
    accepted_months(make, elsewhere, date(2026, 1, 1), 3, values=lambda i: BREACH)

    with organization_context(client_org.id):
        ranking = queries.vendor_ranking(client_org.id)

    assert [(row.rank, row.name) for row in ranking] == [
        (1, "Zenith Services"),
        (2, "Atlas Back Office"),
        (3, "Beta Outsourcing"),
    ]
    zenith, atlas, beta = ranking
    assert zenith.attainment_last_12 == D("100.0")
    assert zenith.credits_last_12 == {"EUR": D("0.00")}
    assert zenith.trend == "flat"
    # 5 of 6 metrics met; the latest month (50 %) against the two before (100 %).
    assert atlas.attainment_last_12 == D("83.3")
    assert atlas.credits_last_12 == {"EUR": D("3250.00")}
    assert atlas.trend == "down"
    assert (atlas.contracts, atlas.active_contracts) == (2, 1)
    assert beta.attainment_last_12 is None
    assert beta.credits_last_12 == {}
    assert beta.vendor == {"id": silent.id, "name": "Beta Outsourcing"}


def test_the_ranking_keeps_currencies_apart(make, vendor_org):
    client = make.organization(name="Initech", kind="client")
    euro = make.contract(client, vendor_org)
    dollar = usd_contract(make, client, vendor_org)
    accepted_months(make, euro, date(2026, 1, 1), 1, values=lambda i: BREACH)
    accepted_months(make, dollar, date(2026, 1, 1), 1, values=lambda i: BREACH)
    with organization_context(client.id):
        (row,) = queries.vendor_ranking(client.id)
    assert row.credits_last_12 == {"EUR": D("3250.00"), "USD": D("3250.00")}


def test_scorecards_take_the_same_statements_however_long_the_history(
    app, make, client_org, vendor_org
):
    few_vendor = make.organization(kind="vendor")
    short = make.contract(client_org, few_vendor, start_date=date(2025, 1, 1))
    long = make.contract(client_org, vendor_org, start_date=date(2025, 1, 1))
    make.contract(client_org, vendor_org, start_date=date(2025, 1, 1))
    accepted_months(make, short, date(2025, 1, 1), 2)
    accepted_months(make, long, date(2025, 1, 1), 20, values=lambda i: BREACH)

    def count(work):
        with counting_statements(app) as statements:
            work()
        return len(statements)

    with organization_context(few_vendor.id):
        few = count(lambda: queries.vendor_own_scorecard(few_vendor.id))
    with organization_context(vendor_org.id):
        many = count(lambda: queries.vendor_own_scorecard(vendor_org.id))
    assert few == many
    with organization_context(client_org.id):
        few = count(lambda: queries.client_vendor_scorecard(client_org.id, few_vendor.id))
        many = count(lambda: queries.client_vendor_scorecard(client_org.id, vendor_org.id))
        assert few == many
        assert count(lambda: queries.vendor_ranking(client_org.id)) == 3


def test_contract_statuses_in_the_ranking(make, client_org, vendor_org):
    make.contract(client_org, vendor_org, status="terminated")
    with organization_context(client_org.id):
        (row,) = queries.vendor_ranking(client_org.id)
    assert (row.contracts, row.active_contracts) == (1, 0)
    assert ContractStatus.TERMINATED in queries.SCORED_STATUSES

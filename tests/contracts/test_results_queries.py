"""A contract's SLA history: accepted periods, attainment, trend and series by metric
code, read through the wall in a number of statements that months do not change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from werkzeug.exceptions import NotFound

from contracts.models import ReportStatus, SlaOutcome
from contracts.queries import results as queries
from contracts.rules import add_months
from portal.tenancy import organization_context
from tests.contracts.test_results_recording import accept, amend
from tests.statements import counting_statements

D = Decimal


def accepted_months(make, contract, first: date, count: int, values=None):
    """``count`` accepted months from ``first``; ``values(index)`` gives each month's values."""
    reports = []
    for index in range(count):
        report = make.delivery_report(
            contract, add_months(first, index), values=values(index) if values else {}
        )
        accept(report, notify_breaches=False)
        reports.append(report)
    return reports


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


def read(organization, contract):
    with organization_context(organization.id):
        return queries.contract_results(contract)


def test_history_lists_accepted_periods_with_each_metric(make, contract, client_org):
    accepted_months(
        make,
        contract,
        date(2026, 1, 1),
        3,
        values=lambda index: [{}, {"accuracy": "98"}, {"cycle-time": None}][index],
    )
    # Neither a submitted report nor a draft has results.
    make.delivery_report(contract, date(2026, 4, 1), status="submitted")
    make.delivery_report(contract, date(2026, 5, 1), status="draft")

    history = read(client_org, contract)

    assert [period.period for period in history.periods] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    january, february, march = history.periods
    assert [(r.code, r.outcome) for r in january.metrics] == [
        ("accuracy", SlaOutcome.MET),
        ("cycle-time", SlaOutcome.MET),
    ]
    assert february.metric("accuracy").actual == D("98")
    assert february.metric("accuracy").outcome is SlaOutcome.BREACHED
    assert february.metric("accuracy").credit_amount == D("3250.00")
    assert march.metric("cycle-time").outcome is SlaOutcome.MISSING
    assert march.metric("cycle-time").actual is None
    assert [period.fees for period in history.periods] == [D("65000.00")] * 3
    assert [period.credit_amount for period in history.periods] == [
        D("0"),
        D("3250.00"),
        D("2600.00"),
    ]
    assert history.latest is march
    assert history.attainment_latest == D("50.0")
    # 4 of 6 metrics met over the three periods.
    assert history.attainment_last_12 == D("66.7")
    assert history.credit_latest == D("2600.00")
    assert history.credit_total == D("5850.00")
    assert history.fees_total == D("195000.00")
    assert [column.code for column in history.columns] == ["accuracy", "cycle-time"]


def test_a_contract_without_accepted_periods_has_an_empty_history(contract, client_org):
    history = read(client_org, contract)
    assert history.periods == []
    assert history.latest is None
    assert history.attainment_latest is None
    assert history.attainment_last_12 is None
    assert history.trend == "flat"
    assert history.credit_latest is None
    assert history.credit_total == D("0")


def test_the_last_12_count_only_the_latest_accepted_periods(make, contract, client_org):
    # Two months with both metrics breached, then twelve months met.
    accepted_months(
        make,
        contract,
        date(2025, 1, 1),
        14,
        values=lambda index: {"accuracy": "98", "cycle-time": "4"} if index < 2 else {},
    )
    history = read(client_org, contract)
    assert len(history.periods) == 14
    assert len(history.last_periods) == 12
    assert history.attainment_last_12 == D("100.0")
    assert history.credit_total == D("11700.00")


def test_trend_compares_the_latest_period_with_the_twelve_before(make, contract, client_org):
    # 13 months met, then one with a metric missed: 50 % against 100 %.
    accepted_months(
        make,
        contract,
        date(2025, 1, 1),
        14,
        values=lambda index: {"accuracy": "98"} if index == 13 else {},
    )
    assert read(client_org, contract).trend == "down"


def test_trend_up_and_flat(make, client_org, vendor_org):
    improving = make.contract(client_org, vendor_org)
    accepted_months(
        make,
        improving,
        date(2026, 1, 1),
        4,
        values=lambda index: {"accuracy": "98"} if index < 3 else {},
    )
    steady = make.contract(client_org, vendor_org)
    accepted_months(make, steady, date(2026, 1, 1), 4)
    assert read(client_org, improving).trend == "up"
    assert read(client_org, steady).trend == "flat"


def test_a_target_changed_by_an_amendment_shows_in_the_series(make, contract, client_org):
    amend(contract, date(2026, 3, 1), accuracy="98")
    accepted_months(make, contract, date(2026, 1, 1), 4, values=lambda index: {"accuracy": "98.5"})
    history = read(client_org, contract)
    series = history.series("accuracy")
    assert [point.target for point in series] == [D("99"), D("99"), D("98"), D("98")]
    assert [point.outcome for point in series] == [
        SlaOutcome.BREACHED,
        SlaOutcome.BREACHED,
        SlaOutcome.MET,
        SlaOutcome.MET,
    ]
    # The column shows the metric as the latest terms define it.
    column = history.column("accuracy")
    assert column.target == D("98")
    assert column.metric_id == contract.versions[1].metrics[0].id
    # The chart's own query gives the same series.
    with organization_context(client_org.id):
        assert queries.metric_series(contract, "accuracy") == series


def test_a_metric_dropped_by_an_amendment_stays_in_the_history(make, contract, client_org):
    accepted_months(make, contract, date(2026, 1, 1), 2)
    version = amend(contract, date(2026, 3, 1))
    version.metrics = [metric for metric in version.metrics if metric.code == "accuracy"]
    accepted_months(make, contract, date(2026, 3, 1), 1)

    history = read(client_org, contract)
    assert [(column.code, column.current) for column in history.columns] == [
        ("accuracy", True),
        ("cycle-time", False),
    ]
    assert [len(period.metrics) for period in history.periods] == [2, 2, 1]
    assert history.periods[-1].metric("cycle-time") is None
    assert len(history.series("cycle-time")) == 2


def test_the_period_shows_when_the_cap_applied(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, credit_cap_percent="8")
    accepted_months(
        make,
        contract,
        date(2026, 1, 1),
        2,
        values=lambda i: [{}, {"accuracy": "1", "cycle-time": "9"}][i],
    )
    history = read(client_org, contract)
    assert [period.capped for period in history.periods] == [False, True]
    assert history.periods[-1].credit_uncapped == D("5850.00")
    assert history.periods[-1].credit_amount == D("5200.00")
    assert history.capped_periods == 1


def test_both_parties_read_the_history_and_nobody_else(
    make, contract, client_org, vendor_org, other_client_org
):
    accepted_months(make, contract, date(2026, 1, 1), 2)
    assert len(read(client_org, contract).periods) == 2
    assert len(read(vendor_org, contract).periods) == 2
    # The wall applies to reports, and so to the results joined to them.
    outsider = read(other_client_org, contract)
    assert outsider.periods == []
    with organization_context(other_client_org.id):
        assert queries.metric_series(contract, "accuracy") == []


def test_a_metric_of_another_contract_is_not_found(make, contract, client_org, vendor_org):
    other = make.contract(client_org, vendor_org)
    assert queries.metric_or_404(contract, contract.versions[0].metrics[1].id).code == "cycle-time"
    with pytest.raises(NotFound):
        queries.metric_or_404(contract, other.versions[0].metrics[0].id)


def test_the_history_takes_the_same_statements_for_3_or_15_months(
    app, make, client_org, vendor_org
):
    short = make.contract(client_org, vendor_org, start_date=date(2025, 1, 1))
    long = make.contract(client_org, vendor_org, start_date=date(2025, 1, 1))
    accepted_months(make, short, date(2025, 1, 1), 3, values=lambda i: {"accuracy": "98"})
    accepted_months(make, long, date(2025, 1, 1), 15, values=lambda i: {"accuracy": "98"})
    with organization_context(client_org.id):
        with counting_statements(app) as few:
            assert len(queries.contract_results(short).periods) == 3
        with counting_statements(app) as many:
            assert len(queries.contract_results(long).periods) == 15
    assert len(few) == len(many) == 2


def test_results_of_a_superseded_report_are_not_history(make, contract, client_org):
    # A disputed report never had results; only the accepted version counts.
    make.delivery_report(contract, date(2026, 1, 1), status="superseded")
    accepted = make.delivery_report(contract, date(2026, 1, 1), version=2)
    accepted.status = ReportStatus.ACCEPTED
    accept(accepted, notify_breaches=False)
    history = read(client_org, contract)
    assert [(period.period, period.report_version) for period in history.periods] == [
        (date(2026, 1, 1), 2)
    ]

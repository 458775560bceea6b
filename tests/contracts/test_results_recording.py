"""Recording the SLA results of an accepted report: the terms in force, credits, the
cap, and who is told of a breach.

The default contract of the factories: 40,000.00 fixed + 2.50 × 10,000 invoices =
65,000.00 of fees a month; ``accuracy`` ≥ 99 % (critical below 97, 5 % credit =
3,250.00), ``cycle-time`` ≤ 3 days (critical above 5, 4 % credit = 2,600.00);
credits capped at 10 % (6,500.00).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.models import (
    ContractVersion,
    RateCardLine,
    ReportStatus,
    SlaMetric,
    SlaOutcome,
)
from contracts.operations.results import record_results
from portal import db
from portal.models import Notification
from portal.tenancy import across_tenants

D = Decimal


def accept(report, **options):
    """Accept a report as the client's review would, and record its results."""
    report.status = ReportStatus.ACCEPTED
    results = record_results(report, **options)
    db.session.flush()
    return {result.code: result for result in results}


def amend(contract, effective_from: date, **targets) -> ContractVersion:
    """Add version 2 of the terms from ``effective_from``: the same lines and metrics,
    with the targets given by code changed."""
    current = contract.current_version
    version = ContractVersion(
        number=current.number + 1,
        effective_from=effective_from,
        end_date=current.end_date,
        summary="New targets",
        monthly_minimum=current.monthly_minimum,
        credit_cap_percent=current.credit_cap_percent,
    )
    version.rate_lines = [
        RateCardLine(
            position=line.position,
            code=line.code,
            kind=line.kind,
            description=line.description,
            unit=line.unit,
            rate=line.rate,
        )
        for line in current.rate_lines
    ]
    version.metrics = [
        SlaMetric(
            position=metric.position,
            code=metric.code,
            name=metric.name,
            unit=metric.unit,
            target=D(targets.get(metric.code, metric.target)),
            better=metric.better,
            critical_threshold=metric.critical_threshold,
            credit_percent=metric.credit_percent,
        )
        for metric in current.metrics
    ]
    contract.versions.append(version)
    db.session.flush()
    return version


def notifications(kind: str | None = None) -> list[Notification]:
    statement = select(Notification).order_by(Notification.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(across_tenants(statement)))


def recipients(kind: str) -> set[int]:
    return {notification.user_id for notification in notifications(kind)}


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


def test_a_period_with_every_metric_met_credits_nothing(make, contract):
    report = make.delivery_report(contract, date(2026, 1, 1))
    results = accept(report)
    assert {code: result.outcome for code, result in results.items()} == {
        "accuracy": SlaOutcome.MET,
        "cycle-time": SlaOutcome.MET,
    }
    assert report.fees_amount == D("65000.00")
    assert report.credit_uncapped == D("0")
    assert report.credit_amount == D("0")
    assert (report.metrics_met, report.metrics_total) == (2, 2)
    assert notifications() == []


def test_results_copy_the_target_actual_and_period(make, contract):
    report = make.delivery_report(contract, date(2026, 2, 1), values={"accuracy": "98.5"})
    result = accept(report)["accuracy"]
    assert result.period == date(2026, 2, 1)
    assert result.target == D("99")
    assert result.actual == D("98.5")
    assert result.outcome is SlaOutcome.BREACHED
    assert result.credit_percent == D("5")
    assert result.credit_amount == D("3250.00")
    assert result.metric_id == contract.versions[0].metrics[0].id


def test_fees_count_the_reported_volume(make, contract):
    report = make.delivery_report(contract, date(2026, 1, 1), volumes={"invoices": "12001"})
    accept(report)
    # 40,000.00 + 2.50 × 12,001 = 70,002.50
    assert report.fees_amount == D("70002.50")


def test_the_monthly_minimum_is_the_base_of_credits(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, monthly_minimum=D("80000"))
    report = make.delivery_report(contract, date(2026, 1, 1), values={"accuracy": "98"})
    accept(report)
    assert report.fees_amount == D("80000.00")
    # 5 % of the minimum.
    assert report.credit_amount == D("4000.00")


def test_a_period_with_a_missing_metric_costs_its_credit(make, contract):
    report = make.delivery_report(contract, date(2026, 1, 1), values={"cycle-time": None})
    results = accept(report)
    assert results["cycle-time"].outcome is SlaOutcome.MISSING
    assert results["cycle-time"].actual is None
    assert results["cycle-time"].credit_amount == D("2600.00")
    assert results["accuracy"].outcome is SlaOutcome.MET
    assert report.credit_amount == D("2600.00")
    assert (report.metrics_met, report.metrics_total) == (1, 2)


def test_credits_below_the_cap_are_due_in_full(make, contract):
    report = make.delivery_report(
        contract, date(2026, 1, 1), values={"accuracy": "98", "cycle-time": "4"}
    )
    accept(report)
    assert report.credit_uncapped == D("5850.00")
    assert report.credit_amount == D("5850.00")
    assert (report.metrics_met, report.metrics_total) == (0, 2)


def test_the_cap_limits_the_period_credit(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, credit_cap_percent="8")
    report = make.delivery_report(
        contract, date(2026, 1, 1), values={"accuracy": "98", "cycle-time": "4"}
    )
    results = accept(report)
    # Each metric keeps its credit before the cap; the period is capped at 8 %.
    assert results["accuracy"].credit_amount == D("3250.00")
    assert results["cycle-time"].credit_amount == D("2600.00")
    assert report.credit_uncapped == D("5850.00")
    assert report.credit_amount == D("5200.00")


def test_an_amendment_changes_the_target_from_its_effective_month(make, contract):
    amend(contract, date(2026, 7, 1), accuracy="98")
    before = make.delivery_report(contract, date(2026, 6, 1), values={"accuracy": "98.5"})
    after = make.delivery_report(contract, date(2026, 7, 1), values={"accuracy": "98.5"})
    assert before.contract_version_id == contract.versions[0].id
    assert after.contract_version_id == contract.versions[1].id

    old_terms = accept(before, notify_breaches=False)["accuracy"]
    new_terms = accept(after, notify_breaches=False)["accuracy"]
    assert (old_terms.target, old_terms.outcome) == (D("99"), SlaOutcome.BREACHED)
    assert old_terms.credit_amount == D("3250.00")
    assert (new_terms.target, new_terms.outcome) == (D("98"), SlaOutcome.MET)
    assert new_terms.credit_amount == D("0")
    # The same code across versions, each result pointing at its own version's metric.
    assert old_terms.metric_id == contract.versions[0].metrics[0].id
    assert new_terms.metric_id == contract.versions[1].metrics[0].id


def test_history_loaded_after_the_fact_tells_nobody(make, contract, client_org, vendor_org):
    make.member(client_org, "admin")
    make.member(vendor_org, "admin")
    report = make.delivery_report(contract, date(2026, 1, 1), values={"accuracy": "90"})
    accept(report, notify_breaches=False)
    assert report.credit_amount == D("3250.00")
    assert notifications() == []


@pytest.fixture
def people(make, client_org, vendor_org):
    """Members of both parties, and the department manager of the contracted function."""
    manager = make.member(client_org, "viewer", email="manager@northwind.test")
    department = make.department(client_org, name="Accounting", manager=manager)
    function = make.function(client_org, name="Accounts payable", dept=department)
    return {
        "contract": make.contract(client_org, vendor_org, function_record=function),
        "manager": manager,
        "client_admin": make.member(client_org, "admin"),
        "client_procurement": make.member(client_org, "procurement"),
        "client_finance": make.member(client_org, "finance"),
        "client_delivery": make.member(client_org, "delivery"),
        "vendor_admin": make.member(vendor_org, "admin"),
        "vendor_delivery": make.member(vendor_org, "delivery"),
        "vendor_procurement": make.member(vendor_org, "procurement"),
    }


def _ids(people, *names):
    return {people[name].id for name in names}


def test_a_breach_tells_both_parties(make, people, client_org, vendor_org):
    report = make.delivery_report(people["contract"], date(2026, 1, 1), values={"accuracy": "98"})
    accept(report)
    assert recipients("contract.sla_breached") == _ids(
        people,
        "client_admin",
        "client_procurement",
        "client_finance",
        "vendor_admin",
        "vendor_delivery",
    )
    assert recipients("contract.sla_critical") == set()
    # Each party's notifications belong to that party's organization.
    by_user = {n.user_id: n for n in notifications("contract.sla_breached")}
    assert by_user[people["client_admin"].id].organization_id == client_org.id
    assert by_user[people["vendor_admin"].id].organization_id == vendor_org.id
    notification = by_user[people["vendor_admin"].id]
    assert "Invoice accuracy" in notification.body
    assert notification.link == f"/contracts/{people['contract'].id}/results"


def test_a_critical_breach_also_tells_the_client_admins_and_the_department_manager(
    make, people, client_org
):
    report = make.delivery_report(people["contract"], date(2026, 1, 1), values={"accuracy": "96"})
    results = accept(report)
    assert results["accuracy"].outcome is SlaOutcome.CRITICAL
    assert recipients("contract.sla_critical") == _ids(people, "client_admin", "manager")
    assert all(
        notification.organization_id == client_org.id
        for notification in notifications("contract.sla_critical")
    )
    # Both parties still hear of the breach itself.
    assert _ids(people, "client_procurement", "vendor_delivery") <= recipients(
        "contract.sla_breached"
    )


def test_a_missing_metric_is_a_breach_that_is_told(make, people):
    report = make.delivery_report(people["contract"], date(2026, 1, 1), values={"cycle-time": None})
    accept(report)
    assert people["vendor_admin"].id in recipients("contract.sla_breached")
    assert recipients("contract.sla_critical") == set()


def test_a_manager_who_is_an_admin_is_told_of_a_critical_breach_once(make, client_org, vendor_org):
    manager = make.member(client_org, "admin")
    department = make.department(client_org, name="Shared services", manager=manager)
    function = make.function(client_org, name="Payroll", dept=department)
    contract = make.contract(client_org, vendor_org, function_record=function)
    report = make.delivery_report(contract, date(2026, 1, 1), values={"cycle-time": "9"})
    accept(report)
    critical = notifications("contract.sla_critical")
    assert [notification.user_id for notification in critical] == [manager.id]


def test_a_function_without_manager_tells_the_admins_of_a_critical_breach(
    make, client_org, vendor_org
):
    admin = make.member(client_org, "admin")
    contract = make.contract(client_org, vendor_org)
    report = make.delivery_report(contract, date(2026, 1, 1), values={"accuracy": "50"})
    accept(report)
    assert recipients("contract.sla_critical") == {admin.id}

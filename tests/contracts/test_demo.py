"""The demo's contracts: a year of delivery for three functions, loaded once, behind the wall."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contracts.models import (
    Contract,
    ContractStatus,
    DeliveryReport,
    ReportStatus,
    SlaOutcome,
    SlaResult,
)
from contracts.rules import add_months, month_start
from portal import db
from portal.db import utcnow
from portal.demo import ORGANIZATIONS, find_demo_organization, load_demo
from portal.tenancy import across_tenants, organization_context
from vendors import demo as vendors_demo

#: The stories up to contracts (billing builds on them in its own tests).
CONTRACTS = ("vendors", "contracts")


@pytest.fixture
def demo(app):
    assert load_demo(CONTRACTS) is True
    return {
        demo.key: find_demo_organization(demo)
        for demo in (*ORGANIZATIONS, *vendors_demo.ORGANIZATIONS)
    }


def _contracts(organization) -> dict[str, Contract]:
    with organization_context(organization.id):
        return {
            contract.catalogue_key: contract for contract in db.session.scalars(select(Contract))
        }


def test_three_functions_are_under_active_contract_with_a_year_of_reports(demo):
    contracts = _contracts(demo["northwind"])
    this_month = month_start(utcnow().date())

    assert set(contracts) == {"accounts_payable", "payroll", "general_ledger"}
    assert {contract.status for contract in contracts.values()} == {ContractStatus.ACTIVE}
    assert contracts["accounts_payable"].vendor_organization_id == demo["atlas"].id
    assert contracts["accounts_payable"].tender_id is not None
    assert contracts["general_ledger"].vendor_organization_id == demo["northwind-shared"].id
    with organization_context(demo["northwind"].id):
        for contract in contracts.values():
            live = db.session.scalars(
                select(DeliveryReport.period).where(
                    DeliveryReport.contract_id == contract.id,
                    DeliveryReport.status.in_([ReportStatus.ACCEPTED, ReportStatus.SUBMITTED]),
                )
            ).all()
            assert sorted(live) == [add_months(this_month, -months) for months in range(12, 0, -1)]


def test_the_history_holds_breaches_credits_a_dispute_and_an_amendment(demo):
    contracts = _contracts(demo["northwind"])
    payables = contracts["accounts_payable"]
    with organization_context(demo["northwind"].id):
        outcomes = db.session.scalars(
            select(SlaResult.outcome)
            .join(DeliveryReport)
            .where(DeliveryReport.contract_id == payables.id)
        ).all()
        statuses = db.session.scalars(
            select(DeliveryReport.status).where(DeliveryReport.contract_id == payables.id)
        ).all()
        payroll_credit = db.session.scalar(
            select(func.sum(DeliveryReport.credit_amount)).where(
                DeliveryReport.contract_id == contracts["payroll"].id
            )
        )
    assert SlaOutcome.CRITICAL in outcomes and SlaOutcome.BREACHED in outcomes
    assert ReportStatus.SUPERSEDED in statuses and ReportStatus.SUBMITTED in statuses
    assert len(payables.versions) == 2
    assert payables.versions[1].effective_from > payables.start_date
    assert payroll_credit > 0


def test_the_vendor_sees_only_its_own_contract(demo):
    atlas = _contracts(demo["atlas"])
    meridian = _contracts(demo["meridian"])

    assert set(atlas) == {"accounts_payable"}
    assert meridian == {}


def test_loading_twice_creates_nothing_twice(demo):
    count = db.session.scalar(across_tenants(select(func.count()).select_from(DeliveryReport)))

    assert load_demo(CONTRACTS) is False
    assert (
        db.session.scalar(across_tenants(select(func.count()).select_from(DeliveryReport))) == count
    )

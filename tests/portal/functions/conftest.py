"""Helpers for the register's tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.models import AuditEvent, BackOfficeFunction, Department
from portal.tenancy import organization_context


def function_form(department_id: int, **overrides) -> dict:
    """What a person types to record the reference function (840,000 a year)."""
    data = {
        "catalogue_key": "accounts_payable",
        "name": "Accounts payable",
        "description": "Supplier invoices from receipt to payment.",
        "department_id": str(department_id),
        "currency": "EUR",
        "ftes": "10",
        "annual_cost_per_fte": "60000",
        "annual_overheads": "60000",
        "annual_facilities": "36000",
        "annual_technology": "24000",
        "annual_management": "120000",
        "monthly_volume": "12000",
        "volume_unit": "supplier invoices",
    }
    data.update(overrides)
    return data


@pytest.fixture
def in_org():
    """``in_org(org, statement)``: the rows of a select, read inside ``org``."""

    def _read(org, statement):
        with organization_context(org.id):
            db.session.expire_all()
            return list(db.session.scalars(statement))

    return _read


@pytest.fixture
def functions_of(in_org):
    return lambda org: in_org(org, select(BackOfficeFunction).order_by(BackOfficeFunction.id))


@pytest.fixture
def departments_of(in_org):
    return lambda org: in_org(org, select(Department).order_by(Department.id))


@pytest.fixture
def audit_events_of(in_org):
    return lambda org, action: in_org(
        org, select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )

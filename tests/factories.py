"""Factories for tests: real records through the real models, flushed, not committed."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal

from flask.testing import FlaskClient

from portal import db
from portal.auth.passwords import hash_password
from portal.auth.sessions import start_session
from portal.models import (
    BackOfficeFunction,
    Department,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from portal.tenancy import organization_context

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


@functools.cache
def _password_hash(password: str) -> str:
    # Argon2 is slow on purpose; hash each test password once per session.
    return hash_password(password)


def organization(name: str | None = None, kind: str = "client", **fields) -> Organization:
    number = next(_sequence)
    name = name or f"Organization {number}"
    values = {
        "name": name,
        "slug": f"ORG{number}",
        "kind": OrganizationKind(kind),
        "legal_name": f"{name} SAS",
        "country": "FR",
        "vat_number": f"FR{number:011d}",
        "registration_number": f"{number:09d}",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "default_currency": "EUR",
    }
    values.update(fields)
    record = Organization(**values)
    db.session.add(record)
    db.session.flush()
    return record


def user(email: str | None = None, password: str = PASSWORD, **fields) -> User:
    number = next(_sequence)
    record = User(
        email=(email or f"user{number}@example.test").lower(),
        full_name=fields.pop("full_name", f"User {number}"),
        password_hash=_password_hash(password),
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def member(org: Organization, role: str = "admin", email: str | None = None, **fields) -> User:
    """A user who belongs to ``org`` with ``role``."""
    person = user(email=email, **fields)
    add_membership(org, person, role)
    return person


def add_membership(org: Organization, person: User, role: str = "admin") -> Membership:
    record = Membership(organization_id=org.id, user_id=person.id, role=Role(role))
    db.session.add(record)
    db.session.flush()
    return record


def department(org: Organization, name: str = "Finance", manager: User | None = None) -> Department:
    with organization_context(org.id):
        record = Department(name=name, manager_id=manager.id if manager else None)
        db.session.add(record)
        db.session.flush()
    return record


def function(
    org: Organization, name: str = "Accounts payable", dept: Department | None = None, **fields
) -> BackOfficeFunction:
    dept = dept or department(org, name=f"Department {next(_sequence)}")
    values = {
        "name": name,
        "catalogue_key": None,
        "currency": org.default_currency,
        "ftes": Decimal("10"),
        "annual_cost_per_fte": Decimal("60000"),
        "annual_overheads": Decimal("60000"),
        "annual_facilities": Decimal("36000"),
        "annual_technology": Decimal("24000"),
        "annual_management": Decimal("120000"),
        "monthly_volume": 12000,
        "volume_unit": "supplier invoices",
    }
    values.update(fields)
    with organization_context(org.id):
        record = BackOfficeFunction(department_id=dept.id, **values)
        db.session.add(record)
        db.session.flush()
    return record


def log_in(test_client: FlaskClient, person: User, org: Organization | None) -> FlaskClient:
    """Open a real server-side session for ``person`` and put it in the client's cookie."""
    token = start_session(person, org.id if org else None)
    db.session.flush()
    with test_client.session_transaction() as flask_session:
        flask_session["_user_id"] = token
        flask_session["_fresh"] = True
    return test_client

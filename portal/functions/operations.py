"""Every change to the register of back-office functions goes through here."""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.functions import queries
from portal.functions.catalogue import catalogue_function
from portal.models import BackOfficeFunction, Department, User
from portal.organizations.forms import CURRENCIES
from portal.rules import RuleError

log = logging.getLogger(__name__)

DEPARTMENT_FIELDS = ("name", "manager_id")

#: Every input of a function's baseline, recorded before and after each change.
FUNCTION_FIELDS = (
    "department_id",
    "catalogue_key",
    "name",
    "description",
    "currency",
    "ftes",
    "annual_cost_per_fte",
    "annual_overheads",
    "annual_facilities",
    "annual_technology",
    "annual_management",
    "monthly_volume",
    "volume_unit",
)

_AMOUNT_FIELDS = (
    "ftes",
    "annual_cost_per_fte",
    "annual_overheads",
    "annual_facilities",
    "annual_technology",
    "annual_management",
)

_CENTS = Decimal("0.01")


class RegisterRuleError(RuleError):
    """A change the register of functions refuses."""


def _function_snapshot(function: BackOfficeFunction) -> dict[str, Any]:
    snapshot = audit.snapshot(function, FUNCTION_FIELDS)
    # Amounts as the columns keep them (two places), whether the record was
    # just loaded or built in this session, so before and after compare alike.
    for field in _AMOUNT_FIELDS:
        value = getattr(function, field)
        if value is not None:
            snapshot[field] = str(Decimal(value).quantize(_CENTS, rounding=ROUND_HALF_UP))
    return snapshot


def _flush_unique(message: Any, field: str) -> None:
    """Flush, turning a lost race on a unique name into the same error as the check."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise RegisterRuleError(message, field) from exc


# Departments


def _department_values(data: dict, *, department: Department | None = None) -> dict:
    name = (data.get("name") or "").strip()
    if not name:
        raise RegisterRuleError(_l("Enter the department's name."), "name")
    if queries.department_name_taken(name, except_id=department.id if department else None):
        raise RegisterRuleError(_l("A department with this name already exists."), "name")
    manager_id = data.get("manager_id") or None
    if manager_id is not None and not queries.is_member(manager_id):
        raise RegisterRuleError(
            _l("The manager must be a member of this organization."), "manager_id"
        )
    return {"name": name, "manager_id": manager_id}


def create_department(actor: User, data: dict) -> Department:
    """Add a department to the current organization."""
    department = Department(**_department_values(data))
    db.session.add(department)
    _flush_unique(_l("A department with this name already exists."), "name")
    audit.record(
        "department.created",
        department,
        actor=actor,
        after=audit.snapshot(department, DEPARTMENT_FIELDS),
        summary=department.name,
    )
    log.info("user %s created department %s", actor.id, department.id)
    return department


def update_department(actor: User, department: Department, data: dict) -> Department:
    """Rename a department or change its manager."""
    values = _department_values(data, department=department)
    before = audit.snapshot(department, DEPARTMENT_FIELDS)
    for name, value in values.items():
        setattr(department, name, value)
    _flush_unique(_l("A department with this name already exists."), "name")
    after = audit.snapshot(department, DEPARTMENT_FIELDS)
    if before != after:
        audit.record(
            "department.updated",
            department,
            actor=actor,
            before=before,
            after=after,
            summary=department.name,
        )
    return department


def delete_department(actor: User, department: Department) -> None:
    """Remove a department that no longer holds any function."""
    count = queries.function_count(department)
    if count:
        raise RegisterRuleError(
            _l(
                "%(name)s still holds %(count)s function(s): move or delete them first.",
                name=department.name,
                count=count,
            )
        )
    before = audit.snapshot(department, DEPARTMENT_FIELDS)
    audit.record(
        "department.deleted", department, actor=actor, before=before, summary=department.name
    )
    db.session.delete(department)
    db.session.flush()
    log.info("user %s deleted department %s", actor.id, department.id)


# Functions


def _function_values(data: dict, *, function: BackOfficeFunction | None = None) -> dict:
    name = (data.get("name") or "").strip()
    if not name:
        raise RegisterRuleError(_l("Enter the function's name."), "name")
    if queries.function_name_taken(name, except_id=function.id if function else None):
        raise RegisterRuleError(_l("A function with this name already exists."), "name")
    department_id = data.get("department_id")
    if department_id is None or queries.department_in_organization(department_id) is None:
        raise RegisterRuleError(_l("Choose one of your departments."), "department_id")
    catalogue_key = data.get("catalogue_key") or None
    if catalogue_key is not None and catalogue_function(catalogue_key) is None:
        raise RegisterRuleError(_l("Choose a function from the catalogue."), "catalogue_key")
    currency = data.get("currency")
    if currency not in CURRENCIES:
        raise RegisterRuleError(_l("Choose a currency from the list."), "currency")
    values: dict[str, Any] = {
        "name": name,
        "department_id": department_id,
        "catalogue_key": catalogue_key,
        "description": (data.get("description") or "").strip(),
        "currency": currency,
        "volume_unit": (data.get("volume_unit") or "").strip(),
    }
    for field in _AMOUNT_FIELDS:
        amount = Decimal(data.get(field) if data.get(field) is not None else 0)
        if amount < 0:
            raise RegisterRuleError(_l("Enter zero or more."), field)
        # Two places, as the columns keep them, so audit snapshots compare like with like.
        values[field] = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    volume = int(data.get("monthly_volume") or 0)
    if volume < 0:
        raise RegisterRuleError(_l("Enter zero or more."), "monthly_volume")
    values["monthly_volume"] = volume
    return values


def create_function(actor: User, data: dict) -> BackOfficeFunction:
    """Record a back-office function as it runs in-house, with its cost baseline."""
    function = BackOfficeFunction(**_function_values(data))
    db.session.add(function)
    _flush_unique(_l("A function with this name already exists."), "name")
    audit.record(
        "function.created",
        function,
        actor=actor,
        after=_function_snapshot(function),
        summary=function.name,
    )
    log.info("user %s created function %s", actor.id, function.id)
    return function


def update_function(actor: User, function: BackOfficeFunction, data: dict) -> BackOfficeFunction:
    """Change a function's description or the inputs of its baseline."""
    values = _function_values(data, function=function)
    before = _function_snapshot(function)
    for name, value in values.items():
        setattr(function, name, value)
    _flush_unique(_l("A function with this name already exists."), "name")
    after = _function_snapshot(function)
    if before != after:
        audit.record(
            "function.updated",
            function,
            actor=actor,
            before=before,
            after=after,
            summary=function.name,
        )
    return function


def delete_function(actor: User, function: BackOfficeFunction) -> None:
    """Remove a function from the register."""
    before = _function_snapshot(function)
    try:
        with db.session.begin_nested():
            db.session.delete(function)
            db.session.flush()
    except IntegrityError as exc:
        # Tenders and contracts keep their function (the database refuses the
        # deletion); the register does not know those packages, the refusal says why.
        raise RegisterRuleError(
            _l(
                "%(name)s has tenders or contracts: it stays in the register.",
                name=function.name,
            )
        ) from exc
    audit.record("function.deleted", function, actor=actor, before=before, summary=function.name)
    log.info("user %s deleted function %s", actor.id, function.id)

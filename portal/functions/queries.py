"""Read-only queries of the register: departments, functions, their baselines."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import db
from portal.functions.baseline import Baseline, baseline_of
from portal.models import BackOfficeFunction, Department, Membership, User


@dataclass
class CurrencyTotal:
    """What a group of functions costs in one currency (amounts never mix currencies)."""

    currency: str
    functions: int = 0
    ftes: Decimal = Decimal(0)
    monthly: Decimal = Decimal(0)
    annual: Decimal = Decimal(0)

    def add(self, function: BackOfficeFunction, baseline: Baseline) -> None:
        self.functions += 1
        self.ftes += function.ftes
        # The rounded figures, so a total reads as the sum of the lines above it.
        self.monthly += baseline.monthly
        self.annual += baseline.annual


def _totals_by_currency(rows: list[FunctionRow]) -> list[CurrencyTotal]:
    totals: dict[str, CurrencyTotal] = {}
    for row in rows:
        currency = row.function.currency
        totals.setdefault(currency, CurrencyTotal(currency)).add(row.function, row.baseline)
    return [totals[currency] for currency in sorted(totals)]


@dataclass
class FunctionRow:
    function: BackOfficeFunction
    baseline: Baseline


@dataclass
class DepartmentSection:
    department: Department
    rows: list[FunctionRow] = field(default_factory=list)

    @property
    def totals(self) -> list[CurrencyTotal]:
        return _totals_by_currency(self.rows)


@dataclass
class Register:
    sections: list[DepartmentSection]

    @property
    def rows(self) -> list[FunctionRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def totals(self) -> list[CurrencyTotal]:
        return _totals_by_currency(self.rows)


def register() -> Register:
    """Every department with its functions and their baselines, in three queries."""
    statement = (
        select(Department)
        .options(selectinload(Department.functions), selectinload(Department.manager))
        .order_by(Department.name)
    )
    sections = [
        DepartmentSection(
            department,
            [FunctionRow(function, baseline_of(function)) for function in department.functions],
        )
        for department in db.session.scalars(statement)
    ]
    return Register(sections)


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def members() -> list[User]:
    """The people of the current organization (candidates to manage a department)."""
    statement = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .order_by(User.full_name, User.email)
    )
    # Membership is tenant-owned, so the wall restricts the join to this organization.
    return list(db.session.scalars(statement))


def is_member(user_id: int) -> bool:
    statement = select(func.count(Membership.id)).where(Membership.user_id == user_id)
    return bool(db.session.scalar(statement))


def department_name_taken(name: str, *, except_id: int | None = None) -> bool:
    statement = select(func.count(Department.id)).where(
        func.lower(Department.name) == name.strip().lower()
    )
    if except_id is not None:
        statement = statement.where(Department.id != except_id)
    return bool(db.session.scalar(statement))


def function_name_taken(name: str, *, except_id: int | None = None) -> bool:
    statement = select(func.count(BackOfficeFunction.id)).where(
        func.lower(BackOfficeFunction.name) == name.strip().lower()
    )
    if except_id is not None:
        statement = statement.where(BackOfficeFunction.id != except_id)
    return bool(db.session.scalar(statement))


def department_in_organization(department_id: int) -> Department | None:
    statement = select(Department).where(Department.id == department_id)
    return db.session.scalars(statement).one_or_none()


def function_count(department: Department) -> int:
    statement = select(func.count(BackOfficeFunction.id)).where(
        BackOfficeFunction.department_id == department.id
    )
    return db.session.scalar(statement) or 0

"""Read-only figures for the dashboard: the register's baseline, members, first steps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.functions.baseline import baseline_of
from portal.models import ApiToken, BackOfficeFunction, Department, Invitation, Membership


@dataclass
class BaselineTotal:
    """The register's in-house cost in one currency (currencies are never added up)."""

    currency: str
    functions: int = 0
    monthly: Decimal = Decimal(0)


def baseline_totals() -> list[BaselineTotal]:
    """Number of functions and total monthly in-house baseline, per currency.

    Each function's monthly figure is rounded as the register shows it, then
    summed, so the dashboard and the register always agree to the cent.
    """
    statement = select(BackOfficeFunction).order_by(BackOfficeFunction.id)
    totals: dict[str, BaselineTotal] = {}
    for function in db.session.scalars(statement):
        total = totals.setdefault(function.currency, BaselineTotal(function.currency))
        total.functions += 1
        total.monthly += baseline_of(function).monthly
    return [totals[currency] for currency in sorted(totals)]


def member_count() -> int:
    return db.session.scalar(select(func.count(Membership.id))) or 0


def pending_invitation_count() -> int:
    statement = select(func.count(Invitation.id)).where(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )
    return db.session.scalar(statement) or 0


@dataclass(frozen=True)
class FirstSteps:
    """What a new organization has done yet; the dashboard lists what is left."""

    has_department: bool
    has_function: bool
    has_colleague: bool
    has_api_token: bool


def first_steps(*, is_client: bool) -> FirstSteps:
    # The existence checks go through the ORM so the tenancy wall scopes them.
    def has(model, *criteria) -> bool:
        statement = select(model.id).where(*criteria).limit(1)
        return db.session.scalar(statement) is not None

    invited = has(Invitation, Invitation.revoked_at.is_(None))
    return FirstSteps(
        has_department=is_client and has(Department),
        has_function=is_client and has(BackOfficeFunction),
        has_colleague=member_count() > 1 or invited,
        has_api_token=has(ApiToken),
    )

"""Read-only lookups of members and invitations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from portal import db, tenancy
from portal.db import utcnow
from portal.models import Invitation, Membership, User
from portal.pagination import Page, paginate
from portal.tokens import token_hash


def members_page(number: int | None, per_page: int | None = None) -> Page:
    """One page of the current organization's members, people loaded in the same query."""
    statement = (
        select(Membership)
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .order_by(func.lower(User.full_name), Membership.id)
    )
    return paginate(statement, number, per_page)


def pending_invitations() -> list[Invitation]:
    """The current organization's invitations not yet accepted nor revoked (expired included)."""
    statement = (
        select(Invitation)
        .options(joinedload(Invitation.invited_by))
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return list(db.session.scalars(statement))


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation behind an e-mailed link, whichever organization sent it."""
    statement = (
        select(Invitation)
        .options(joinedload(Invitation.organization))
        .where(Invitation.token_hash == token_hash(token))
    )
    return db.session.scalars(tenancy.across_tenants(statement)).one_or_none()


def invitation_status(invitation: Invitation | None) -> str:
    """``unknown``, ``revoked``, ``accepted``, ``expired`` or ``pending``."""
    if invitation is None:
        return "unknown"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.accepted_at is not None:
        return "accepted"
    return "expired" if invitation.expires_at <= utcnow() else "pending"


def user_with_email(email: str) -> User | None:
    return db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).one_or_none()

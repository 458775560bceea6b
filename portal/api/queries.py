"""Read-only queries behind the API's portal endpoints and the token pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from portal.models import ApiToken, BackOfficeFunction, Membership


def members() -> Select:
    """The current organization's members, oldest first."""
    return (
        select(Membership)
        .options(joinedload(Membership.user))
        .order_by(Membership.created_at, Membership.id)
    )


def functions() -> Select:
    """The current organization's back-office functions, by name."""
    return (
        select(BackOfficeFunction)
        .options(joinedload(BackOfficeFunction.department))
        .order_by(BackOfficeFunction.name, BackOfficeFunction.id)
    )


def api_tokens() -> Select:
    """The current organization's API tokens, newest first, revoked ones included."""
    return (
        select(ApiToken)
        .options(joinedload(ApiToken.created_by))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )

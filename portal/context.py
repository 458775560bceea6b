"""Per-request context: the logged-in user, their membership, the current organization.

The current organization is resolved here once per request, from the
server-side session (the organization the user last switched to) and the
user's membership in it, never from a header or a form field. The API
resolves it from its token instead (``portal.api.auth``).
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from portal import db, tenancy
from portal.auth.sessions import load_session_user
from portal.extensions import login_manager
from portal.models import Membership, Organization


def memberships_of(user_id: int) -> list[Membership]:
    """Every membership of a user, across organizations (for the switcher)."""
    statement = (
        select(Membership)
        .join(Membership.organization)
        .options(contains_eager(Membership.organization))
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    )
    return list(db.session.scalars(tenancy.across_tenants(statement)))


def membership_in(user_id: int, organization_id: int) -> Membership | None:
    statement = (
        select(Membership)
        .options(joinedload(Membership.organization))
        .where(Membership.user_id == user_id, Membership.organization_id == organization_id)
    )
    return db.session.scalars(tenancy.across_tenants(statement)).one_or_none()


def _resolve_organization() -> None:
    g.membership = None
    g.organization = None
    g.actor = None
    tenancy.set_current_organization(None)
    if request.blueprint == "api" or request.endpoint == "static":
        return
    if not current_user.is_authenticated:
        return
    g.actor = current_user._get_current_object()
    user_session = g.user_session
    membership = None
    if user_session.organization_id is not None:
        membership = membership_in(current_user.id, user_session.organization_id)
    if membership is None:
        # First request after login, or removed from the organization the
        # session acted for: fall back to another membership, if any.
        memberships = memberships_of(current_user.id)
        preferred = [
            m for m in memberships if m.organization_id == current_user.last_organization_id
        ]
        membership = (preferred or memberships or [None])[0]
        user_session.organization_id = membership.organization_id if membership else None
    if membership is not None:
        g.membership = membership
        g.organization = membership.organization
        tenancy.set_current_organization(membership.organization_id)


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session is the protection

    app.before_request(_resolve_organization)

    @app.context_processor
    def _layout_helpers() -> dict:
        from portal.notifications.service import unread_count
        from portal.roles import role_label

        def organization_memberships() -> list[Membership]:
            return memberships_of(current_user.id) if current_user.is_authenticated else []

        def unread_notification_count() -> int:
            return unread_count(current_user.id) if g.get("organization") else 0

        return {
            "organization_memberships": organization_memberships,
            "unread_notification_count": unread_notification_count,
            "role_label": role_label,
        }

    @app.teardown_request
    def _forget_organization(_exc: BaseException | None) -> None:
        tenancy.set_current_organization(None)

"""Helpers for the organization tests: reading records back, e-mailed links, SQL counts."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import db, mail
from portal.db import utcnow
from portal.models import AuditEvent, Invitation, Membership, Role, User, UserSession
from portal.tenancy import across_tenants, organization_context


def _id(record_or_id) -> int:
    # After a request answering 4xx, the test's objects are expired and detached:
    # tests keep ids instead.
    return record_or_id if isinstance(record_or_id, int) else record_or_id.id


def members_of(org) -> list[Membership]:
    with organization_context(_id(org)):
        return list(db.session.scalars(select(Membership)))


def add_members(org, count: int, name: str = "Member") -> None:
    """``count`` viewers at once (no password hashing: they never log in)."""
    for number in range(count):
        person = User(
            email=f"{name.lower()}{number}.{secrets.token_hex(4)}@example.test",
            full_name=f"{name} {number:02d}",
            password_hash="not-a-usable-hash",
        )
        db.session.add(person)
        db.session.flush()
        db.session.add(Membership(organization_id=_id(org), user_id=person.id, role=Role.VIEWER))
    db.session.flush()


def memberships_of(user_id: int) -> list[Membership]:
    statement = select(Membership).where(Membership.user_id == user_id)
    return list(db.session.scalars(across_tenants(statement)))


def membership(org, user) -> Membership | None:
    with organization_context(_id(org)):
        return db.session.scalars(
            select(Membership).where(Membership.user_id == _id(user))
        ).one_or_none()


def invitations(org) -> list[Invitation]:
    with organization_context(_id(org)):
        return list(db.session.scalars(select(Invitation).order_by(Invitation.id)))


def audit_actions(org) -> list[str]:
    with organization_context(_id(org)):
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def audit_event(org, action: str) -> AuditEvent:
    with organization_context(_id(org)):
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
        ).first()


def invitation_path(to: str) -> str:
    """The path of the invitation link in the last e-mail sent to ``to``."""
    for message in reversed(mail.outbox):
        if message["To"] == to:
            match = re.search(r"http://relais\.test(/invitations/[\w-]+)", message.get_content())
            if match:
                return match.group(1)
    raise AssertionError(f"no invitation e-mail to {to}")


def make_stale(user_session: UserSession) -> None:
    """Pretend the password was last typed long ago in this session."""
    user_session.authenticated_at = utcnow() - timedelta(hours=2)
    db.session.flush()


@pytest.fixture
def text():
    """The body of a response as text."""
    return lambda response: response.get_data(as_text=True)

"""Read-only lookups of the accounts part."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import EmailChangeRequest, PasswordResetToken, User
from portal.tokens import token_hash


def user_by_email(email: str) -> User | None:
    normalized = (email or "").strip().lower()
    if not normalized:
        return None
    return db.session.scalars(select(User).where(User.email == normalized)).one_or_none()


def usable_reset_token(token: str) -> PasswordResetToken | None:
    """The reset token behind ``token`` if it is unused, unexpired and its account active."""
    record = db.session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    ).one_or_none()
    if record is None or record.used_at is not None or not record.user.is_active_account:
        return None
    return record if record.expires_at > utcnow() else None


def usable_email_change(token: str) -> EmailChangeRequest | None:
    """The e-mail change behind ``token`` if it is unused, unexpired and its account active."""
    record = db.session.scalars(
        select(EmailChangeRequest).where(EmailChangeRequest.token_hash == token_hash(token))
    ).one_or_none()
    if record is None or record.used_at is not None or not record.user.is_active_account:
        return None
    return record if record.expires_at > utcnow() else None


def pending_email_change(user_id: int) -> EmailChangeRequest | None:
    """The person's e-mail change still waiting for confirmation, if any."""
    return db.session.scalars(
        select(EmailChangeRequest)
        .where(
            EmailChangeRequest.user_id == user_id,
            EmailChangeRequest.used_at.is_(None),
            EmailChangeRequest.expires_at > utcnow(),
        )
        .order_by(EmailChangeRequest.created_at.desc(), EmailChangeRequest.id.desc())
        .limit(1)
    ).one_or_none()

"""Read-only lookups of the accounts part."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import PasswordResetToken, User
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

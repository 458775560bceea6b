"""Server-side login sessions.

The signed cookie carries only a random token; the row in ``user_sessions``
is the truth. Logging out, changing the password or being removed from an
organization revokes rows, so a replayed old cookie is refused.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user, login_user
from sqlalchemy import select, update

from portal import db
from portal.db import utcnow
from portal.models import User, UserSession
from portal.tokens import new_token, token_hash

#: How stale ``last_seen_at`` may get before a request refreshes it.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def start_session(user: User, organization_id: int | None) -> str:
    """Open a new server-side session for ``user`` and return its token."""
    token = new_token()
    days = current_app.config["PERMANENT_SESSION_LIFETIME_DAYS"]
    row = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(days=days),
        organization_id=organization_id,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string[:300] if has_request_context() else None),
    )
    db.session.add(row)
    db.session.flush()
    user.current_session_token = token
    g.user_session = row
    return token


def load_session_user(token: str) -> User | None:
    """Flask-Login's loader: the user of a live session, or None."""
    row = db.session.scalars(
        select(UserSession).where(
            UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None or row.expires_at <= utcnow() or not row.user.is_active_account:
        return None
    now = utcnow()
    if row.last_seen_at <= now - LAST_SEEN_RESOLUTION:
        # At most one write a minute per session, not one per request.
        row.last_seen_at = now
        if has_request_context():
            row.ip_address = request.remote_addr
    row.user.current_session_token = token
    g.user_session = row
    return row.user


def log_in(user: User, organization_id: int | None, *, remember: bool = False) -> None:
    """Start a new server-side session for ``user`` and put it in fresh cookies.

    Whatever the browser held before (a session planted by someone else, the
    previous login's token) is discarded: the Flask session is cleared and the
    previous server-side session revoked, so no session fixation survives login.
    """
    previous = g.get("user_session") if current_user.is_authenticated else None
    if previous is not None:
        revoke_session(previous)
    session.clear()
    start_session(user, organization_id)
    days = current_app.config["REMEMBER_COOKIE_DURATION_DAYS"]
    login_user(user, remember=remember, duration=timedelta(days=days), fresh=True)


def active_sessions(user_id: int) -> list[UserSession]:
    """The user's live sessions, most recently seen first."""
    statement = (
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(statement))


def is_fresh(row: UserSession) -> bool:
    minutes = current_app.config["FRESH_LOGIN_MINUTES"]
    return row.authenticated_at >= utcnow() - timedelta(minutes=minutes)


def revoke_session(row: UserSession) -> None:
    row.revoked_at = utcnow()


def revoke_sessions(
    user_id: int, *, organization_id: int | None = None, keep: UserSession | None = None
) -> None:
    """End the user's sessions (those acting for ``organization_id`` only, if given)."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if organization_id is not None:
        statement = statement.where(UserSession.organization_id == organization_id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    db.session.execute(statement.values(revoked_at=utcnow()))

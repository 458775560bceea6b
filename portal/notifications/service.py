"""The one way to tell people something: an in-app notification plus an e-mail.

A notification belongs to one user in one organization; reading it is the
recipient's own business, so marking it read is not written to the audit log
(it changes no organization data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from sqlalchemy import func, select, update

from portal import db, tenancy
from portal.db import utcnow
from portal.mail import send_email
from portal.models import Membership, Notification, Role, User

log = logging.getLogger(__name__)


def notify(
    recipients: Iterable[User],
    kind: str,
    title,
    body="",
    link: str | None = None,
    *,
    email: bool = True,
) -> list[Notification]:
    """Notify each recipient in the current organization, in their own language.

    ``title`` and ``body`` are lazy strings (``lazy_gettext``) so that each
    recipient reads them in the language they chose.
    """
    created = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        with force_locale(user.locale):
            title_text, body_text = str(title), str(body)
        notification = Notification(
            user_id=user.id, kind=kind, title=title_text[:300], body=body_text, link=link
        )
        db.session.add(notification)
        created.append(notification)
        if email:
            url = current_app.config["BASE_URL"].rstrip("/") + link if link else ""
            send_email(user.email, title_text, "\n\n".join(p for p in (body_text, url) if p))
    log.info("notified %d user(s) of %s", len(created), kind)
    return created


def link_to(endpoint: str, **values) -> str:
    """A notification's link: the page's path, in a request or not (CLI jobs have none)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def members_of(organization_id: int, roles: Iterable[Role]) -> list[User]:
    """The active members of an organization holding one of ``roles``."""
    statement = tenancy.across_tenants(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.role.in_(list(roles)),
            User.is_active_account.is_(True),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(statement))


def notify_organization(
    organization_id: int, roles: Iterable[Role], kind: str, title, body="", link=None
) -> list[Notification]:
    """Notify the members of another (or this) organization who hold ``roles``.

    The notifications belong to that organization, so each recipient reads
    them when working in it.
    """
    recipients = members_of(organization_id, roles)
    with tenancy.organization_context(organization_id):
        return notify(recipients, kind, title, body, link)


def unread_count(user_id: int) -> int:
    statement = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return db.session.scalar(statement) or 0


def notifications_of(user_id: int):
    """The user's notifications in the current organization, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def latest_notifications(user_id: int, limit: int = 5) -> list[Notification]:
    return list(db.session.scalars(notifications_of(user_id).limit(limit)))


def mark_read(notification: Notification) -> None:
    """Mark one of the user's notifications read (reading twice keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        log.info("user %s read notification %s", notification.user_id, notification.id)


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user in the current organization read."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    count = db.session.execute(statement).rowcount or 0
    log.info("user %s marked %d notification(s) read", user_id, count)
    return count


def safe_link(link: str | None) -> str | None:
    """The link if it stays inside the portal (a relative path), else None.

    Links are written by the portal itself, but a notification must never turn
    into an open redirect, so anything with a scheme or a host is refused.
    """
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in link):
        return None
    return link

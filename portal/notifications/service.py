"""The one way to tell people something: an in-app notification plus an e-mail."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from portal import db
from portal.mail import send_email
from portal.models import Notification, User

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


def unread_count(user_id: int) -> int:
    statement = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return db.session.scalar(statement) or 0

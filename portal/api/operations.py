"""Creating and revoking API tokens."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from portal import audit, db
from portal.db import utcnow
from portal.models import ApiToken, Role, User
from portal.tokens import new_token, token_hash

log = logging.getLogger(__name__)

#: Marks Relais tokens, so secret scanners and people recognise a leaked one.
TOKEN_PREFIX = "rls_"  # noqa: S105 - a public marker, not a secret
#: Characters of the token kept in clear to tell tokens apart.
SHOWN_PREFIX_LENGTH = 12
AUDITED_FIELDS = ("name", "prefix", "role", "revoked_at")


class TokenNameTaken(ValueError):
    """An active token of the organization already has this name."""


def create_api_token(actor: User, data: dict) -> tuple[ApiToken, str]:
    """Create a token in the current organization; return it with its secret.

    The secret is returned once, to be shown once: only its SHA-256 is kept.
    Active tokens have distinct names, which also makes a form sent twice
    (a double click, a reload of the answer) create one token, not two.
    """
    name = data["name"].strip()
    taken = db.session.scalar(
        select(ApiToken.id).where(
            func.lower(ApiToken.name) == name.lower(), ApiToken.revoked_at.is_(None)
        )
    )
    if taken is not None:
        raise TokenNameTaken(name)
    secret = TOKEN_PREFIX + new_token()
    record = ApiToken(
        name=name,
        role=Role(data["role"]),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        token_hash=token_hash(secret),
        created_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "api_token.created",
        record,
        actor=actor,
        after=audit.snapshot(record, AUDITED_FIELDS),
        summary=record.name,
    )
    log.info("user %s created API token %s", actor.id, record.id)
    return record, secret


def revoke_api_token(actor: User, record: ApiToken) -> bool:
    """Revoke a token for good; False when it already was."""
    if record.revoked_at is not None:
        return False
    before = audit.snapshot(record, AUDITED_FIELDS)
    record.revoked_at = utcnow()
    audit.record(
        "api_token.revoked",
        record,
        actor=actor,
        before=before,
        after=audit.snapshot(record, AUDITED_FIELDS),
        summary=record.name,
    )
    log.info("user %s revoked API token %s", actor.id, record.id)
    return True

"""The one audit call: every state change goes through ``record``."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import g, has_request_context, request

from portal import db, tenancy
from portal.models import AuditEvent

log = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def snapshot(record: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a record, as the audit log stores them."""
    return {name: _jsonable(getattr(record, name)) for name in fields}


def record(
    action: str,
    target: Any,
    *,
    actor: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
    organization_id: int | None = None,
) -> AuditEvent:
    """Write one audit event in the current organization (or the one given).

    An event written in another organization's log (the other party of a
    tender or contract) keeps who acted but not their address or token.

    ``actor`` defaults to the logged-in user; API calls also record their token.
    """
    if actor is None and has_request_context():
        actor = getattr(g, "actor", None)
    api_token = getattr(g, "api_token", None) if has_request_context() else None
    if getattr(target, "id", 0) is None:
        db.session.flush()  # a record created by this change gets its id first
    event = AuditEvent(
        action=action,
        target_type=type(target).__name__,
        target_id=getattr(target, "id", None),
        actor_id=getattr(actor, "id", None),
        api_token_id=getattr(api_token, "id", None),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        summary=summary[:300],
        ip_address=request.remote_addr if has_request_context() else None,
    )
    if organization_id is not None:
        event.organization_id = organization_id
        if organization_id != tenancy.current_organization_id():
            # Written in the other party's log (a vendor told of an award):
            # this side's network address and API token are not theirs to read.
            event.ip_address = None
            event.api_token_id = None
    db.session.add(event)  # without organization_id, it takes the current one
    log.info("audit %s %s:%s by %s", action, event.target_type, event.target_id, event.actor_id)
    return event


def record_for_parties(action: str, target: Any, organization_ids, **fields) -> list[AuditEvent]:
    """Write the same event in the log of each party of a shared record (a contract's,
    a report's or an invoice's client and vendor); see ``record`` for the fields."""
    return [
        record(action, target, organization_id=organization_id, **fields)
        for organization_id in organization_ids
    ]

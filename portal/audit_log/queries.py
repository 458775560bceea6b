"""Read-only queries of the audit log: the filtered list, its choices, the CSV rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from portal import db
from portal.models import ApiToken, AuditEvent, Membership, User


@dataclass(frozen=True)
class AuditFilters:
    """What the admin narrowed the log to; datetimes are UTC, ``until`` excluded."""

    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


def day_start_utc(day: date, zone: str) -> datetime:
    """The UTC instant at which ``day`` begins for someone living in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def period_in_utc(
    first_day: date | None, last_day: date | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """Turn a range of whole days in the reader's zone into [since, until) in UTC.

    A day at the very edge of the calendar (0001-01-01, 9999-12-31) has no
    instant on the other side of it: the period is simply open at that end.
    """
    try:
        since = day_start_utc(first_day, zone) if first_day else None
    except OverflowError:
        since = None
    try:
        until = day_start_utc(last_day + timedelta(days=1), zone) if last_day else None
    except OverflowError:
        until = None
    return since, until


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def events(filters: AuditFilters) -> Select:
    """The organization's audit events matching ``filters``, newest first."""
    statement = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.actor_id:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.target_type:
        statement = statement.where(AuditEvent.target_type == filters.target_type)
    if filters.since:
        statement = statement.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        statement = statement.where(AuditEvent.occurred_at < filters.until)
    if filters.text:
        pattern = f"%{_escape_like(filters.text.strip())}%"
        statement = statement.where(AuditEvent.summary.ilike(pattern, escape="\\"))
    return statement.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def latest_events(limit: int = 5) -> list[AuditEvent]:
    return list(db.session.scalars(events(AuditFilters()).limit(limit)))


def actions_in_log() -> list[str]:
    statement = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return list(db.session.scalars(statement))


def target_types_in_log() -> list[str]:
    statement = select(AuditEvent.target_type).distinct().order_by(AuditEvent.target_type)
    return list(db.session.scalars(statement))


def members() -> list[User]:
    """The organization's members, by name, for the actor filter."""
    statement = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .order_by(User.full_name, User.email)
    )
    return list(db.session.scalars(statement))


def token_prefixes(audit_events: Iterable[AuditEvent]) -> dict[int, str]:
    """The prefix of each API token that acted in ``audit_events``, in one query."""
    token_ids = {event.api_token_id for event in audit_events if event.api_token_id}
    if not token_ids:
        return {}
    statement = select(ApiToken.id, ApiToken.prefix).where(ApiToken.id.in_(token_ids))
    return dict(db.session.execute(statement).tuples().all())


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """The fields whose value differs between ``before`` and ``after``.

    A creation has only ``after`` and a deletion only ``before``: every field
    they name is a change (from or to nothing).
    """
    before, after = before or {}, after or {}
    fields = list(before) + [name for name in after if name not in before]
    return [
        Change(name, before.get(name), after.get(name))
        for name in fields
        if name not in before or name not in after or before[name] != after[name]
    ]


CSV_COLUMNS = (
    "occurred_at",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "summary",
    "before",
    "after",
    "ip_address",
)

#: A cell starting with one of these is a formula to a spreadsheet (OWASP's list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Defuse text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _json(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def csv_rows(
    filters: AuditFilters, session: Session | None = None, batch_size: int = 500
) -> Iterator[list[Any]]:
    """The export rows, read from the database in batches rather than all at once."""
    statement = events(filters).execution_options(yield_per=batch_size)
    for event in (session or db.session).scalars(statement):
        row = [
            event.occurred_at.isoformat(timespec="seconds"),
            event.actor.email if event.actor else "",
            event.action,
            event.target_type,
            event.target_id if event.target_id is not None else "",
            event.summary,
            _json(event.before),
            _json(event.after),
            event.ip_address or "",
        ]
        yield [spreadsheet_safe(cell) for cell in row]

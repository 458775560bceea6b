"""Closing tenders at their deadline: ``close_due_tenders`` and ``flask tenders close-due``.

Both run outside any request, as cron runs them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import organization_context
from vendors.models import Tender, TenderStatus
from vendors.operations import tenders as ops


def events(org, action: str) -> list[AuditEvent]:
    statement = tenancy.across_tenants(
        select(AuditEvent)
        .where(AuditEvent.organization_id == org.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(statement))


def notified(person, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == person.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(tenancy.across_tenants(statement)))


def stored_status(tender) -> TenderStatus:
    db.session.expire_all()
    statement = tenancy.across_tenants(select(Tender.status).where(Tender.id == tender.id))
    return db.session.scalar(statement)


def test_close_due_closes_past_deadlines_once(make, client_org, vendor_org):
    manager = make.member(client_org, "procurement")
    viewer = make.member(client_org, "viewer")
    creator = make.member(client_org, "finance")
    due = make.tender(
        client_org,
        status="published",
        bid_deadline=utcnow() - timedelta(minutes=5),
        created_by_id=creator.id,
    )
    future = make.tender(client_org, status="published")
    draft = make.tender(client_org, bid_deadline=utcnow() - timedelta(days=1))
    now = utcnow()
    assert [t.id for t in ops.close_due_tenders(now)] == [due.id]
    db.session.expire_all()
    assert due.status == TenderStatus.CLOSED
    assert due.closed_at == now
    assert future.status == TenderStatus.PUBLISHED
    assert draft.status == TenderStatus.DRAFT
    [event] = events(client_org, "tender.closed")
    assert event.target_id == due.id
    assert event.actor_id is None
    assert len(notified(manager, "tender.closed")) == 1
    assert len(notified(creator, "tender.closed")) == 1
    assert notified(viewer) == []
    # A second run finds nothing and changes nothing.
    assert ops.close_due_tenders() == []
    assert len(events(client_org, "tender.closed")) == 1
    assert len(notified(manager, "tender.closed")) == 1
    assert tenancy.current_organization_id() is None


def test_closing_follows_the_deadline_not_the_clock_of_the_status(make, client_org):
    tender = make.tender(client_org, status="published")
    now = utcnow()
    assert tender.phase(now) == TenderStatus.PUBLISHED
    assert tender.phase(tender.bid_deadline) == TenderStatus.CLOSED
    assert ops.close_due_tenders(now) == []
    with organization_context(client_org.id):
        stored = db.session.scalars(select(Tender).where(Tender.id == tender.id)).one()
    assert stored.status == TenderStatus.PUBLISHED


def test_the_cli_command_closes_due_tenders_and_a_second_run_changes_nothing(app, make, client_org):
    manager = make.member(client_org, "admin")
    due = make.tender(client_org, status="published", bid_deadline=utcnow() - timedelta(seconds=1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tenders", "close-due"])
    assert first.exit_code == 0, first.output
    assert f"closed tender {due.id}" in first.output
    assert stored_status(due) == TenderStatus.CLOSED
    second = runner.invoke(args=["tenders", "close-due"])
    assert second.exit_code == 0, second.output
    assert "0 tender(s) closed" in second.output
    assert len(events(client_org, "tender.closed")) == 1
    [notification] = notified(manager, "tender.closed")
    assert notification.link == f"/tenders/{due.id}"

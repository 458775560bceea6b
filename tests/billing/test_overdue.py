"""Overdue invoices: computed from dates on the pages; both parties told once by
``flask billing run-due``, which is safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from billing.models import Invoice, InvoiceKind, InvoiceStatus, LineKind
from billing.operations.overdue import notify_overdue_invoices
from billing.queries.lists import is_overdue
from contracts.models import VatTreatment
from portal import db
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context

TODAY = utcnow().date()
LONG_AGO = TODAY - timedelta(days=90)


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def people(make, client_org, vendor_org):
    """The client's payables (finance) and the vendor's receivables (finance) people."""
    return (
        make.member(client_org, "finance", email="payables@northwind.test"),
        make.member(vendor_org, "finance", email="receivables@atlas.test"),
    )


def _set(invoice, **values):
    with organization_context(invoice.vendor_organization_id):
        for name, value in values.items():
            setattr(invoice, name, value)
        db.session.flush()
    return invoice


def _reload(invoice):
    db.session.expire(invoice)
    with organization_context(invoice.vendor_organization_id):
        db.session.refresh(invoice)
    return invoice


def _told() -> list[tuple[int, str]]:
    statement = across_tenants(
        select(Notification.user_id, Notification.title)
        .where(Notification.kind == "invoice.overdue")
        .order_by(Notification.id)
    )
    return [tuple(row) for row in db.session.execute(statement).all()]


def _run(app) -> str:
    result = app.test_cli_runner().invoke(args=["billing", "run-due"])
    assert result.exit_code == 0, result.output
    return result.output


def test_both_parties_are_told_once(app, make, contract, people, client_org, vendor_org):
    payables, receivables = people
    late = make.invoice(contract, status="issued", issue_date=LONG_AGO)

    first = _run(app)
    second = _run(app)

    assert "1 overdue invoice(s) notified" in first
    assert "0 overdue invoice(s) notified" in second
    told = _told()
    assert sorted(user for user, _title in told) == sorted(
        [payables.id, receivables.id, *_admins(client_org, vendor_org)]
    )
    assert all(title == f"Invoice overdue: {late.number}" for _user, title in told)
    assert _reload(late).overdue_notified_at is not None
    events = db.session.scalars(
        across_tenants(
            select(AuditEvent.organization_id).where(
                AuditEvent.action == "invoice.overdue", AuditEvent.target_id == late.id
            )
        )
    ).all()
    assert sorted(events) == sorted([client_org.id, vendor_org.id])


def _admins(*organizations) -> list[int]:
    from portal.models import Membership, Role

    statement = across_tenants(
        select(Membership.user_id).where(
            Membership.organization_id.in_([org.id for org in organizations]),
            Membership.role == Role.ADMIN,
        )
    )
    return list(db.session.scalars(statement))


def test_only_invoices_past_due_with_money_expected_are_told(make, contract, client_org):
    late = make.invoice(contract, status="issued", issue_date=LONG_AGO)
    approved_late = make.invoice(contract, status="approved", issue_date=LONG_AGO)
    not_due = make.invoice(contract, status="issued", issue_date=TODAY)
    paid = _set(
        make.invoice(contract, status="issued", issue_date=LONG_AGO),
        status=InvoiceStatus.PAID,
    )
    credited = _set(
        make.invoice(contract, status="issued", issue_date=LONG_AGO),
        amount_credited=Decimal("48000.00"),
    )
    note = make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=late.id,
        status="issued",
        issue_date=LONG_AGO,
        due_date=LONG_AGO,
        lines=[(LineKind.CREDIT, "Rate corrected", 1, "10")],
    )
    draft = make.invoice(contract, due_date=LONG_AGO)
    captive = make.contract(
        client_org, make.organization(kind="vendor"), vat_treatment=VatTreatment.INTERNAL
    )
    chargeback = make.invoice(captive, status="issued", issue_date=LONG_AGO)

    told = notify_overdue_invoices(utcnow())

    assert told == 2
    flagged = set(
        db.session.scalars(
            across_tenants(select(Invoice.id).where(Invoice.overdue_notified_at.is_not(None)))
        )
    )
    assert flagged == {late.id, approved_late.id}
    for record in (not_due, paid, credited, note, draft, chargeback):
        assert not is_overdue(_reload(record), TODAY)


def test_an_invoice_becomes_overdue_the_day_after_its_due_date(app, make, contract, people):
    invoice = make.invoice(contract, status="issued", issue_date=TODAY)
    due = invoice.due_date

    with freeze_time(datetime(due.year, due.month, due.day, 12, tzinfo=UTC)):
        assert notify_overdue_invoices(utcnow()) == 0
        assert not is_overdue(invoice, utcnow().date())
    with freeze_time(datetime(due.year, due.month, due.day, 12, tzinfo=UTC) + timedelta(days=1)):
        assert is_overdue(invoice, utcnow().date())
        assert "1 overdue invoice(s) notified" in _run(app)
        assert "0 overdue invoice(s) notified" in _run(app)


def test_a_partly_paid_invoice_past_due_is_overdue_for_its_balance(make, contract, people):
    late = make.invoice(contract, status="issued", issue_date=LONG_AGO)
    _set(late, amount_paid=Decimal("40000.00"))

    assert notify_overdue_invoices(utcnow()) == 1

    bodies = db.session.scalars(
        across_tenants(select(Notification.body).where(Notification.kind == "invoice.overdue"))
    ).all()
    assert bodies and all("8000.00 EUR" in body for body in bodies)


def test_the_invoice_page_shows_the_overdue_badge_to_both(
    make, contract, as_client_admin, as_vendor_admin
):
    late = make.invoice(contract, status="issued", issue_date=LONG_AGO)
    current = make.invoice(contract, status="issued", issue_date=TODAY)

    for browser in (as_client_admin, as_vendor_admin):
        assert 'data-testid="overdue"' in browser.get(f"/invoices/{late.id}").get_data(as_text=True)
        assert 'data-testid="overdue"' not in browser.get(f"/invoices/{current.id}").get_data(
            as_text=True
        )

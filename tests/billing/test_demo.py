"""The demo's invoices: a year of them in every state, issued for real, behind the wall."""

from __future__ import annotations

import facturx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from portal import db
from portal.db import utcnow
from portal.demo import ORGANIZATIONS, find_demo_organization, load_demo
from portal.models import Notification
from portal.tenancy import across_tenants, organization_context
from vendors import demo as vendors_demo


@pytest.fixture
def demo(app):
    assert load_demo() is True
    return {
        demo.key: find_demo_organization(demo)
        for demo in (*ORGANIZATIONS, *vendors_demo.ORGANIZATIONS)
    }


def test_a_year_of_invoices_in_every_state_with_credit_notes(demo):
    """One test, as the whole demo takes seconds to load (each invoice is printed)."""
    _every_issued_invoice_is_a_valid_factur_x(demo)
    _history_is_not_news_and_loading_twice_creates_nothing_twice()
    with organization_context(demo["northwind"].id):
        received = db.session.scalars(select(Invoice)).all()
    statuses = {invoice.status for invoice in received if invoice.kind is InvoiceKind.INVOICE}
    credit_notes = [invoice for invoice in received if invoice.kind is InvoiceKind.CREDIT_NOTE]

    assert {
        InvoiceStatus.ISSUED,
        InvoiceStatus.APPROVED,
        InvoiceStatus.DISPUTED,
        InvoiceStatus.PAID,
        InvoiceStatus.SETTLED,
    } <= statuses
    assert len(credit_notes) == 2
    # The client never sees the vendor's draft; the vendor does.
    assert InvoiceStatus.DRAFT not in statuses
    with organization_context(demo["clairval"].id):
        drafts = db.session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.DRAFT)
        ).all()
    assert len(drafts) == 1
    overdue = [
        invoice
        for invoice in received
        if invoice.due_date and invoice.due_date < utcnow().date() and invoice.balance_due > 0
    ]
    assert overdue


def _every_issued_invoice_is_a_valid_factur_x(demo):
    with organization_context(demo["atlas"].id):
        invoices = db.session.scalars(
            select(Invoice)
            .where(Invoice.number.is_not(None))
            .options(undefer(Invoice.pdf))
            .order_by(Invoice.id)
        ).all()
    assert len(invoices) == 12  # eleven months and a credit note
    numbers = [invoice.number for invoice in invoices]
    assert len(set(numbers)) == len(numbers)
    _filename, xml = facturx.get_xml_from_pdf(invoices[-1].pdf, check_xsd=True)
    assert invoices[-1].number.encode() in xml


def _history_is_not_news_and_loading_twice_creates_nothing_twice():
    count = db.session.scalar(across_tenants(select(func.count()).select_from(Invoice)))

    assert db.session.scalar(across_tenants(select(func.count()).select_from(Notification))) == 0
    assert load_demo() is False
    assert db.session.scalar(across_tenants(select(func.count()).select_from(Invoice))) == count

"""Issuing an invoice: its number, dates, parties and documents, frozen for good."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import facturx
import pytest
from sqlalchemy import select

from billing.models import ImmutableInvoiceError, InvoiceCounter, InvoiceStatus, LineKind
from billing.operations import invoices as operations
from contracts.models import VatTreatment
from portal import db
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context

DAY = date(2026, 4, 3)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "admin")


@pytest.fixture
def client_finance(make, client_org):
    return make.member(client_org, "finance")


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org, payment_terms_days=45)


def issue(actor, invoice, day=DAY):
    with organization_context(invoice.vendor_organization_id):
        return operations.issue_invoice(actor, invoice, today=day)


def test_issue_numbers_dates_and_freezes_the_invoice(
    make, vendor_admin, contract, vendor_org, client_org
):
    vendor_org.legal_form = "SAS"
    vendor_org.share_capital = Decimal("150000")
    invoice = make.invoice(contract)

    issued = issue(vendor_admin, invoice)

    assert issued.status is InvoiceStatus.ISSUED
    assert issued.number == f"{vendor_org.slug}-2026-00001"
    assert issued.issue_date == DAY
    assert issued.due_date == DAY + timedelta(days=45)
    assert issued.issued_by_id == vendor_admin.id
    assert issued.seller["legal_name"] == vendor_org.legal_name
    assert issued.seller["legal_form"] == "SAS"
    assert issued.seller["share_capital"] == "150000.00"
    assert issued.seller["registration_number"] == vendor_org.registration_number
    assert issued.buyer["vat_number"] == client_org.vat_number
    assert issued.pdf.startswith(b"%PDF")
    assert issued.pdf_sha256 == hashlib.sha256(issued.pdf).hexdigest()
    assert facturx.xml_check_xsd(issued.xml, flavor="factur-x", level="en16931")


def test_an_issued_invoice_cannot_be_edited_or_issued_again(make, vendor_admin, contract):
    invoice = issue(vendor_admin, make.invoice(contract))

    with organization_context(invoice.vendor_organization_id):
        with pytest.raises(operations.InvoiceRuleError, match="draft"):
            operations.update_note(vendor_admin, invoice, "changed")
        with pytest.raises(operations.InvoiceRuleError, match="draft"):
            operations.add_extra_line(
                vendor_admin, invoice, {"description": "x", "quantity": 1, "unit_price": 1}
            )
        with pytest.raises(operations.AlreadyDone):
            operations.issue_invoice(vendor_admin, invoice, today=DAY)
        with pytest.raises(operations.InvoiceRuleError):
            operations.cancel_invoice(vendor_admin, invoice)
        # Whatever the caller, the model refuses it.
        with pytest.raises(ImmutableInvoiceError), db.session.begin_nested():
            invoice.note = "changed behind the operations' back"
            db.session.flush()


def test_issue_dates_follow_the_numbers(make, vendor_admin, contract, vendor_org):
    issue(vendor_admin, make.invoice(contract), day=date(2026, 4, 10))
    late = make.invoice(contract)

    with pytest.raises(operations.InvoiceRuleError, match="issue dates"):
        issue(vendor_admin, late, day=date(2026, 4, 9))

    assert late.status is InvoiceStatus.DRAFT
    assert late.number is None
    # The same day is fine, and takes the next number: no gap.
    assert issue(vendor_admin, late, day=date(2026, 4, 10)).number.endswith("-2026-00002")


def test_an_issue_that_fails_while_printing_loses_no_number(
    make, vendor_admin, contract, vendor_org, monkeypatch
):
    failing = make.invoice(contract)

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(operations, "render_pdf", broken)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        issue(vendor_admin, failing)
    monkeypatch.undo()
    db.session.expire_all()

    assert failing.status is InvoiceStatus.DRAFT and failing.number is None
    assert issue(vendor_admin, make.invoice(contract)).number.endswith("-2026-00001")
    counter = db.session.scalars(
        select(InvoiceCounter).where(InvoiceCounter.vendor_organization_id == vendor_org.id)
    ).one()
    assert counter.last_sequence == 1


def test_a_negative_invoice_is_not_issued(make, vendor_admin, contract):
    invoice = make.invoice(
        contract, lines=[(LineKind.SERVICE_CREDIT, "Credit", Decimal(1), Decimal("-10"))]
    )

    with pytest.raises(operations.InvoiceRuleError, match="negative"):
        issue(vendor_admin, invoice)


def test_issue_is_audited_in_both_logs_and_tells_the_clients_approvers(
    make, vendor_admin, client_finance, contract, vendor_org, client_org
):
    viewer = make.member(client_org, "viewer")
    invoice = issue(vendor_admin, make.invoice(contract))

    logs = db.session.scalars(
        across_tenants(
            select(AuditEvent.organization_id).where(
                AuditEvent.action == "invoice.issued", AuditEvent.target_id == invoice.id
            )
        )
    ).all()
    assert sorted(logs) == sorted([vendor_org.id, client_org.id])
    told = db.session.scalars(
        across_tenants(
            select(Notification.user_id).where(Notification.kind == "billing.invoice_issued")
        )
    ).all()
    assert client_finance.id in told
    assert viewer.id not in told


def test_a_captive_chargeback_is_issued_without_vat(make, vendor_admin, client_org, vendor_org):
    vendor_org.captive_of_id = client_org.id
    contract = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.INTERNAL)
    invoice = make.invoice(contract)

    issued = issue(vendor_admin, invoice)

    assert issued.vat_total == 0
    assert issued.gross_total == Decimal("40000.00")
    assert b"<ram:CategoryCode>E</ram:CategoryCode>" in issued.xml
    assert facturx.xml_check_xsd(issued.xml, flavor="factur-x", level="en16931")

"""An issued invoice is never edited: the model refuses it, not only the views."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.models import ImmutableInvoiceError, InvoiceLine, InvoiceStatus, LineKind, VatCategory
from portal import db
from portal.db import utcnow
from portal.tenancy import organization_context


@pytest.fixture
def issued(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    return make.invoice(contract, status="issued", issue_date=date(2026, 2, 3))


def test_a_draft_may_change(make, client_org, vendor_org):
    draft = make.invoice(make.contract(client_org, vendor_org))
    with organization_context(draft.vendor_organization_id):
        draft.note = "Pass-through travel added"
        draft.lines[0].unit_price = Decimal("41000")
        db.session.flush()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gross_total", Decimal("1")),
        ("number", "ATLAS-2026-99999"),
        ("issue_date", date(2026, 2, 4)),
        ("note", "changed"),
        ("pdf", b"%PDF-other"),
    ],
)
def test_an_issued_invoice_refuses_a_change(issued, field, value):
    with (
        organization_context(issued.vendor_organization_id),
        pytest.raises(ImmutableInvoiceError, match=field),
        db.session.begin_nested(),
    ):
        setattr(issued, field, value)
        db.session.flush()


def test_its_lines_cannot_be_changed_added_or_removed(issued):
    with organization_context(issued.vendor_organization_id):
        with pytest.raises(ImmutableInvoiceError, match="lines"), db.session.begin_nested():
            issued.lines[0].unit_price = Decimal("1")
            db.session.flush()
        with pytest.raises(ImmutableInvoiceError, match="lines"), db.session.begin_nested():
            db.session.delete(issued.lines[0])
            db.session.flush()
        with pytest.raises(ImmutableInvoiceError, match="lines"), db.session.begin_nested():
            issued.lines.append(
                InvoiceLine(
                    kind=LineKind.EXTRA,
                    description="Late addition",
                    quantity=Decimal(1),
                    unit_price=Decimal(1),
                    net_amount=Decimal(1),
                    vat_category=VatCategory.STANDARD,
                )
            )
            db.session.flush()


def test_it_cannot_be_deleted(issued):
    with (
        organization_context(issued.vendor_organization_id),
        pytest.raises(ImmutableInvoiceError, match="deleted"),
        db.session.begin_nested(),
    ):
        db.session.delete(issued)
        db.session.flush()


def test_its_life_after_issue_still_moves(issued):
    with organization_context(issued.vendor_organization_id):
        issued.status = InvoiceStatus.APPROVED
        issued.approved_at = utcnow()
        issued.amount_paid = Decimal("100.00")
        db.session.flush()
    assert issued.status is InvoiceStatus.APPROVED

"""Credit notes: an issued invoice corrected in full or in part, never edited."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import facturx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from billing.models import InvoiceKind, InvoiceStatus, LineKind
from billing.operations import credit_notes as operations
from contracts.models import VatTreatment
from portal import db
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context

ISSUED_ON = date(2026, 2, 3)
DAY = date(2026, 2, 20)
LINES = [
    (LineKind.FIXED_FEE, "Service management", Decimal(1), Decimal("40000")),
    (LineKind.UNIT_RATE, "Invoice processing", Decimal(12000), Decimal("2.5")),
    (LineKind.SERVICE_CREDIT, "Service credit: accuracy", Decimal(1), Decimal("-2000")),
]  # 68,000 net, 13,600 VAT, 81,600 in all.


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "finance")


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def invoice(make, contract):
    return make.invoice(contract, status="issued", issue_date=ISSUED_ON, lines=LINES)


def credit(actor, invoice, **data):
    data.setdefault("reason", "Volumes overstated")
    with organization_context(invoice.vendor_organization_id):
        note = operations.issue_credit_note(actor, invoice, data, today=DAY)
        db.session.flush()
    return note


def test_a_full_credit_mirrors_the_invoice_and_credits_it(vendor_admin, invoice, vendor_org):
    note = credit(vendor_admin, invoice, mode="full")

    assert note.kind is InvoiceKind.CREDIT_NOTE
    assert note.credited_invoice_id == invoice.id
    assert note.number == f"{vendor_org.slug}-2026-00002"  # the same sequence
    assert note.issue_date == DAY
    assert note.due_date is None
    assert note.status is InvoiceStatus.SETTLED
    assert [(line.kind, line.net_amount) for line in note.lines] == [
        (LineKind.CREDIT, Decimal("40000.00")),
        (LineKind.CREDIT, Decimal("30000.00")),
        (LineKind.CREDIT, Decimal("-2000.00")),
    ]
    assert (note.net_total, note.vat_total, note.gross_total) == (
        Decimal("68000.00"),
        Decimal("13600.00"),
        Decimal("81600.00"),
    )
    assert invoice.amount_credited == Decimal("81600.00")
    assert invoice.balance_due == 0
    assert invoice.status is InvoiceStatus.CREDITED


def test_a_credit_note_is_a_type_381_e_invoice_naming_the_invoice(vendor_admin, invoice):
    note = credit(vendor_admin, invoice, mode="full")

    _, xml = facturx.get_xml_from_pdf(note.pdf, check_xsd=True)
    text = xml.decode()
    assert "<ram:TypeCode>381</ram:TypeCode>" in text
    assert f"<ram:IssuerAssignedID>{invoice.number}</ram:IssuerAssignedID>" in text
    assert "<ram:GrandTotalAmount>81600.00</ram:GrandTotalAmount>" in text
    printed = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(note.pdf)).pages).split()
    )
    assert "Credit note" in printed and note.number in printed
    assert f"This credit note corrects invoice {invoice.number} of Feb 3, 2026." in printed
    assert "Volumes overstated" in printed


def test_a_partial_credit_on_chosen_lines(vendor_admin, invoice):
    fee, volume, _ = invoice.lines

    note = credit(
        vendor_admin,
        invoice,
        mode="lines",
        line_amounts={fee.id: Decimal("1000"), volume.id: Decimal("250.50")},
    )

    assert [(line.description, line.net_amount) for line in note.lines] == [
        ("Credit: Service management", Decimal("1000.00")),
        ("Credit: Invoice processing", Decimal("250.50")),
    ]
    # 1,250.50 + 20 % = 1,500.60.
    assert note.gross_total == Decimal("1500.60")
    assert invoice.amount_credited == Decimal("1500.60")
    assert invoice.balance_due == Decimal("80099.40")
    assert invoice.status is InvoiceStatus.ISSUED


def test_a_line_cannot_be_credited_more_than_it_billed(vendor_admin, invoice):
    fee = invoice.lines[0]

    with pytest.raises(operations.CreditNoteError) as refused:
        credit(vendor_admin, invoice, mode="lines", line_amounts={fee.id: Decimal("40000.01")})

    assert refused.value.field == "line_amounts"
    assert invoice.amount_credited == 0


def test_one_amount_with_its_description(vendor_admin, invoice):
    note = credit(
        vendor_admin, invoice, mode="amount", amount=Decimal("500"), description="Goodwill"
    )

    assert [(line.description, line.net_amount) for line in note.lines] == [
        ("Goodwill", Decimal("500.00"))
    ]
    assert note.gross_total == Decimal("600.00")


def test_a_credit_note_never_exceeds_the_balance(vendor_admin, invoice):
    credit(vendor_admin, invoice, mode="amount", amount=Decimal("60000"))  # 72,000 incl. VAT

    with pytest.raises(operations.CreditNoteError, match="exceed") as refused:
        credit(vendor_admin, invoice, mode="amount", amount=Decimal("8000.01"))  # 9,600.01

    assert refused.value.field == "amount"
    assert invoice.amount_credited == Decimal("72000.00")


def test_the_rest_of_the_balance_is_credited_in_full(vendor_admin, invoice):
    credit(vendor_admin, invoice, mode="amount", amount=Decimal("1000.03"))  # 1,200.04 incl. VAT

    note = credit(vendor_admin, invoice, mode="full")

    # 81,600 − 1,200.04 = 80,399.96: 66,999.97 net + 13,399.99 VAT.
    assert note.gross_total == Decimal("80399.96")
    assert invoice.balance_due == 0
    assert invoice.status is InvoiceStatus.CREDITED


def test_a_disputed_invoice_partly_credited_is_settled_as_approved(make, vendor_admin, contract):
    disputed = make.invoice(contract, status="disputed", issue_date=ISSUED_ON, lines=LINES)

    credit(vendor_admin, disputed, mode="amount", amount=Decimal("2000"))

    assert disputed.status is InvoiceStatus.APPROVED
    assert disputed.approved_at is not None


def test_a_disputed_captive_chargeback_partly_credited_is_settled(
    make, vendor_admin, client_org, vendor_org
):
    captive = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.INTERNAL)
    disputed = make.invoice(captive, status="disputed", issue_date=ISSUED_ON)

    note = credit(vendor_admin, disputed, mode="amount", amount=Decimal("2000"))

    assert note.vat_total == 0
    assert disputed.status is InvoiceStatus.SETTLED


@pytest.mark.parametrize("status", ["draft", "paid", "credited", "settled"])
def test_only_an_open_invoice_is_credited(make, vendor_admin, contract, status):
    fields = {} if status == "draft" else {"issue_date": ISSUED_ON}
    record = make.invoice(contract, status=status, **fields)

    with pytest.raises(operations.CreditNoteError, match="Nothing is left"):
        credit(vendor_admin, record, mode="full")


def test_a_credit_note_is_not_credited(vendor_admin, invoice):
    note = credit(vendor_admin, invoice, mode="amount", amount=Decimal("10"))

    with pytest.raises(operations.CreditNoteError):
        credit(vendor_admin, note, mode="full")


def test_a_reason_is_required(vendor_admin, invoice):
    with pytest.raises(operations.CreditNoteError) as refused:
        credit(vendor_admin, invoice, mode="full", reason="  ")

    assert refused.value.field == "reason"


def test_the_credit_note_is_audited_in_both_logs_and_told_to_the_client(
    make, vendor_admin, invoice, vendor_org, client_org
):
    approver = make.member(client_org, "admin")

    note = credit(vendor_admin, invoice, mode="amount", amount=Decimal("100"))

    for action, target in (("credit_note.issued", note), ("invoice.credited", invoice)):
        logs = db.session.scalars(
            across_tenants(
                select(AuditEvent.organization_id).where(
                    AuditEvent.action == action, AuditEvent.target_id == target.id
                )
            )
        ).all()
        assert sorted(logs) == sorted([vendor_org.id, client_org.id]), action
    told = db.session.scalars(
        across_tenants(
            select(Notification.user_id).where(Notification.kind == "billing.credit_note_issued")
        )
    ).all()
    assert told == [approver.id]


@pytest.mark.parametrize(
    ("gross", "rate", "net"),
    [
        (Decimal("1200.00"), Decimal("20"), Decimal("1000.00")),
        (Decimal("80399.96"), Decimal("20"), Decimal("66999.97")),
        (Decimal("100.00"), Decimal("0"), Decimal("100.00")),
        # 0.06 cannot be reached at 20 % (0.05 → 0.06 is 0.05 + 0.01): the largest below.
        (Decimal("0.07"), Decimal("20"), Decimal("0.06")),
    ],
)
def test_net_for_gross(gross, rate, net):
    found = operations.net_for_gross(gross, rate, "EUR")

    assert found == net
    assert found + (found * rate / 100).quantize(Decimal("0.01")) <= gross

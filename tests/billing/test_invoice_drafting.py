"""Drafting an invoice from an accepted delivery report, and editing the draft.

Figures are computed by hand: fixed fee 40,000 + 12,000 invoices × 2.50 = 70,000,
topped up to the 80,000 minimum; accuracy breached critically (5 % of 80,000 =
4,000) and cycle time breached (4 % = 3,200): 7,200 of credits, capped at 5 %
of the fees (4,000), so a cap line gives 3,200 back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.models import InvoiceKind, InvoiceStatus, LineKind, VatCategory
from billing.operations import invoices as operations
from contracts.models import VatTreatment
from contracts.operations.results import record_results
from portal import db
from portal.models import AuditEvent
from portal.tenancy import across_tenants, organization_context

PERIOD = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _request(app):
    """Operations run inside a request (links, audit, lazy messages read by assertions)."""
    with app.test_request_context():
        yield


def accepted_report(make, contract, period=PERIOD, **fields):
    report = make.delivery_report(contract, period, status="accepted", **fields)
    with organization_context(contract.client_organization_id):
        record_results(report, notify_breaches=False)
        db.session.flush()
    return report


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "admin")


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(
        client_org, vendor_org, monthly_minimum=Decimal("80000"), credit_cap_percent="5"
    )


@pytest.fixture
def report(make, contract):
    return accepted_report(
        make, contract, volumes={"invoices": "12000"}, values={"accuracy": "96", "cycle-time": "4"}
    )


def draft(actor, report):
    with organization_context(report.vendor_organization_id):
        return operations.draft_invoice_from_report(actor, report)


def test_lines_follow_the_report_fees_minimum_credits_and_cap(vendor_admin, report):
    invoice = draft(vendor_admin, report)

    rows = [
        (line.kind, line.quantity, line.unit, line.unit_price, line.net_amount, line.code)
        for line in invoice.lines
    ]
    assert rows == [
        (LineKind.FIXED_FEE, 1, "month", Decimal("40000"), Decimal("40000.00"), "base-fee"),
        (
            LineKind.UNIT_RATE,
            12000,
            "supplier invoice",
            Decimal("2.50"),
            Decimal("30000.00"),
            "invoices",
        ),
        (LineKind.MINIMUM, 1, "month", Decimal("10000.00"), Decimal("10000.00"), "minimum"),
        (LineKind.SERVICE_CREDIT, 1, "", Decimal("-4000.00"), Decimal("-4000.00"), "accuracy"),
        (LineKind.SERVICE_CREDIT, 1, "", Decimal("-3200.00"), Decimal("-3200.00"), "cycle-time"),
        (LineKind.SERVICE_CREDIT, 1, "", Decimal("3200.00"), Decimal("3200.00"), "credit-cap"),
    ]
    descriptions = [line.description for line in invoice.lines]
    assert descriptions[3] == "Service credit: Invoice accuracy breached (critical breach)"
    assert descriptions[4] == "Service credit: Cycle time breached (breached)"
    assert descriptions[5] == "Service credits capped at 5 % of the period's fees"
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("76000.00"),
        Decimal("15200.00"),
        Decimal("91200.00"),
    )
    # The credits on the invoice are the report's credit after the cap.
    credits = sum(
        (line.net_amount for line in invoice.lines if line.kind is LineKind.SERVICE_CREDIT),
        Decimal(0),
    )
    assert -credits == report.credit_amount == Decimal("4000.00")
    assert invoice.status is InvoiceStatus.DRAFT
    assert invoice.kind is InvoiceKind.INVOICE
    assert (invoice.period_start, invoice.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert invoice.number is None


def test_no_minimum_line_when_the_fees_reach_it_and_no_credit_when_all_met(
    make, vendor_admin, contract
):
    report = accepted_report(make, contract, volumes={"invoices": "20000"})  # 40,000 + 50,000

    invoice = draft(vendor_admin, report)

    assert [line.kind for line in invoice.lines] == [LineKind.FIXED_FEE, LineKind.UNIT_RATE]
    assert invoice.net_total == Decimal("90000.00")


@pytest.mark.parametrize(
    ("treatment", "category", "rate", "vat"),
    [
        (VatTreatment.DOMESTIC, VatCategory.STANDARD, Decimal("20"), Decimal("18000.00")),
        (VatTreatment.REVERSE_CHARGE, VatCategory.REVERSE_CHARGE, Decimal("0"), Decimal("0")),
        (VatTreatment.OUT_OF_SCOPE, VatCategory.OUT_OF_SCOPE, Decimal("0"), Decimal("0")),
        (VatTreatment.INTERNAL, VatCategory.NOT_SUBJECT, Decimal("0"), Decimal("0")),
    ],
)
def test_every_line_takes_the_vat_of_the_contract(
    make, client_org, vendor_org, vendor_admin, treatment, category, rate, vat
):
    contract = make.contract(
        client_org, vendor_org, vat_treatment=treatment, vat_rate=Decimal("20")
    )
    report = accepted_report(make, contract, volumes={"invoices": "20000"})

    invoice = draft(vendor_admin, report)

    assert {(line.vat_category, line.vat_rate) for line in invoice.lines} == {(category, rate)}
    assert invoice.vat_total == vat
    assert invoice.gross_total == Decimal("90000.00") + vat
    assert invoice.vat_treatment is treatment


def test_one_invoice_per_report(vendor_admin, report):
    first = draft(vendor_admin, report)

    with pytest.raises(operations.AlreadyDone) as refused:
        draft(vendor_admin, report)

    assert refused.value.invoice.id == first.id


def test_a_cancelled_draft_lets_the_report_be_invoiced_again(vendor_admin, report):
    first = draft(vendor_admin, report)
    with organization_context(report.vendor_organization_id):
        operations.cancel_invoice(vendor_admin, first)

    second = draft(vendor_admin, report)

    assert first.status is InvoiceStatus.CANCELLED
    assert second.id != first.id


def test_only_an_accepted_report_is_invoiced(make, contract, vendor_admin):
    submitted = make.delivery_report(contract, date(2026, 4, 1))

    with pytest.raises(operations.InvoiceRuleError, match="accepted"):
        draft(vendor_admin, submitted)


def test_only_the_vendor_drafts(make, client_org, report):
    client_admin = make.member(client_org, "admin")
    with (
        organization_context(client_org.id),
        pytest.raises(operations.InvoiceRuleError, match="vendor"),
    ):
        operations.draft_invoice_from_report(client_admin, report)


def test_drafting_is_audited_in_the_vendors_log_only(vendor_admin, report, vendor_org, client_org):
    invoice = draft(vendor_admin, report)

    events = db.session.scalars(
        across_tenants(
            AuditEvent.__table__.select()
            .with_only_columns(AuditEvent.organization_id)
            .where(AuditEvent.action == "invoice.drafted", AuditEvent.target_id == invoice.id)
        )
    ).all()
    assert events == [vendor_org.id]


# --- Editing the draft ---------------------------------------------------------------------


def test_rounding_per_line_half_up_three_times_0_335(vendor_admin, report):
    invoice = draft(vendor_admin, report)
    with organization_context(report.vendor_organization_id):
        line = operations.add_extra_line(
            vendor_admin,
            invoice,
            {
                "description": "Courier",
                "quantity": Decimal("3"),
                "unit": "parcel",
                "unit_price": Decimal("0.335"),
            },
        )

    # 3 × 0.335 = 1.005 → 1.01; VAT 20 % on the sum of the lines: 76,001.01 × 0.2 = 15,200.202.
    assert line.net_amount == Decimal("1.01")
    assert (line.vat_category, line.vat_rate) == (VatCategory.STANDARD, Decimal("20"))
    assert invoice.net_total == Decimal("76001.01")
    assert invoice.vat_total == Decimal("15200.20")
    assert invoice.gross_total == Decimal("91201.21")


def test_extra_lines_come_and_go_but_report_lines_stay(vendor_admin, report):
    invoice = draft(vendor_admin, report)
    with organization_context(report.vendor_organization_id):
        line = operations.add_extra_line(
            vendor_admin,
            invoice,
            {"description": "Travel", "quantity": Decimal(1), "unit_price": Decimal("500")},
        )
        db.session.flush()
        with pytest.raises(operations.InvoiceRuleError, match="you added"):
            operations.remove_extra_line(vendor_admin, invoice, invoice.lines[0].id)
        operations.remove_extra_line(vendor_admin, invoice, line.id)
        operations.update_note(vendor_admin, invoice, "  PO 4500012345  ")

    assert len(invoice.lines) == 6
    assert invoice.gross_total == Decimal("91200.00")
    assert invoice.note == "PO 4500012345"


def test_an_extra_line_needs_a_description_and_a_positive_quantity(vendor_admin, report):
    invoice = draft(vendor_admin, report)
    with organization_context(report.vendor_organization_id):
        with pytest.raises(operations.InvoiceRuleError) as refused:
            operations.add_extra_line(
                vendor_admin, invoice, {"description": " ", "quantity": 1, "unit_price": 1}
            )
        assert refused.value.field == "description"
        with pytest.raises(operations.InvoiceRuleError) as refused:
            operations.add_extra_line(
                vendor_admin, invoice, {"description": "X", "quantity": 0, "unit_price": 1}
            )
        assert refused.value.field == "quantity"


def test_a_cancelled_draft_cannot_be_edited(vendor_admin, report):
    invoice = draft(vendor_admin, report)
    with organization_context(report.vendor_organization_id):
        operations.cancel_invoice(vendor_admin, invoice)
        with pytest.raises(operations.InvoiceRuleError, match="draft"):
            operations.update_note(vendor_admin, invoice, "late")
        with pytest.raises(operations.AlreadyDone):
            operations.cancel_invoice(vendor_admin, invoice)

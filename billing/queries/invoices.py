"""Read-only queries of one invoice: through the wall, with what its page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from billing.models import Invoice, InvoiceKind, InvoiceStatus, VatCategory
from billing.rules import InvoiceTotals, invoice_totals
from contracts.models import DeliveryReport
from portal import db
from portal.tenancy import current_organization_id

#: In their own context: French agrees them with « facture ».
STATUS_LABELS = {
    InvoiceStatus.DRAFT: lazy_pgettext("invoice", "Draft"),
    InvoiceStatus.ISSUED: lazy_pgettext("invoice", "Issued"),
    InvoiceStatus.APPROVED: lazy_pgettext("invoice", "Approved"),
    InvoiceStatus.DISPUTED: lazy_pgettext("invoice", "Disputed"),
    InvoiceStatus.PAID: lazy_pgettext("invoice", "Paid"),
    InvoiceStatus.SETTLED: lazy_pgettext("invoice", "Settled"),
    InvoiceStatus.CREDITED: lazy_pgettext("invoice", "Credited"),
    InvoiceStatus.CANCELLED: lazy_pgettext("invoice", "Cancelled"),
}

STATUS_COLOURS = {
    InvoiceStatus.DRAFT: "secondary",
    InvoiceStatus.ISSUED: "primary",
    InvoiceStatus.APPROVED: "info",
    InvoiceStatus.DISPUTED: "warning",
    InvoiceStatus.PAID: "success",
    InvoiceStatus.SETTLED: "success",
    InvoiceStatus.CREDITED: "dark",
    InvoiceStatus.CANCELLED: "light",
}

KIND_LABELS = {
    InvoiceKind.INVOICE: _l("Invoice"),
    InvoiceKind.CREDIT_NOTE: _l("Credit note"),
}

VAT_CATEGORY_LABELS = {
    VatCategory.STANDARD: _l("Standard rate"),
    VatCategory.REVERSE_CHARGE: _l("Reverse charge"),
    VatCategory.OUT_OF_SCOPE: _l("Out of scope of EU VAT"),
    VatCategory.NOT_SUBJECT: _l("Not subject to VAT (internal)"),
}


def invoice_or_404(invoice_id: int, *, with_documents: bool = False) -> Invoice:
    """An invoice the current organization may see (its issuer; its recipient once issued)."""
    statement = (
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.lines),
            selectinload(Invoice.credit_notes),
            selectinload(Invoice.payments),
        )
    )
    if with_documents:
        statement = statement.options(undefer(Invoice.pdf), undefer(Invoice.xml))
    invoice = db.session.scalars(statement).one_or_none()
    if invoice is None:
        abort(404)
    return invoice


def is_issuer_of(invoice: Invoice) -> bool:
    return invoice.vendor_organization_id == current_organization_id()


def invoice_of_report(report: DeliveryReport) -> Invoice | None:
    """The live (not cancelled) invoice drafted from a report, if any."""
    statement = select(Invoice).where(
        Invoice.report_id == report.id,
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.status != InvoiceStatus.CANCELLED,
    )
    return db.session.scalars(statement).first()


def totals_of(invoice: Invoice) -> InvoiceTotals:
    """The VAT breakdown of an invoice's lines (per category and rate)."""
    return invoice_totals(
        ((line.vat_category, line.vat_rate, line.net_amount) for line in invoice.lines),
        invoice.currency,
    )


@dataclass(frozen=True)
class Event:
    when: datetime
    label: str


def history(invoice: Invoice) -> list[Event]:
    """What happened to the invoice, in order, from its own dates."""
    steps = [
        (invoice.created_at, _l("Drafted")),
        (invoice.issued_at, _l("Issued")),
        (invoice.disputed_at, _l("Disputed")),
        (invoice.approved_at, _l("Approved")),
        (invoice.paid_at, _l("Paid")),
        (invoice.settled_at, _l("Settled")),
        (invoice.cancelled_at, _l("Cancelled")),
    ]
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        steps = [(invoice.issued_at, _l("Issued and applied to the invoice"))]
    return sorted(
        (Event(when, str(label)) for when, label in steps if when is not None),
        key=lambda event: event.when,
    )

"""The JSON API of invoicing: vendors draft, issue and read their invoices and record
payments; clients read what they received, download it and approve or dispute it.

Every endpoint calls the same operations and queries as the pages: a draft is
the vendor's alone (the wall), an issued invoice is frozen, numbers stay
gapless (the issuing endpoints hold the write lock, as the pages do). A rule's
refusal is a 409 problem, or a 422 naming the field.
"""

from __future__ import annotations

from flask import Response, abort
from marshmallow import Schema, fields, validate

from billing import INVOICE_APPROVERS, INVOICE_ISSUERS
from billing.models import Invoice, InvoiceKind, InvoiceStatus, LineKind, VatCategory
from billing.operations import invoices as invoice_operations
from billing.operations import payments as payment_operations
from billing.operations import review as review_operations
from billing.queries import invoices as invoice_queries
from billing.queries import lists as list_queries
from contracts.models import VatTreatment
from contracts.queries.common import contract_or_404
from portal import tenancy
from portal.api.endpoints import endpoint
from portal.api.schemas import DecimalString, MoneyField
from portal.db import utcnow, write_locked
from portal.tenancy import current_organization_id
from vendors.api import PartySchema

TAG = "Invoices"


class InvoiceLineSchema(Schema):
    kind = fields.Enum(LineKind, by_value=True)
    description = fields.String()
    quantity = DecimalString(places=4)
    unit = fields.String()
    unit_price = DecimalString(places=4)
    net_amount = DecimalString(places=2, metadata={"description": "Rounded half-up on its own."})
    vat_category = fields.Enum(
        VatCategory, by_value=True, metadata={"description": "EN 16931 category (UNTDID 5305)."}
    )
    vat_rate = DecimalString(places=2)
    code = fields.String(
        allow_none=True, metadata={"description": "The rate-card line or SLA metric."}
    )


class PaymentSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["manual", "stripe"]})
    status = fields.String(metadata={"enum": ["succeeded", "refunded"]})
    amount = MoneyField()
    received_on = fields.Date()
    reference = fields.String()


class InvoiceSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(InvoiceKind, by_value=True)
    number = fields.String(allow_none=True, metadata={"description": "None while a draft."})
    status = fields.Enum(InvoiceStatus, by_value=True)
    vendor = fields.Nested(PartySchema, metadata={"description": "The issuer."})
    client = fields.Nested(PartySchema, metadata={"description": "The recipient."})
    contract_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    currency = fields.String()
    net_total = MoneyField()
    vat_total = MoneyField()
    gross_total = MoneyField()
    amount_credited = MoneyField()
    amount_paid = MoneyField()
    balance_due = MoneyField()
    overdue = fields.Function(
        lambda invoice: list_queries.is_overdue(invoice, utcnow().date()),
        metadata={"type": "boolean", "description": "Past its due date with money due."},
    )


class InvoiceSchema(InvoiceSummarySchema):
    vat_treatment = fields.Enum(VatTreatment, by_value=True)
    report_id = fields.Integer(allow_none=True)
    credited_invoice_id = fields.Integer(
        allow_none=True, metadata={"description": "The invoice a credit note corrects."}
    )
    note = fields.String()
    reason = fields.String(metadata={"description": "A credit note's reason."})
    dispute_reason = fields.String(allow_none=True)
    pdf_sha256 = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the PDF stored at issue."}
    )
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    credit_notes = fields.List(
        fields.Function(lambda note: {"id": note.id, "number": note.number}),
        metadata={"description": "Credit notes issued against this invoice."},
    )


class InvoiceQuerySchema(Schema):
    status = fields.Enum(InvoiceStatus, by_value=True, load_default=None)
    side = fields.String(
        load_default=None,
        validate=validate.OneOf([list_queries.SIDE_ISSUED, list_queries.SIDE_RECEIVED]),
        metadata={"description": "issued (as vendor) or received (as client)."},
    )
    overdue = fields.Boolean(load_default=False)
    counterparty_id = fields.Integer(load_default=None)


class InvoiceDisputeBodySchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class PaymentBodySchema(Schema):
    received_on = fields.Date(required=True)
    amount = fields.Decimal(
        required=True, as_string=True, metadata={"type": "string", "example": "1234.50"}
    )
    reference = fields.String(load_default="", validate=validate.Length(max=140))
    paid_before = fields.Decimal(
        required=True,
        as_string=True,
        metadata={
            "type": "string",
            "example": "0.00",
            "description": "The invoice's amount_paid as you last read it: the same request "
            "sent twice records one payment (the second answers 409).",
        },
    )


def _invoice(invoice_id: int) -> Invoice:
    return invoice_queries.invoice_or_404(invoice_id)


def _own_invoice(invoice_id: int) -> Invoice:
    """An invoice this organization issued (a recipient's attempt is a 404, as the pages)."""
    invoice = invoice_queries.invoice_or_404(invoice_id)
    if invoice.vendor_organization_id != current_organization_id():
        abort(404)
    return invoice


def _received_invoice(invoice_id: int) -> Invoice:
    invoice = invoice_queries.invoice_or_404(invoice_id)
    if invoice.client_organization_id != current_organization_id():
        abort(404)
    return invoice


@endpoint(
    "GET",
    "/invoices",
    summary="Invoices and credit notes your organization issued or received",
    description="A recipient sees an invoice once issued; an issuer sees its drafts too.",
    query=InvoiceQuerySchema,
    response=InvoiceSummarySchema,
    paginated=True,
    tag=TAG,
    name="invoices",
)
def invoices(query: dict):
    filters = list_queries.InvoiceFilters(
        status=query["status"],
        counterparty_id=query["counterparty_id"],
        overdue=query["overdue"],
        side=query["side"],
    )
    return list_queries.invoices_statement(filters, utcnow().date())


@endpoint(
    "GET",
    "/invoices/<int:invoice_id>",
    summary="One invoice or credit note, with its lines and payments",
    response=InvoiceSchema,
    tag=TAG,
    name="invoice",
    load=_invoice,
)
def invoice(record: Invoice):
    return record


def _document(invoice_id: int, attribute: str, mimetype: str, extension: str) -> Response:
    record = invoice_queries.invoice_or_404(invoice_id, with_documents=True)
    content = getattr(record, attribute)
    if content is None:
        abort(404)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{record.number}.{extension}"'
    return response


@endpoint(
    "GET",
    "/invoices/<int:invoice_id>/pdf",
    summary="The PDF/A-3 of an issued invoice, with its Factur-X XML embedded",
    description="The bytes stored at issue: the same every time (see pdf_sha256).",
    tag=TAG,
    name="invoice_pdf",
)
def invoice_pdf(invoice_id: int):
    return _document(invoice_id, "pdf", "application/pdf", "pdf")


@endpoint(
    "GET",
    "/invoices/<int:invoice_id>/xml",
    summary="The Factur-X (EN 16931 CII) XML of an issued invoice",
    tag=TAG,
    name="invoice_xml",
)
def invoice_xml(invoice_id: int):
    return _document(invoice_id, "xml", "application/xml", "xml")


@endpoint(
    "POST",
    "/contracts/<int:contract_id>/reports/<int:report_id>/invoice",
    summary="Draft the invoice of an accepted delivery report (vendor)",
    description="One invoice per report: asked again, 409 naming the existing invoice.",
    roles=INVOICE_ISSUERS,
    side="vendor",
    response=InvoiceSchema,
    status=201,
    tag=TAG,
    name="draft_invoice",
)
def draft_invoice(contract_id: int, report_id: int):
    contract = contract_or_404(contract_id)
    if contract.vendor_organization_id != current_organization_id():
        abort(404)
    report = tenancy.child_or_404(contract, "reports", report_id)
    return invoice_operations.draft_invoice_from_report(None, report)


@endpoint(
    "POST",
    "/invoices/<int:invoice_id>/issue",
    summary="Issue a draft: its number, PDF and e-invoice are produced once (vendor)",
    roles=INVOICE_ISSUERS,
    side="vendor",
    response=InvoiceSchema,
    tag=TAG,
    name="issue_invoice",
    load=_own_invoice,
)
@write_locked
def issue_invoice(record: Invoice):
    return invoice_operations.issue_invoice(None, record)


@endpoint(
    "POST",
    "/invoices/<int:invoice_id>/payments",
    summary="Record a bank transfer received (vendor); partial payments are allowed",
    roles=INVOICE_ISSUERS,
    side="vendor",
    body=PaymentBodySchema,
    response=InvoiceSchema,
    status=201,
    tag=TAG,
    name="record_payment",
    load=_own_invoice,
)
@write_locked
def record_payment(record: Invoice, body: dict):
    payment_operations.record_payment(None, record, body)
    return record


@endpoint(
    "POST",
    "/invoices/<int:invoice_id>/approve",
    summary="Approve an issued invoice (client); a captive centre's chargeback is settled",
    roles=INVOICE_APPROVERS,
    side="client",
    response=InvoiceSchema,
    tag=TAG,
    name="approve_invoice",
    load=_received_invoice,
)
@write_locked
def approve_invoice(record: Invoice):
    return review_operations.approve_invoice(None, record)


@endpoint(
    "POST",
    "/invoices/<int:invoice_id>/dispute",
    summary="Dispute an issued invoice with a reason (client)",
    roles=INVOICE_APPROVERS,
    side="client",
    body=InvoiceDisputeBodySchema,
    response=InvoiceSchema,
    tag=TAG,
    name="dispute_invoice",
    load=_received_invoice,
)
@write_locked
def dispute_invoice(record: Invoice, body: dict):
    return review_operations.dispute_invoice(None, record, body["reason"])

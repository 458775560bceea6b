"""The invoice lists of both sides: filters, totals per currency, the vendor's accepted
reports still to invoice, and the same list as a CSV file.

The issuer sees its invoices and credit notes, drafts included; the recipient
only what was issued to it (the wall decides). An organization that is both
client and vendor sees both, and may filter one side.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Response, g, render_template, request
from flask_babel import gettext as _

from billing import INVOICE_ISSUERS, bp
from billing.forms.lists import InvoiceFilterForm
from billing.models import Invoice, InvoiceKind
from billing.queries import lists as queries
from portal import tenancy
from portal.audit_log.queries import spreadsheet_safe
from portal.db import utcnow
from portal.security import READ, has_role, requires


@bp.app_template_global()
def invoice_amount_due(invoice: Invoice) -> Decimal:
    """What is still expected on the invoice (nothing once paid, settled or credited)."""
    return queries.amount_due(invoice)


@bp.app_template_global()
def invoice_overdue(invoice: Invoice) -> bool:
    """Whether the invoice is past its due date with money still expected."""
    return queries.is_overdue(invoice, utcnow().date())


def _filters_form() -> InvoiceFilterForm:
    return InvoiceFilterForm(
        request.args,
        counterparties=queries.counterparties(),
        vendor=g.membership.organization.is_vendor,
    )


@bp.get("/invoices")
@requires(*READ)
def invoices():
    today = utcnow().date()
    organization = g.membership.organization
    form = _filters_form()
    filters = form.filters(request.args.get("month"))
    page = queries.invoices(filters, today, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "billing/index.html",
        page=page,
        filters=form,
        filtered=filters.any,
        totals=queries.totals(filters, today),
        today=today,
        organization_id=tenancy.require_organization_id(),
        both_sides=organization.is_client and organization.is_vendor,
        to_invoice=queries.reports_to_invoice() if organization.is_vendor else [],
        can_invoice=organization.is_vendor and has_role(INVOICE_ISSUERS),
    )


def _csv_columns() -> list[str]:
    return [
        _("Number"),
        _("Kind"),
        _("Status"),
        _("Counterparty"),
        _("Period"),
        _("Issue date"),
        _("Due date"),
        _("Currency"),
        _("Net"),
        _("VAT"),
        _("Gross"),
        _("Credited"),
        _("Paid"),
        _("Balance due"),
        _("Overdue"),
    ]


def _amount(value: Decimal) -> str:
    return str(value)


def _csv_row(invoice: Invoice, organization_id: int, today) -> list[str]:
    counterparty = (
        invoice.client if invoice.vendor_organization_id == organization_id else invoice.vendor
    )
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    return [
        spreadsheet_safe(invoice.number or ""),
        str(queries.INVOICE_KIND_LABELS[invoice.kind]),
        str(queries.INVOICE_STATUS_LABELS[invoice.status]),
        spreadsheet_safe(counterparty.name),
        f"{invoice.period_start:%Y-%m}",
        invoice.issue_date.isoformat() if invoice.issue_date else "",
        invoice.due_date.isoformat() if invoice.due_date and not credit_note else "",
        invoice.currency,
        _amount(invoice.net_total),
        _amount(invoice.vat_total),
        _amount(invoice.gross_total),
        "" if credit_note else _amount(invoice.amount_credited),
        "" if credit_note else _amount(invoice.amount_paid),
        "" if credit_note else _amount(queries.amount_due(invoice)),
        _("yes") if queries.is_overdue(invoice, today) else "",
    ]


@bp.get("/invoices.csv")
@requires(*READ)
def invoices_csv():
    today = utcnow().date()
    filters = _filters_form().filters(request.args.get("month"))
    organization_id = tenancy.require_organization_id()
    buffer = io.StringIO()
    # A byte-order mark, so that Excel reads the file as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(_csv_columns())
    for invoice in queries.all_invoices(filters, today):
        writer.writerow(_csv_row(invoice, organization_id, today))
    filename = f"invoices-{today:%Y-%m-%d}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )

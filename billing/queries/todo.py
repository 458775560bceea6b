"""What needs the organization on its invoices, for its dashboard.

A client approves (or disputes) issued invoices and sees its overdue ones; a
vendor issues its drafts, invoices its accepted reports and sees its overdue
receivables. Three statements, whatever the number of invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.queries.lists import (
    is_overdue,
    overdue_clause,
    reports_to_invoice,
    reports_to_invoice_count,
)
from contracts.models import DeliveryReport
from portal import db
from portal.models import Organization
from portal.tenancy import current_organization_id

#: Entries shown per list; the panel says how many more there are.
SHOWN = 6


@dataclass
class BillingTodo:
    #: Client: issued invoices to approve or dispute; invoices it pays late.
    to_approve: list[Invoice] = field(default_factory=list)
    overdue_payables: list[Invoice] = field(default_factory=list)
    #: Vendor: drafts to issue; accepted reports without an invoice; late payers.
    drafts: list[Invoice] = field(default_factory=list)
    reports: list[DeliveryReport] = field(default_factory=list)
    reports_count: int = 0
    overdue_receivables: list[Invoice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.to_approve
            or self.overdue_payables
            or self.drafts
            or self.reports_count
            or self.overdue_receivables
        )


def billing_todo(organization: Organization, today: date) -> BillingTodo:
    organization_id = current_organization_id()
    todo = BillingTodo()
    as_client = Invoice.client_organization_id == organization_id
    as_vendor = Invoice.vendor_organization_id == organization_id
    interesting = []
    if organization.is_client:
        interesting += [
            and_(
                as_client,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status == InvoiceStatus.ISSUED,
            ),
            and_(as_client, overdue_clause(today)),
        ]
    if organization.is_vendor:
        interesting += [
            and_(
                as_vendor,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status == InvoiceStatus.DRAFT,
            ),
            and_(as_vendor, overdue_clause(today)),
        ]
    if not interesting:
        return todo
    statement = (
        select(Invoice)
        .where(or_(*interesting))
        .options(joinedload(Invoice.vendor), joinedload(Invoice.client))
        .order_by(Invoice.due_date, Invoice.id)
    )
    for invoice in db.session.scalars(statement):
        received = invoice.client_organization_id == organization_id
        if is_overdue(invoice, today):
            (todo.overdue_payables if received else todo.overdue_receivables).append(invoice)
        if received and invoice.status is InvoiceStatus.ISSUED:
            todo.to_approve.append(invoice)
        if not received and invoice.status is InvoiceStatus.DRAFT:
            todo.drafts.append(invoice)
    if organization.is_vendor:
        todo.reports = reports_to_invoice(limit=SHOWN)
        todo.reports_count = reports_to_invoice_count()
    return todo

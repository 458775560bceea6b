"""Read-only queries of the invoice lists: both sides' invoices with their filters,
totals per currency, the vendor's accepted reports still to invoice, and when an
invoice is overdue.

The wall decides what each side sees (``Invoice.visible_to``): the issuer all
its invoices and credit notes, drafts included; the recipient only issued ones.
Totals are summed in SQL, one row per currency: amounts in different currencies
are never added up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql import ColumnElement, Select

from billing.models import (
    ISSUED_STATUSES,
    OPEN_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
)
from billing.queries.invoices import KIND_LABELS, STATUS_LABELS
from contracts.models import Contract, DeliveryReport, ReportStatus, VatTreatment
from portal import db, tenancy
from portal.models import Organization
from portal.money import round_money
from portal.pagination import Page, paginate

#: The labels of the invoice page (billing/queries/invoices.py), under the lists' names.
INVOICE_STATUS_LABELS = STATUS_LABELS
INVOICE_KIND_LABELS = KIND_LABELS

#: The list's side filter, for an organization that is both client and vendor.
SIDE_ISSUED = "issued"
SIDE_RECEIVED = "received"


# --- Overdue ----------------------------------------------------------------------------


def is_captive(invoice: Invoice) -> bool:
    """A captive centre's internal chargeback: no VAT, nothing paid, settled on approval."""
    return invoice.vat_treatment == VatTreatment.INTERNAL


def amount_due(invoice: Invoice) -> Decimal:
    """What is still expected on the invoice: nothing once paid, settled, credited or
    for a draft, a cancelled draft or a credit note."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in OPEN_STATUSES:
        return Decimal(0)
    return max(invoice.balance_due, Decimal(0))


def _due_column() -> ColumnElement[Decimal]:
    """``amount_due`` in SQL."""
    return case(
        (
            and_(Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(OPEN_STATUSES)),
            Invoice.gross_total - Invoice.amount_credited - Invoice.amount_paid,
        ),
        else_=literal(Decimal(0)),
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Past its due date with money still expected (a captive chargeback is never overdue:
    nothing is paid on it)."""
    return and_(
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.status.in_(OPEN_STATUSES),
        Invoice.vat_treatment != VatTreatment.INTERNAL,
        Invoice.due_date.is_not(None),
        Invoice.due_date < today,
        Invoice.gross_total - Invoice.amount_credited - Invoice.amount_paid > 0,
    )


def is_overdue(invoice: Invoice, today: date) -> bool:
    """``overdue_clause`` for an invoice already loaded."""
    return (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.status in OPEN_STATUSES
        and not is_captive(invoice)
        and invoice.due_date is not None
        and invoice.due_date < today
        and invoice.balance_due > 0
    )


# --- The list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    status: InvoiceStatus | None = None
    counterparty_id: int | None = None
    #: First days of the first and last months of the service period.
    period_from: date | None = None
    period_to: date | None = None
    overdue: bool = False
    side: str | None = None

    @property
    def any(self) -> bool:
        return bool(
            self.status
            or self.counterparty_id
            or self.period_from
            or self.period_to
            or self.overdue
            or self.side
        )


def _filtered(statement: Select, filters: InvoiceFilters, today: date) -> Select:
    organization_id = tenancy.require_organization_id()
    # The organization's side of each invoice; the wall says which of them it sees.
    statement = statement.where(
        or_(
            Invoice.vendor_organization_id == organization_id,
            Invoice.client_organization_id == organization_id,
        )
    )
    if filters.side == SIDE_ISSUED:
        statement = statement.where(Invoice.vendor_organization_id == organization_id)
    elif filters.side == SIDE_RECEIVED:
        statement = statement.where(Invoice.client_organization_id == organization_id)
    if filters.status is not None:
        statement = statement.where(Invoice.status == filters.status)
    if filters.counterparty_id is not None:
        statement = statement.where(
            or_(
                and_(
                    Invoice.vendor_organization_id == organization_id,
                    Invoice.client_organization_id == filters.counterparty_id,
                ),
                and_(
                    Invoice.client_organization_id == organization_id,
                    Invoice.vendor_organization_id == filters.counterparty_id,
                ),
            )
        )
    if filters.period_from is not None:
        statement = statement.where(Invoice.period_start >= filters.period_from)
    if filters.period_to is not None:
        statement = statement.where(Invoice.period_start <= filters.period_to)
    if filters.overdue:
        statement = statement.where(overdue_clause(today))
    return statement


def invoices_statement(filters: InvoiceFilters, today: date) -> Select:
    """The organization's invoices and credit notes (issued and received), newest first,
    with what a row shows loaded in the same statement."""
    statement = select(Invoice).options(
        joinedload(Invoice.vendor),
        joinedload(Invoice.client),
        joinedload(Invoice.credited_invoice),
    )
    return _filtered(statement, filters, today).order_by(Invoice.id.desc())


def invoices(filters: InvoiceFilters, today: date, page: int | None) -> Page:
    return paginate(invoices_statement(filters, today), page)


def all_invoices(filters: InvoiceFilters, today: date) -> Iterator[Invoice]:
    """Every invoice of the filtered list (the CSV export), read in batches."""
    statement = invoices_statement(filters, today).execution_options(yield_per=500)
    yield from db.session.scalars(statement)


@dataclass(frozen=True)
class CurrencyTotal:
    """The filtered list's issued invoices in one currency (credit notes are counted
    through ``credited``: they reduce the invoices they correct)."""

    currency: str
    count: int
    gross: Decimal
    credited: Decimal
    paid: Decimal
    balance: Decimal


def totals(filters: InvoiceFilters, today: date) -> list[CurrencyTotal]:
    """Totals of the filtered list per currency, summed in SQL; drafts are not counted."""
    statement = (
        select(
            Invoice.currency,
            func.count(Invoice.id),
            func.coalesce(func.sum(Invoice.gross_total), 0),
            func.coalesce(func.sum(Invoice.amount_credited), 0),
            func.coalesce(func.sum(Invoice.amount_paid), 0),
            func.coalesce(func.sum(_due_column()), 0),
        )
        .where(Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED_STATUSES))
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    rows = db.session.execute(_filtered(statement, filters, today)).all()
    return [
        CurrencyTotal(
            currency=currency,
            count=count,
            gross=round_money(Decimal(gross), currency),
            credited=round_money(Decimal(credited), currency),
            paid=round_money(Decimal(paid), currency),
            balance=round_money(Decimal(balance), currency),
        )
        for currency, count, gross, credited, paid, balance in rows
    ]


def counterparties() -> list[Organization]:
    """The organizations on the other side of the current organization's invoices."""
    organization_id = tenancy.require_organization_id()
    clients = select(Invoice.client_organization_id).where(
        Invoice.vendor_organization_id == organization_id
    )
    vendors = select(Invoice.vendor_organization_id).where(
        Invoice.client_organization_id == organization_id
    )
    statement = (
        select(Organization)
        .where(or_(Organization.id.in_(clients), Organization.id.in_(vendors)))
        .order_by(Organization.name, Organization.id)
    )
    return list(db.session.scalars(statement))


# --- Accepted reports without an invoice ---------------------------------------------------


def _not_invoiced() -> ColumnElement[bool]:
    billed = aliased(Invoice)
    return ~exists(
        select(billed.id).where(
            billed.report_id == DeliveryReport.id,
            billed.kind == InvoiceKind.INVOICE,
            billed.status != InvoiceStatus.CANCELLED,
        )
    )


def reports_to_invoice_statement() -> Select:
    """The vendor's accepted delivery reports that no invoice (but a cancelled draft) bills."""
    organization_id = tenancy.require_organization_id()
    return (
        select(DeliveryReport)
        .join(DeliveryReport.contract)
        .where(
            DeliveryReport.vendor_organization_id == organization_id,
            DeliveryReport.status == ReportStatus.ACCEPTED,
            _not_invoiced(),
        )
        .options(joinedload(DeliveryReport.contract).joinedload(Contract.client))
        .order_by(DeliveryReport.period, Contract.title, DeliveryReport.id)
    )


def reports_to_invoice(limit: int | None = None) -> list[DeliveryReport]:
    statement = reports_to_invoice_statement()
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def reports_to_invoice_count() -> int:
    statement = select(func.count()).select_from(
        reports_to_invoice_statement().order_by(None).subquery()
    )
    return db.session.scalar(statement) or 0

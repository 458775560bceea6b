"""The overdue job: tell both parties, once, of each invoice past its due date.

Pages compute "overdue" from dates (``billing.queries.lists.overdue_clause``);
this job only tells people. It runs outside any request across every
organization (``flask billing run-due``). An invoice once told has its
``overdue_notified_at`` set by a conditional UPDATE, so a second run, or two
runs at the same moment, tell nobody twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from billing import INVOICE_APPROVERS, INVOICE_ISSUERS
from billing.models import Invoice
from billing.operations.review import record_for_both
from billing.queries.lists import amount_due, overdue_clause
from portal import db, tenancy
from portal.audit_log.labels import ACTION_LABELS
from portal.notifications.service import link_to, notify_organization

log = logging.getLogger(__name__)

ACTION_LABELS.update({"invoice.overdue": _l("Invoice overdue: both parties told")})


def notify_overdue_invoices(now: datetime) -> int:
    """Tell the client and the vendor of each newly overdue invoice; return how many."""
    today = now.date()
    statement = tenancy.across_tenants(
        select(Invoice.id, Invoice.vendor_organization_id)
        .where(overdue_clause(today), Invoice.overdue_notified_at.is_(None))
        .order_by(Invoice.id)
    )
    told = 0
    for invoice_id, vendor_id in db.session.execute(statement).all():
        with tenancy.organization_context(vendor_id):
            claimed = db.session.execute(
                update(Invoice)
                .where(
                    Invoice.id == invoice_id,
                    Invoice.overdue_notified_at.is_(None),
                    overdue_clause(today),
                )
                .values(overdue_notified_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                continue  # told by another run, or paid, meanwhile
            invoice = db.session.scalars(select(Invoice).where(Invoice.id == invoice_id)).one()
            db.session.refresh(invoice)
            _tell_both(invoice)
            record_for_both(
                "invoice.overdue",
                invoice,
                None,
                before={"overdue_notified_at": None},
                after={
                    "overdue_notified_at": now.isoformat(),
                    "due_date": invoice.due_date.isoformat(),
                    "balance_due": str(amount_due(invoice)),
                },
            )
            told += 1
    if told:
        log.info("%d overdue invoice(s) told", told)
    return told


def _tell_both(invoice: Invoice) -> None:
    link = link_to("billing.invoice", invoice_id=invoice.id)
    due = amount_due(invoice)
    notify_organization(
        invoice.client_organization_id,
        INVOICE_APPROVERS,
        "invoice.overdue",
        _l("Invoice overdue: %(number)s", number=invoice.number),
        _l(
            "Invoice %(number)s from %(vendor)s was due on %(due_date)s; %(due)s %(currency)s "
            "is still to pay. Late-payment penalties may apply.",
            number=invoice.number,
            vendor=invoice.vendor.name,
            due_date=invoice.due_date.isoformat(),
            due=due,
            currency=invoice.currency,
        ),
        link,
    )
    notify_organization(
        invoice.vendor_organization_id,
        INVOICE_ISSUERS,
        "invoice.overdue",
        _l("Invoice overdue: %(number)s", number=invoice.number),
        _l(
            "Your invoice %(number)s to %(client)s was due on %(due_date)s; %(due)s %(currency)s "
            "is still unpaid.",
            number=invoice.number,
            client=invoice.client.name,
            due_date=invoice.due_date.isoformat(),
            due=due,
            currency=invoice.currency,
        ),
        link,
    )

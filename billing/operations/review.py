"""The client's review of an issued invoice: approve it, or dispute it with a reason.

A captive centre's internal chargeback (contract VAT treatment ``internal``)
is never paid: approving it settles it. A disputed invoice is settled by the
vendor's credit note, or approved once the client agrees after all. Credit
notes are not reviewed: they only inform the client.

Status moves are conditional UPDATEs naming the status read, so a form sent
twice (a double click, an API retry) is applied once; the second time raises
``AlreadyDone``. Each move is written in both parties' audit logs and the
vendor's invoicing people are told.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from billing import INVOICE_ISSUERS
from billing.models import INVOICE_TRANSITIONS, Invoice, InvoiceKind, InvoiceStatus
from billing.queries.lists import is_captive
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import User
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "invoice.approved": _l("Invoice approved"),
        "invoice.disputed": _l("Invoice disputed"),
        "invoice.settled": _l("Internal chargeback approved and settled"),
    }
)
TARGET_LABELS.update({"Invoice": _l("Invoice")})

REVIEW_FIELDS = ("number", "status", "approved_at", "disputed_at", "dispute_reason", "settled_at")
MAX_DISPUTE_REASON = 4000
#: What the client may still approve.
APPROVABLE = (InvoiceStatus.ISSUED, InvoiceStatus.DISPUTED)


class ReviewRuleError(RuleError):
    """A review of an invoice that the rules refuse."""


class AlreadyDone(ReviewRuleError):
    """The review was already made (a form or API call sent twice): nothing to do."""


def _summary(invoice: Invoice) -> str:
    return f"{invoice.number} · {invoice.client.name} ← {invoice.vendor.name}"


def record_for_both(
    action: str, invoice: Invoice, actor: User | None, *, before: dict, after: dict
) -> None:
    """The event in the issuer's log and in the recipient's."""
    audit.record_for_parties(
        action,
        invoice,
        (invoice.client_organization_id, invoice.vendor_organization_id),
        actor=actor,
        before=before,
        after=after,
        summary=_summary(invoice),
    )


def _ensure_reviewable(invoice: Invoice) -> None:
    if invoice.client_organization_id != tenancy.require_organization_id():
        raise ReviewRuleError(_l("Only the client approves or disputes an invoice."))
    if invoice.kind is not InvoiceKind.INVOICE:
        raise ReviewRuleError(_l("A credit note is not approved or disputed: it informs you."))


def _claim(invoice: Invoice, expected: InvoiceStatus, **values: Any) -> bool:
    """Change the invoice only if it still has the ``expected`` status; False when not."""
    result = db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    return result.rowcount == 1


def _tell_vendor(invoice: Invoice, kind: str, title, body) -> None:
    notify_organization(
        invoice.vendor_organization_id,
        INVOICE_ISSUERS,
        kind,
        title,
        body,
        link_to("billing.invoice", invoice_id=invoice.id),
    )


def approve_invoice(actor: User | None, invoice: Invoice) -> Invoice:
    """Approve an issued or disputed invoice; a captive chargeback is settled at once."""
    _ensure_reviewable(invoice)
    captive = is_captive(invoice)
    done = InvoiceStatus.SETTLED if captive else InvoiceStatus.APPROVED
    if invoice.status is done:
        raise AlreadyDone(
            _l("This chargeback is already settled.")
            if captive
            else _l("This invoice is already approved.")
        )
    current = InvoiceStatus(invoice.status)
    if current not in APPROVABLE:
        raise ReviewRuleError(_l("Only an issued or disputed invoice can be approved."))
    # A disputed chargeback is settled through its approval (disputed → approved →
    # settled, in one UPDATE): the table of transitions has no shorter way.
    if done not in INVOICE_TRANSITIONS[current] and not (
        InvoiceStatus.APPROVED in INVOICE_TRANSITIONS[current]
        and done in INVOICE_TRANSITIONS[InvoiceStatus.APPROVED]
    ):
        raise ReviewRuleError(_l("Only an issued or disputed invoice can be approved."))
    before = audit.snapshot(invoice, REVIEW_FIELDS)
    now = utcnow()
    values: dict[str, Any] = {
        "status": done,
        "approved_at": now,
        "approved_by_id": getattr(actor, "id", None),
    }
    if captive:
        values["settled_at"] = now
    if not _claim(invoice, current, **values):
        if invoice.status is done:
            raise AlreadyDone(_l("This invoice was approved meanwhile."))
        raise ReviewRuleError(_l("This invoice has just changed; reload the page."))
    action = "invoice.settled" if captive else "invoice.approved"
    record_for_both(
        action, invoice, actor, before=before, after=audit.snapshot(invoice, REVIEW_FIELDS)
    )
    if captive:
        _tell_vendor(
            invoice,
            "invoice.settled",
            _l("Chargeback settled: %(number)s", number=invoice.number),
            _l(
                "%(client)s approved your internal chargeback %(number)s: it is settled, "
                "no payment follows.",
                client=invoice.client.name,
                number=invoice.number,
            ),
        )
    else:
        _tell_vendor(
            invoice,
            "invoice.approved",
            _l("Invoice approved: %(number)s", number=invoice.number),
            _l(
                "%(client)s approved your invoice %(number)s.",
                client=invoice.client.name,
                number=invoice.number,
            ),
        )
    log.info("user %s %s invoice %s", getattr(actor, "id", None), action, invoice.id)
    return invoice


def dispute_invoice(actor: User | None, invoice: Invoice, reason: str | None) -> Invoice:
    """Dispute an issued invoice, saying why; the vendor answers with a credit note."""
    _ensure_reviewable(invoice)
    if invoice.status is InvoiceStatus.DISPUTED:
        raise AlreadyDone(_l("This invoice is already disputed."))
    if invoice.status is not InvoiceStatus.ISSUED:
        raise ReviewRuleError(_l("Only an issued invoice that is not approved can be disputed."))
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRuleError(_l("Say why you dispute the invoice."), "reason")
    if len(reason) > MAX_DISPUTE_REASON:
        raise ReviewRuleError(
            _l("Keep the reason under %(count)s characters.", count=MAX_DISPUTE_REASON), "reason"
        )
    before = audit.snapshot(invoice, REVIEW_FIELDS)
    now = utcnow()
    if not _claim(
        invoice,
        InvoiceStatus.ISSUED,
        status=InvoiceStatus.DISPUTED,
        disputed_at=now,
        disputed_by_id=getattr(actor, "id", None),
        dispute_reason=reason,
    ):
        if invoice.status is InvoiceStatus.DISPUTED:
            raise AlreadyDone(_l("This invoice was disputed meanwhile."))
        raise ReviewRuleError(_l("This invoice has just changed; reload the page."))
    record_for_both(
        "invoice.disputed",
        invoice,
        actor,
        before=before,
        after=audit.snapshot(invoice, REVIEW_FIELDS),
    )
    _tell_vendor(
        invoice,
        "invoice.disputed",
        _l("Invoice disputed: %(number)s", number=invoice.number),
        _l(
            "%(client)s disputed your invoice %(number)s: %(reason)s Answer with a credit note, "
            "or agree with the client that it approves the invoice.",
            client=invoice.client.name,
            number=invoice.number,
            reason=reason,
        ),
    )
    log.info("user %s disputed invoice %s", getattr(actor, "id", None), invoice.id)
    return invoice

"""Payments the vendor records by hand: a bank transfer received against an issued invoice.

Partial payments are allowed, never more than the balance due (the total less
credit notes and earlier payments); the payment that reaches it makes the
invoice paid. Drafts, credit notes, captive chargebacks (settled on approval,
never paid) and invoices with nothing left to pay are refused.

A form sent twice records one payment. The form carries the amount already
paid as the page showed it (``paid_before``), and the payment is applied by a
conditional UPDATE naming the amounts and status read: the second submission of
the same form finds the invoice changed and is refused (``AlreadyRecorded``
when the same payment is on the invoice by then). The same UPDATE keeps two
payments arriving together (a transfer and a card payment) from overpaying.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from billing import INVOICE_APPROVERS
from billing.models import (
    OPEN_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from billing.operations.review import record_for_both
from billing.queries.lists import amount_due, is_captive
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.i18n import money
from portal.models import User
from portal.money import round_money
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError

log = logging.getLogger(__name__)

ACTION_LABELS.update({"invoice.payment_recorded": _l("Bank transfer recorded")})
TARGET_LABELS.update({"Invoice": _l("Invoice")})

MAX_REFERENCE = 140
PAYMENT_FIELDS = ("number", "status", "amount_paid", "amount_credited", "paid_at")


class PaymentRuleError(RuleError):
    """A payment that the rules refuse."""


class AlreadyRecorded(PaymentRuleError):
    """The same payment was just recorded (a form sent twice): nothing to do."""


def payable_refusal(invoice: Invoice):
    """Why no payment can be recorded on the invoice, or None when one can."""
    if invoice.kind is not InvoiceKind.INVOICE:
        return _l("A credit note is not paid.")
    if not invoice.is_issued:
        return _l("Only an issued invoice is paid.")
    if is_captive(invoice):
        return _l("An internal chargeback is settled when the client approves it: nothing is paid.")
    if invoice.status not in OPEN_STATUSES or amount_due(invoice) <= 0:
        return _l("Nothing is left to pay on this invoice.")
    return None


def _same_payment(invoice: Invoice, amount: Decimal, received_on: date, reference: str) -> bool:
    return any(
        payment.kind is PaymentKind.MANUAL
        and payment.status is PaymentStatus.SUCCEEDED
        and payment.amount == amount
        and payment.received_on == received_on
        and payment.reference == reference
        for payment in invoice.payments
    )


def _checked(invoice: Invoice, data: Mapping[str, Any], today: date) -> tuple[Decimal, date, str]:
    currency = invoice.currency
    amount = data.get("amount")
    if amount is None:
        raise PaymentRuleError(_l("Enter the amount received."), "amount")
    amount = Decimal(amount)
    if amount <= 0:
        raise PaymentRuleError(_l("The amount must be more than zero."), "amount")
    if round_money(amount, currency) != amount:
        raise PaymentRuleError(
            _l("This amount has more decimals than %(currency)s has.", currency=currency), "amount"
        )
    due = amount_due(invoice)
    if amount > due:
        raise PaymentRuleError(
            _l("This is more than the balance due (%(due)s).", due=money(due, currency)),
            "amount",
        )
    received_on = data.get("received_on")
    if received_on is None:
        raise PaymentRuleError(_l("Enter the day the transfer was received."), "received_on")
    if received_on > today:
        raise PaymentRuleError(_l("The day received cannot be in the future."), "received_on")
    reference = (data.get("reference") or "").strip()
    if len(reference) > MAX_REFERENCE:
        raise PaymentRuleError(
            _l("Keep the reference under %(count)s characters.", count=MAX_REFERENCE), "reference"
        )
    return amount, received_on, reference


def _changed(invoice: Invoice, amount: Decimal, received_on: date, reference: str):
    if _same_payment(invoice, amount, received_on, reference):
        return AlreadyRecorded(_l("This payment is already recorded."))
    return PaymentRuleError(
        _l(
            "The invoice changed since you opened the form (a payment or a credit note was "
            "recorded): check the balance due and try again."
        )
    )


def record_payment(actor: User | None, invoice: Invoice, data: Mapping[str, Any]) -> Payment:
    """Record a bank transfer received against the invoice; paid when the balance reaches zero.

    ``data``: ``received_on``, ``amount``, ``reference`` and, from the form,
    ``paid_before`` (the amount paid as the form showed it).
    """
    if invoice.vendor_organization_id != tenancy.require_organization_id():
        raise PaymentRuleError(_l("Only the vendor records the payments of its invoices."))
    paid_before = data.get("paid_before")
    if paid_before is not None and Decimal(paid_before) != invoice.amount_paid:
        # Sent twice, or opened before another payment: whatever it says, not again.
        raise _changed(
            invoice,
            data.get("amount"),
            data.get("received_on"),
            (data.get("reference") or "").strip(),
        )
    refusal = payable_refusal(invoice)
    if refusal is not None:
        raise PaymentRuleError(refusal)
    amount, received_on, reference = _checked(invoice, data, utcnow().date())
    before = audit.snapshot(invoice, PAYMENT_FIELDS)
    current = InvoiceStatus(invoice.status)
    paid = invoice.amount_paid + amount
    values: dict[str, Any] = {"amount_paid": paid}
    if paid == invoice.gross_total - invoice.amount_credited:
        values.update(status=InvoiceStatus.PAID, paid_at=utcnow())
    result = db.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status == current,
            Invoice.amount_paid == invoice.amount_paid,
            Invoice.amount_credited == invoice.amount_credited,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    if result.rowcount != 1:
        raise _changed(invoice, amount, received_on, reference)
    payment = Payment(
        kind=PaymentKind.MANUAL,
        status=PaymentStatus.SUCCEEDED,
        amount=amount,
        currency=invoice.currency,
        received_on=received_on,
        reference=reference,
        recorded_by_id=getattr(actor, "id", None),
    )
    invoice.payments.append(payment)
    db.session.flush()
    after = audit.snapshot(invoice, PAYMENT_FIELDS)
    after["payment"] = {
        "id": payment.id,
        "amount": str(amount),
        "currency": invoice.currency,
        "received_on": received_on.isoformat(),
        "reference": reference,
    }
    record_for_both("invoice.payment_recorded", invoice, actor, before=before, after=after)
    _tell_client(invoice, amount)
    log.info(
        "user %s recorded a payment of %s %s on invoice %s",
        getattr(actor, "id", None),
        amount,
        invoice.currency,
        invoice.id,
    )
    return payment


def _tell_client(invoice: Invoice, amount: Decimal) -> None:
    if invoice.status is InvoiceStatus.PAID:
        title = _l("Invoice paid: %(number)s", number=invoice.number)
        body = _l(
            "%(vendor)s recorded your transfer of %(amount)s %(currency)s: invoice %(number)s is "
            "paid.",
            vendor=invoice.vendor.name,
            amount=amount,
            currency=invoice.currency,
            number=invoice.number,
        )
    else:
        title = _l("Payment recorded: %(number)s", number=invoice.number)
        body = _l(
            "%(vendor)s recorded your transfer of %(amount)s %(currency)s on invoice %(number)s. "
            "Balance due: %(due)s %(currency)s.",
            vendor=invoice.vendor.name,
            amount=amount,
            currency=invoice.currency,
            number=invoice.number,
            due=amount_due(invoice),
        )
    notify_organization(
        invoice.client_organization_id,
        INVOICE_APPROVERS,
        "invoice.payment_recorded",
        title,
        body,
        link_to("billing.invoice", invoice_id=invoice.id),
    )

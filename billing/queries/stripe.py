"""What Stripe pages and the invoice page read: a vendor's account, whether an invoice
can be paid through Stripe now, and its checkout attempts."""

from __future__ import annotations

import enum

from sqlalchemy import select

from billing import stripe_gateway as gateway
from billing.models import (
    CheckoutAttempt,
    CheckoutStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    StripeAccount,
)
from contracts.models import VatTreatment
from portal import db, tenancy

#: The statuses in which a client may pay an invoice through Stripe.
PAYABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.APPROVED)


class StripeOffer(enum.StrEnum):
    """What the invoice page offers its client about Stripe."""

    #: The "Pay with Stripe" button.
    PAY = "pay"
    #: A payment was made and Stripe has not confirmed it yet (SEPA takes days).
    PROCESSING = "processing"


def account_of(organization_id: int) -> StripeAccount | None:
    """An organization's connected account (read across tenants: the payer is the client)."""
    statement = tenancy.across_tenants(
        select(StripeAccount).where(StripeAccount.organization_id == organization_id)
    )
    return db.session.scalars(statement).one_or_none()


def latest_attempt(invoice: Invoice) -> CheckoutAttempt | None:
    statement = (
        select(CheckoutAttempt)
        .where(CheckoutAttempt.invoice_id == invoice.id)
        .order_by(CheckoutAttempt.attempt.desc())
        .limit(1)
    )
    return db.session.scalars(statement).first()


def has_payment(attempt: CheckoutAttempt) -> bool:
    """Whether the money of this attempt arrived (refunded since or not)."""
    if attempt.payment_intent_id is None:
        return False
    statement = select(Payment.id).where(
        Payment.stripe_payment_intent_id == attempt.payment_intent_id
    )
    return db.session.scalar(statement) is not None


def is_processing(attempt: CheckoutAttempt | None) -> bool:
    """The client paid on Stripe's page and Stripe has not confirmed nor refused it yet."""
    return (
        attempt is not None
        and attempt.status == CheckoutStatus.COMPLETE
        and not has_payment(attempt)
    )


def is_payable(invoice: Invoice) -> bool:
    """An issued or approved invoice with money left to pay, not a captive chargeback."""
    return (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.status in PAYABLE_STATUSES
        and invoice.balance_due > 0
        and invoice.vat_treatment != VatTreatment.INTERNAL
    )


def stripe_offer(invoice: Invoice) -> StripeOffer | None:
    """What the invoice's client is offered; None when Stripe is not an option at all."""
    if not gateway.is_configured():
        return None
    if invoice.client_organization_id != tenancy.current_organization_id():
        return None
    if not is_payable(invoice):
        return None
    account = account_of(invoice.vendor_organization_id)
    if account is None or not account.charges_enabled:
        return None
    if is_processing(latest_attempt(invoice)):
        return StripeOffer.PROCESSING
    return StripeOffer.PAY

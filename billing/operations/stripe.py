"""Payments through Stripe: a vendor's Connect account, a client's Checkout, and the
webhook events that say what happened to the money.

The vendor issues the legal invoice, so it is the merchant of record: the
client pays by a direct charge on the vendor's connected account, the
platform taking its fee (``STRIPE_APPLICATION_FEE_PERCENT``) as the
application fee. The account charged always comes from the vendor's stored
``StripeAccount``, never from a request.

A click on "Pay" opens a numbered ``CheckoutAttempt`` whose idempotency key
(``invoice-<id>-attempt-<n>``) is sent to Stripe: a double click (or a retry
after a lost answer) gets the same session, and the open attempt is reused
until it expires, fails or no longer matches the balance.

An invoice becomes paid only from a verified webhook event, never from the
page the client comes back to. Each event is recorded (``StripeEvent``) in the
same transaction as its effect, so a duplicate is applied once. Events may
come in any order: the payment is keyed by its payment intent (unique), so
``payment_intent.succeeded`` and ``checkout.session.completed`` record it once
whichever comes first, and a failure reported after a success changes nothing.
A refund takes its amount off what was paid (``charge.refunded`` carries the
total refunded so far, so a late or repeated one changes nothing): a partly
refunded payment keeps the net amount, a fully refunded one is marked
refunded (its amount stays as received), and a paid invoice is open again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from billing import INVOICE_APPROVERS, INVOICE_ISSUERS
from billing import stripe_gateway as gateway
from billing.models import (
    INVOICE_TRANSITIONS,
    CheckoutAttempt,
    CheckoutStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    StripeAccount,
    StripeEvent,
)
from billing.queries import stripe as queries
from billing.rules import to_minor_units
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import Organization, Role, User
from portal.money import minor_unit
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "stripe.account_created": _l("Stripe account connected"),
        "stripe.account_updated": _l("Stripe account status changed"),
        "invoice.checkout_started": _l("Stripe payment page opened"),
        "invoice.stripe_payment_processing": _l("Stripe payment processing"),
        "invoice.stripe_payment_received": _l("Stripe payment received"),
        "invoice.stripe_payment_failed": _l("Stripe payment failed"),
        "invoice.stripe_payment_refunded": _l("Stripe payment refunded"),
    }
)
TARGET_LABELS.update({"StripeAccount": _l("Stripe account")})

#: How long a Checkout session is reused; Stripe expires it after 24 hours.
SESSION_REUSE = timedelta(hours=23)
HUNDRED = Decimal(100)


class StripeRuleError(RuleError):
    """A Stripe action the rules refuse (or Stripe could not carry out)."""


def _unavailable() -> StripeRuleError:
    return StripeRuleError(_l("Stripe could not be reached. Try again in a moment."))


def _ensure_configured() -> None:
    if not gateway.is_configured():
        raise StripeRuleError(_l("Stripe payments are not configured on this platform."))


# --- Connect (the vendor) -----------------------------------------------------------------

ACCOUNT_FIELDS = ("account_id", "charges_enabled", "details_submitted")


def connect_account(actor: User, organization: Organization) -> StripeAccount:
    """Create the organization's connected account at Stripe, once; return it."""
    _ensure_configured()
    if organization.id != tenancy.require_organization_id() or not organization.is_vendor:
        raise StripeRuleError(_l("Only a vendor connects a Stripe account."))
    # Two clicks at once: the second waits here and finds the first one's account.
    db.session.execute(
        select(Organization.id).where(Organization.id == organization.id).with_for_update()
    )
    account = db.session.scalars(select(StripeAccount)).one_or_none()
    if account is not None:
        return account
    try:
        data = gateway.create_account(
            country=organization.country,
            organization_id=organization.id,
            idempotency_key=f"organization-{organization.id}-connect",
        )
    except gateway.StripeUnavailable:
        raise _unavailable() from None
    account = StripeAccount(
        account_id=data["id"],
        charges_enabled=bool(data.get("charges_enabled")),
        details_submitted=bool(data.get("details_submitted")),
    )
    db.session.add(account)
    audit.record(
        "stripe.account_created",
        account,
        actor=actor,
        after=audit.snapshot(account, ACCOUNT_FIELDS),
        summary=account.account_id,
    )
    log.info("organization %s connected Stripe account %s", organization.id, account.account_id)
    return account


def onboarding_url(account: StripeAccount, *, refresh_url: str, return_url: str) -> str:
    """Where the vendor completes its account at Stripe (a single-use link)."""
    _ensure_configured()
    try:
        return gateway.onboarding_link(
            account.account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.StripeUnavailable:
        raise _unavailable() from None


def refresh_account(actor: User | None, account: StripeAccount) -> StripeAccount:
    """Ask Stripe what the account can do now, and keep it."""
    _ensure_configured()
    try:
        data = gateway.retrieve_account(account.account_id)
    except gateway.StripeUnavailable:
        raise _unavailable() from None
    _apply_account_state(account, data, actor)
    return account


def _apply_account_state(account: StripeAccount, data: dict, actor: User | None) -> None:
    before = audit.snapshot(account, ACCOUNT_FIELDS)
    could_charge = account.charges_enabled
    account.charges_enabled = bool(data.get("charges_enabled"))
    account.details_submitted = bool(data.get("details_submitted"))
    after = audit.snapshot(account, ACCOUNT_FIELDS)
    if after == before:
        return
    audit.record(
        "stripe.account_updated",
        account,
        actor=actor,
        before=before,
        after=after,
        summary=account.account_id,
        organization_id=account.organization_id,
    )
    if account.charges_enabled and not could_charge:
        notify_organization(
            account.organization_id,
            (Role.ADMIN, Role.FINANCE),
            "stripe.charges_enabled",
            _l("Stripe payments are on"),
            _l("Your clients can now pay your invoices by card or SEPA Direct Debit."),
            link_to("billing.stripe_settings"),
        )


# --- Checkout (the client) ----------------------------------------------------------------


def application_fee_minor(amount_minor: int) -> int:
    """The platform's fee on an amount, in minor units, rounded half-up."""
    percent = Decimal(current_app.config.get("STRIPE_APPLICATION_FEE_PERCENT") or 0)
    fee = (Decimal(amount_minor) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(fee)


def _payment_method_types(currency: str) -> list[str]:
    # SEPA Direct Debit collects euros only.
    return ["card", "sepa_debit"] if currency.upper() == "EUR" else ["card"]


def _lock(invoice: Invoice) -> Invoice:
    """Reload the invoice holding its row: payments of one invoice happen one at a time."""
    statement = (
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def _close(attempt: CheckoutAttempt) -> bool:
    """Make sure nobody can still pay the attempt's session; False if it may be paid already.

    An open session is expired at Stripe; a session that completed without the
    webhook having said so yet (the client paid a moment ago) must not be
    doubled by a new one.
    """
    if attempt.session_id is None:
        attempt.status = CheckoutStatus.EXPIRED
        return True
    try:
        session = gateway.retrieve_checkout_session(attempt.account_id, attempt.session_id)
        if session.get("status") == "open":
            try:
                session = gateway.expire_checkout_session(attempt.account_id, attempt.session_id)
            except gateway.StripeUnavailable:
                # It completed in between: read what it became.
                session = gateway.retrieve_checkout_session(attempt.account_id, attempt.session_id)
    except gateway.StripeUnavailable:
        raise _unavailable() from None
    status = session.get("status")
    if status == "expired":
        if attempt.status == CheckoutStatus.OPEN:
            attempt.status = CheckoutStatus.EXPIRED
        return True
    # Complete: fine if its payment failed (or was recorded), not while it may be paying.
    return attempt.status == CheckoutStatus.FAILED or queries.has_payment(attempt)


def start_checkout(
    actor: User, invoice: Invoice, *, success_url: str, cancel_url: str
) -> CheckoutAttempt:
    """Open (or reuse) the Checkout session that pays the invoice's balance."""
    _ensure_configured()
    if invoice.client_organization_id != tenancy.require_organization_id():
        raise StripeRuleError(_l("Only the client pays an invoice."))
    invoice = _lock(invoice)
    if not queries.is_payable(invoice):
        raise StripeRuleError(_l("This invoice cannot be paid through Stripe."))
    # The account charged comes from the vendor's record, and from nowhere else.
    account = queries.account_of(invoice.vendor_organization_id)
    if account is None or not account.charges_enabled:
        raise StripeRuleError(_l("This vendor does not take Stripe payments yet."))
    amount_minor = to_minor_units(invoice.balance_due, invoice.currency)

    latest = queries.latest_attempt(invoice)
    if latest is not None:
        if queries.is_processing(latest):
            raise StripeRuleError(_l("A payment of this invoice is being processed."))
        reusable = (
            latest.status == CheckoutStatus.OPEN
            and latest.url
            and latest.amount_minor == amount_minor
            and latest.account_id == account.account_id
            and latest.created_at > utcnow() - SESSION_REUSE
        )
        if reusable:
            return latest
        if latest.status in (CheckoutStatus.OPEN, CheckoutStatus.FAILED) and not _close(latest):
            raise StripeRuleError(_l("A payment of this invoice is being processed."))

    number = (latest.attempt if latest is not None else 0) + 1
    attempt = CheckoutAttempt(
        invoice_id=invoice.id,
        attempt=number,
        account_id=account.account_id,
        status=CheckoutStatus.OPEN,
        amount_minor=amount_minor,
        application_fee_minor=application_fee_minor(amount_minor),
        created_by_id=actor.id,
    )
    metadata = {
        "invoice_id": str(invoice.id),
        "invoice_number": invoice.number or "",
        "attempt": str(number),
    }
    savepoint = db.session.begin_nested()
    try:
        db.session.add(attempt)
        db.session.flush()
        session = gateway.create_checkout_session(
            account_id=account.account_id,
            currency=invoice.currency,
            amount_minor=amount_minor,
            application_fee_minor=attempt.application_fee_minor,
            description=str(_l("Invoice %(number)s", number=invoice.number)),
            metadata=metadata,
            payment_method_types=_payment_method_types(invoice.currency),
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"invoice-{invoice.id}-attempt-{number}",
        )
    except gateway.StripeUnavailable:
        # Nothing of this attempt stays: the next click retries it under the same key.
        savepoint.rollback()
        raise _unavailable() from None
    except IntegrityError:
        savepoint.rollback()
        raise StripeRuleError(_l("A payment of this invoice is being opened.")) from None
    savepoint.commit()
    attempt.session_id = session["id"]
    attempt.url = session.get("url")
    attempt.payment_intent_id = session.get("payment_intent")
    _record_for_both(
        "invoice.checkout_started",
        invoice,
        actor,
        after={"attempt": number, "amount_minor": amount_minor, "session_id": attempt.session_id},
    )
    log.info("user %s opened checkout %s for invoice %s", actor.id, number, invoice.id)
    return attempt


# --- Webhook events -----------------------------------------------------------------------


def _record_for_both(action: str, invoice: Invoice, actor: User | None, **fields) -> None:
    summary = f"{invoice.number} · {invoice.vendor.name} → {invoice.client.name}"
    audit.record_for_parties(
        action,
        invoice,
        (invoice.vendor_organization_id, invoice.client_organization_id),
        actor=actor,
        summary=summary,
        **fields,
    )


def _notify_both(invoice: Invoice, kind: str, title, body) -> None:
    link = link_to("billing.invoice", invoice_id=invoice.id)
    notify_organization(invoice.vendor_organization_id, INVOICE_ISSUERS, kind, title, body, link)
    notify_organization(invoice.client_organization_id, INVOICE_APPROVERS, kind, title, body, link)


def _from_minor_units(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)) * minor_unit(currency)


def _invoice_of(attempt: CheckoutAttempt) -> Invoice:
    """The attempt's invoice, across tenants (a webhook has no organization), row held."""
    statement = tenancy.across_tenants(
        select(Invoice)
        .where(Invoice.id == attempt.invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def _ours(attempt: CheckoutAttempt | None, event: dict) -> CheckoutAttempt | None:
    """The attempt, if the event comes from the very account it charged."""
    if attempt is None or attempt.account_id != event.get("account"):
        return None
    return attempt


def _attempt_from_metadata(metadata: dict | None) -> CheckoutAttempt | None:
    metadata = metadata or {}
    try:
        invoice_id, number = int(metadata["invoice_id"]), int(metadata["attempt"])
    except (KeyError, TypeError, ValueError):
        return None
    statement = select(CheckoutAttempt).where(
        CheckoutAttempt.invoice_id == invoice_id, CheckoutAttempt.attempt == number
    )
    return db.session.scalars(statement).one_or_none()


def _attempt_of_session(session: dict, event: dict) -> CheckoutAttempt | None:
    statement = select(CheckoutAttempt).where(CheckoutAttempt.session_id == session.get("id"))
    attempt = db.session.scalars(statement).one_or_none()
    return _ours(attempt or _attempt_from_metadata(session.get("metadata")), event)


def _attempt_of_intent(intent_id: str | None, metadata: dict | None, event: dict):
    attempt = None
    if intent_id:
        statement = select(CheckoutAttempt).where(CheckoutAttempt.payment_intent_id == intent_id)
        attempt = db.session.scalars(statement).first()
    return _ours(attempt or _attempt_from_metadata(metadata), event)


def _received_on(event: dict):
    return datetime.fromtimestamp(int(event["created"]), UTC).date()


def _record_payment(
    attempt: CheckoutAttempt,
    intent_id: str | None,
    amount_minor: int | None,
    currency: str | None,
    event: dict,
) -> None:
    """Record the money of a payment intent once, whichever event says it first."""
    if not intent_id or amount_minor is None:
        log.warning("stripe event %s: a payment without intent or amount", event["id"])
        return
    invoice = _invoice_of(attempt)
    attempt.payment_intent_id = intent_id
    attempt.status = CheckoutStatus.COMPLETE
    existing = db.session.scalar(
        select(Payment.id).where(Payment.stripe_payment_intent_id == intent_id)
    )
    if existing is not None:
        return
    if (currency or "").upper() != invoice.currency:
        log.error(
            "stripe event %s: paid in %s, invoice in %s", event["id"], currency, invoice.currency
        )
        return
    amount = _from_minor_units(amount_minor, invoice.currency)
    if amount <= 0:
        return
    if amount > invoice.balance_due:
        # The money was taken (a transfer recorded meanwhile?): it is recorded as received.
        log.warning("invoice %s: Stripe payment %s exceeds the balance", invoice.id, intent_id)
    before = audit.snapshot(invoice, ("status", "amount_paid"))
    db.session.add(
        Payment(
            invoice_id=invoice.id,
            kind=PaymentKind.STRIPE,
            status=PaymentStatus.SUCCEEDED,
            amount=amount,
            currency=invoice.currency,
            received_on=_received_on(event),
            reference=intent_id,
            stripe_payment_intent_id=intent_id,
        )
    )
    invoice.amount_paid += amount
    if (
        invoice.balance_due <= 0
        and InvoiceStatus.PAID in INVOICE_TRANSITIONS[InvoiceStatus(invoice.status)]
    ):
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = utcnow()
    _record_for_both(
        "invoice.stripe_payment_received",
        invoice,
        None,
        before=before,
        after={**audit.snapshot(invoice, ("status", "amount_paid")), "payment_intent": intent_id},
    )
    _notify_both(
        invoice,
        "invoice.payment_received",
        _l("Payment received: invoice %(number)s", number=invoice.number),
        _l(
            "Stripe confirmed a payment of %(amount)s %(currency)s.",
            amount=amount,
            currency=invoice.currency,
        ),
    )
    log.info("invoice %s: Stripe payment %s of %s recorded", invoice.id, intent_id, amount)


def _fail(attempt: CheckoutAttempt, event: dict) -> None:
    """The attempt's payment failed: the invoice is unchanged, the client may try again."""
    if attempt.status in (CheckoutStatus.FAILED, CheckoutStatus.EXPIRED):
        return
    if queries.has_payment(attempt):
        return  # a later try in the same session succeeded (events came out of order)
    invoice = _invoice_of(attempt)
    attempt.status = CheckoutStatus.FAILED
    _record_for_both(
        "invoice.stripe_payment_failed", invoice, None, after={"attempt": attempt.attempt}
    )
    _notify_both(
        invoice,
        "invoice.payment_failed",
        _l("Payment failed: invoice %(number)s", number=invoice.number),
        _l("Stripe reported that the payment failed. The invoice is still to be paid."),
    )


def _session_completed(event: dict) -> None:
    session = event["data"]["object"]
    attempt = _attempt_of_session(session, event)
    if attempt is None:
        return
    intent_id = session.get("payment_intent")
    if session.get("payment_status") == "paid":
        _record_payment(
            attempt, intent_id, session.get("amount_total"), session.get("currency"), event
        )
        return
    # "unpaid": a SEPA Direct Debit takes days; its outcome comes in a later event.
    if intent_id and attempt.payment_intent_id is None:
        attempt.payment_intent_id = intent_id
    if attempt.status == CheckoutStatus.OPEN:
        attempt.status = CheckoutStatus.COMPLETE
        _record_for_both(
            "invoice.stripe_payment_processing",
            _invoice_of(attempt),
            None,
            after={"attempt": attempt.attempt},
        )


def _session_payment_succeeded(event: dict) -> None:
    session = event["data"]["object"]
    attempt = _attempt_of_session(session, event)
    if attempt is not None:
        _record_payment(
            attempt,
            session.get("payment_intent"),
            session.get("amount_total"),
            session.get("currency"),
            event,
        )


def _session_payment_failed(event: dict) -> None:
    session = event["data"]["object"]
    attempt = _attempt_of_session(session, event)
    if attempt is not None:
        if session.get("payment_intent") and attempt.payment_intent_id is None:
            attempt.payment_intent_id = session["payment_intent"]
        _fail(attempt, event)


def _session_expired(event: dict) -> None:
    attempt = _attempt_of_session(event["data"]["object"], event)
    if attempt is not None and attempt.status == CheckoutStatus.OPEN:
        attempt.status = CheckoutStatus.EXPIRED


def _intent_succeeded(event: dict) -> None:
    intent = event["data"]["object"]
    attempt = _attempt_of_intent(intent.get("id"), intent.get("metadata"), event)
    if attempt is not None:
        amount = intent.get("amount_received") or intent.get("amount")
        _record_payment(attempt, intent["id"], amount, intent.get("currency"), event)


def _intent_failed(event: dict) -> None:
    intent = event["data"]["object"]
    attempt = _attempt_of_intent(intent.get("id"), intent.get("metadata"), event)
    if attempt is not None:
        if attempt.payment_intent_id is None:
            attempt.payment_intent_id = intent["id"]
        _fail(attempt, event)


def _charge_refunded(event: dict) -> None:
    charge = event["data"]["object"]
    intent_id = charge.get("payment_intent")
    attempt = _attempt_of_intent(intent_id, charge.get("metadata"), event)
    if attempt is None or not intent_id:
        return
    invoice = _invoice_of(attempt)
    payment = db.session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
    ).one_or_none()
    if payment is None:
        log.warning("stripe event %s: refund of a payment not recorded", event["id"])
        return
    # ``amount_refunded`` is the total refunded so far: what the payment still brings.
    remaining_minor = int(charge.get("amount_captured") or charge["amount"]) - int(
        charge.get("amount_refunded") or 0
    )
    remaining = max(_from_minor_units(remaining_minor, invoice.currency), Decimal(0))
    counted = payment.amount if payment.status == PaymentStatus.SUCCEEDED else Decimal(0)
    if remaining >= counted:
        return  # an older or repeated refund event
    before = audit.snapshot(invoice, ("status", "amount_paid"))
    invoice.amount_paid -= counted - remaining
    if remaining == 0:
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_at = utcnow()
    else:
        payment.amount = remaining
    if invoice.status == InvoiceStatus.PAID and invoice.balance_due > 0:
        invoice.status = InvoiceStatus.APPROVED if invoice.approved_at else InvoiceStatus.ISSUED
        invoice.paid_at = None
    _record_for_both(
        "invoice.stripe_payment_refunded",
        invoice,
        None,
        before=before,
        after={**audit.snapshot(invoice, ("status", "amount_paid")), "payment_intent": intent_id},
    )
    _notify_both(
        invoice,
        "invoice.payment_refunded",
        _l("Payment refunded: invoice %(number)s", number=invoice.number),
        _l(
            "Stripe refunded %(amount)s %(currency)s. The invoice is to be paid again.",
            amount=counted - remaining,
            currency=invoice.currency,
        ),
    )


def _account_updated(event: dict) -> None:
    account_id = event["data"]["object"].get("id")
    statement = tenancy.across_tenants(
        select(StripeAccount).where(StripeAccount.account_id == account_id)
    )
    account = db.session.scalars(statement).one_or_none()
    if account is None:
        return
    # Events may come out of order: Stripe's current state is the one kept. If Stripe
    # cannot be reached, the error answers 500 and Stripe sends the event again.
    _apply_account_state(account, gateway.retrieve_account(account.account_id), None)


EVENT_HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_payment_succeeded,
    "checkout.session.async_payment_failed": _session_payment_failed,
    "checkout.session.expired": _session_expired,
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "account.updated": _account_updated,
}


def apply_event(event: dict[str, Any]) -> bool:
    """Apply a verified Stripe event once; False when it was applied before.

    The event is recorded in the same transaction as its effect: if applying
    it fails, neither stays and Stripe sends it again.
    """
    if db.session.get(StripeEvent, event["id"]) is not None:
        return False
    savepoint = db.session.begin_nested()
    try:
        db.session.add(
            StripeEvent(
                id=event["id"],
                type=event["type"],
                created=datetime.fromtimestamp(int(event["created"]), UTC),
                payload=event,
            )
        )
        db.session.flush()
    except IntegrityError:
        # The same event, delivered twice at once, was recorded by the other delivery.
        savepoint.rollback()
        return False
    savepoint.commit()
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is not None:
        handler(event)
    log.info("stripe event %s (%s) applied", event["id"], event["type"])
    return True

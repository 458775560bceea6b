"""Stripe's webhook: only a verified event changes anything; each event applies once, in
the same transaction as its record; events out of order end in the right state;
failures and refunds are handled."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.models import (
    CheckoutAttempt,
    CheckoutStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    StripeEvent,
)
from portal import db
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants
from tests.billing import fake_stripe as fake
from tests.billing.fake_stripe import connect_vendor, deliver, event, signature

#: The default invoice of the factory: 40,000 + 20 % VAT.
GROSS = Decimal("48000.00")
GROSS_MINOR = 4_800_000

# The fake Stripe API's fixtures.
fake_stripe = fake.fake_stripe
stripe_platform = fake.stripe_platform


@pytest.fixture
def account_id(stripe_platform, vendor_org):
    return connect_vendor(stripe_platform, vendor_org)


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def invoice(make, contract):
    return make.invoice(contract, status="issued")


@pytest.fixture
def vendor_finance(make, vendor_org):
    return make.member(vendor_org, "finance", email="finance@atlas.test")


@pytest.fixture
def attempt(stripe_platform, account_id, invoice, as_client_admin) -> CheckoutAttempt:
    """The client clicked "Pay": a checkout session is open on the vendor's account."""
    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")
    assert response.status_code == 303
    return db.session.scalars(
        select(CheckoutAttempt).where(CheckoutAttempt.invoice_id == invoice.id)
    ).one()


def _invoice(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.scalars(across_tenants(select(Invoice).where(Invoice.id == invoice_id))).one()


def _payments(invoice_id: int) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)))


def _attempt(attempt_id: int) -> CheckoutAttempt:
    db.session.expire_all()
    return db.session.get(CheckoutAttempt, attempt_id)


def _events_recorded() -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def _completed(fake, attempt, account_id, *, paid=True) -> dict:
    return event(
        "checkout.session.completed",
        fake.complete(attempt.session_id, paid=paid),
        account=account_id,
    )


# --- Verification --------------------------------------------------------------------------


def test_a_paid_session_marks_the_invoice_paid_for_both_parties(
    stripe_platform, account_id, attempt, invoice, client, vendor_org, client_org, vendor_finance
):
    response = deliver(client, _completed(stripe_platform, attempt, account_id))

    assert response.status_code == 200
    stored = _invoice(invoice.id)
    assert stored.status == InvoiceStatus.PAID
    assert stored.amount_paid == GROSS and stored.balance_due == 0
    assert stored.paid_at is not None
    (payment,) = _payments(invoice.id)
    assert payment.kind == PaymentKind.STRIPE and payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount == GROSS and payment.currency == "EUR"
    assert payment.stripe_payment_intent_id == _attempt(attempt.id).payment_intent_id
    assert _attempt(attempt.id).status == CheckoutStatus.COMPLETE
    logged = db.session.scalars(
        across_tenants(
            select(AuditEvent.organization_id).where(
                AuditEvent.action == "invoice.stripe_payment_received"
            )
        )
    ).all()
    assert sorted(logged) == sorted([vendor_org.id, client_org.id])
    told = db.session.scalars(
        across_tenants(
            select(Notification.user_id).where(Notification.kind == "invoice.payment_received")
        )
    ).all()
    assert vendor_finance.id in told
    assert any(user_id != vendor_finance.id for user_id in told)  # the client's admin


def test_the_webhook_needs_no_login_and_no_csrf_token(
    app, monkeypatch, stripe_platform, account_id, attempt, invoice, client, as_client_admin
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    response = deliver(client, _completed(stripe_platform, attempt, account_id))

    assert response.status_code == 200
    assert _invoice(invoice.id).status == InvoiceStatus.PAID
    # Every other form still needs its token.
    assert as_client_admin.post(f"/invoices/{invoice.id}/pay").status_code == 400


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "no header", "garbage header", "no v1 signature"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    stripe_platform, account_id, attempt, invoice, client, tamper
):
    body = json.dumps(_completed(stripe_platform, attempt, account_id))
    if tamper == "wrong secret":
        response = deliver(client, body, secret="whsec_someone_else")
    elif tamper == "changed body":
        header = signature(body)
        response = deliver(client, body.replace(str(GROSS_MINOR), "1"), header=header)
    elif tamper == "no header":
        response = client.post("/webhooks/stripe", data=body, content_type="application/json")
    elif tamper == "garbage header":
        response = deliver(client, body, header="nonsense")
    else:
        response = deliver(client, body, header=signature(body).replace("v1=", "v0="))

    assert response.status_code == 400
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED
    assert not _payments(invoice.id)
    assert _events_recorded() == 0
    assert _attempt(attempt.id).status == CheckoutStatus.OPEN


@pytest.mark.parametrize("offset", [-360, 360])
def test_a_timestamp_six_minutes_away_is_refused(
    stripe_platform, account_id, attempt, invoice, client, offset
):
    response = deliver(
        client,
        _completed(stripe_platform, attempt, account_id),
        timestamp=int(time.time()) + offset,
    )

    assert response.status_code == 400
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED
    assert _events_recorded() == 0


@pytest.mark.parametrize("offset", [-240, 240])
def test_a_timestamp_four_minutes_away_is_accepted(
    stripe_platform, account_id, attempt, invoice, client, offset
):
    response = deliver(
        client,
        _completed(stripe_platform, attempt, account_id),
        timestamp=int(time.time()) + offset,
    )
    assert response.status_code == 200
    assert _invoice(invoice.id).status == InvoiceStatus.PAID


def test_without_keys_the_webhook_is_not_found(app, client):
    body = json.dumps(event("account.updated", {"id": "acct_1"}, account="acct_1"))
    assert deliver(client, body).status_code == 404


# --- Once, in any order ----------------------------------------------------------------------


def test_the_same_event_twice_is_applied_once(
    stripe_platform, account_id, attempt, invoice, client
):
    body = json.dumps(_completed(stripe_platform, attempt, account_id))

    first = deliver(client, body)
    second = deliver(client, body)

    assert first.status_code == second.status_code == 200
    assert b"already applied" in second.data
    assert len(_payments(invoice.id)) == 1
    assert _invoice(invoice.id).amount_paid == GROSS
    assert _events_recorded() == 1


def test_intent_succeeded_before_session_completed_pays_once(
    stripe_platform, account_id, attempt, invoice, client
):
    intent = stripe_platform.payment_intent(attempt.session_id)
    assert (
        deliver(client, event("payment_intent.succeeded", intent, account=account_id)).status_code
        == 200
    )
    assert _invoice(invoice.id).status == InvoiceStatus.PAID

    deliver(client, _completed(stripe_platform, attempt, account_id))

    stored = _invoice(invoice.id)
    assert stored.status == InvoiceStatus.PAID and stored.amount_paid == GROSS
    (payment,) = _payments(invoice.id)
    assert payment.stripe_payment_intent_id == intent["id"]
    assert _attempt(attempt.id).status == CheckoutStatus.COMPLETE
    assert _events_recorded() == 2


def test_session_completed_before_intent_succeeded_pays_once(
    stripe_platform, account_id, attempt, invoice, client
):
    deliver(client, _completed(stripe_platform, attempt, account_id))
    intent = stripe_platform.payment_intent(attempt.session_id)
    deliver(client, event("payment_intent.succeeded", intent, account=account_id))

    assert len(_payments(invoice.id)) == 1
    assert _invoice(invoice.id).amount_paid == GROSS


def test_a_failure_reported_after_the_success_changes_nothing(
    stripe_platform, account_id, attempt, invoice, client
):
    # A card declined, then another card accepted in the same session; the
    # decline's event arrives last.
    intent = stripe_platform.payment_intent(attempt.session_id)
    deliver(client, event("payment_intent.succeeded", intent, account=account_id))
    failed = {**intent, "status": "requires_payment_method", "amount_received": 0}

    deliver(client, event("payment_intent.payment_failed", failed, account=account_id))

    assert _invoice(invoice.id).status == InvoiceStatus.PAID
    assert _attempt(attempt.id).status == CheckoutStatus.COMPLETE


# --- Failures, SEPA, refunds -----------------------------------------------------------------


def test_a_failed_payment_leaves_the_invoice_unchanged(
    stripe_platform, account_id, attempt, invoice, client, vendor_finance
):
    intent = stripe_platform.payment_intent(attempt.session_id, status="requires_payment_method")

    response = deliver(client, event("payment_intent.payment_failed", intent, account=account_id))

    assert response.status_code == 200
    assert _attempt(attempt.id).status == CheckoutStatus.FAILED
    stored = _invoice(invoice.id)
    assert stored.status == InvoiceStatus.ISSUED and stored.amount_paid == 0
    assert not _payments(invoice.id)
    told = db.session.scalars(
        across_tenants(
            select(Notification.user_id).where(Notification.kind == "invoice.payment_failed")
        )
    ).all()
    assert vendor_finance.id in told


def test_a_sepa_debit_waits_then_pays(stripe_platform, account_id, attempt, invoice, client):
    deliver(client, _completed(stripe_platform, attempt, account_id, paid=False))
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED
    assert _attempt(attempt.id).status == CheckoutStatus.COMPLETE
    assert not _payments(invoice.id)

    session = dict(stripe_platform.session(attempt.session_id), payment_status="paid")
    deliver(client, event("checkout.session.async_payment_succeeded", session, account=account_id))

    assert _invoice(invoice.id).status == InvoiceStatus.PAID
    assert len(_payments(invoice.id)) == 1


def test_a_sepa_debit_that_fails_leaves_the_invoice_to_pay(
    stripe_platform, account_id, attempt, invoice, client
):
    deliver(client, _completed(stripe_platform, attempt, account_id, paid=False))
    session = stripe_platform.session(attempt.session_id)

    deliver(client, event("checkout.session.async_payment_failed", session, account=account_id))

    assert _attempt(attempt.id).status == CheckoutStatus.FAILED
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED


def test_a_full_refund_puts_the_balance_back(stripe_platform, account_id, attempt, invoice, client):
    deliver(client, _completed(stripe_platform, attempt, account_id))
    charge = stripe_platform.charge(attempt.session_id, amount_refunded=GROSS_MINOR)

    response = deliver(client, event("charge.refunded", charge, account=account_id))

    assert response.status_code == 200
    stored = _invoice(invoice.id)
    assert stored.status == InvoiceStatus.ISSUED
    assert stored.amount_paid == 0 and stored.balance_due == GROSS
    assert stored.paid_at is None
    (payment,) = _payments(invoice.id)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_at is not None


def test_a_partial_refund_of_an_approved_invoice_reopens_it_once(
    stripe_platform, account_id, make, contract, as_client_admin, client
):
    approved = make.invoice(contract, status="approved")
    approved.approved_at = datetime.now(UTC)
    db.session.flush()
    as_client_admin.post(f"/invoices/{approved.id}/pay")
    attempt = db.session.scalars(
        select(CheckoutAttempt).where(CheckoutAttempt.invoice_id == approved.id)
    ).one()
    deliver(client, _completed(stripe_platform, attempt, account_id))
    assert _invoice(approved.id).status == InvoiceStatus.PAID

    partial = stripe_platform.charge(attempt.session_id, amount_refunded=100_000)
    deliver(client, event("charge.refunded", partial, account=account_id))
    # Stripe sends the same state again in another event: nothing more is taken off.
    deliver(client, event("charge.refunded", partial, account=account_id))

    stored = _invoice(approved.id)
    assert stored.status == InvoiceStatus.APPROVED
    assert stored.amount_paid == GROSS - Decimal("1000.00")
    assert stored.balance_due == Decimal("1000.00")
    (payment,) = _payments(approved.id)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount == GROSS - 1000


# --- Not ours ----------------------------------------------------------------------------------


def test_an_event_from_another_account_changes_nothing(
    stripe_platform, account_id, attempt, invoice, client
):
    session = stripe_platform.complete(attempt.session_id)

    response = deliver(
        client, event("checkout.session.completed", session, account="acct_someone_else")
    )

    assert response.status_code == 200
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED
    assert not _payments(invoice.id)


def test_the_vendors_other_stripe_business_is_ignored(stripe_platform, account_id, client):
    unrelated = {
        "id": "pi_shop_sale",
        "object": "payment_intent",
        "amount": 1999,
        "amount_received": 1999,
        "currency": "eur",
        "metadata": {"order": "42"},
    }
    response = deliver(client, event("payment_intent.succeeded", unrelated, account=account_id))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert _events_recorded() == 1

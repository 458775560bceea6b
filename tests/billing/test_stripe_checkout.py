"""Stripe Checkout: the client pays an issued invoice by a direct charge on the vendor's
connected account, in integer minor units, with the platform's fee, under an
idempotency key derived from the invoice and the attempt — so a double click pays once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from billing import stripe_gateway as gateway
from billing.models import CheckoutAttempt, CheckoutStatus, Invoice, InvoiceStatus
from billing.operations.stripe import application_fee_minor
from contracts.models import VatTreatment
from portal import db
from portal.tenancy import across_tenants
from tests.billing import fake_stripe as fake
from tests.billing.fake_stripe import connect_vendor, deliver, event

#: The default invoice of the factory: 40,000 + 20 % VAT.
GROSS_MINOR = 4_800_000
#: 1.5 % of it.
FEE_MINOR = 72_000

# The fake Stripe API's fixtures.
fake_stripe = fake.fake_stripe
stripe_platform = fake.stripe_platform


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def invoice(make, contract):
    return make.invoice(contract, status="issued")


@pytest.fixture
def account_id(stripe_platform, vendor_org):
    return connect_vendor(stripe_platform, vendor_org)


def _attempts(invoice) -> list[CheckoutAttempt]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CheckoutAttempt)
            .where(CheckoutAttempt.invoice_id == invoice.id)
            .order_by(CheckoutAttempt.attempt)
        )
    )


def _invoice(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.scalars(across_tenants(select(Invoice).where(Invoice.id == invoice_id))).one()


def _sessions_created(fake):
    return fake.requests_to("POST", "/v1/checkout/sessions")


# --- The session ---------------------------------------------------------------------------


def test_paying_opens_a_direct_charge_on_the_vendors_account_in_minor_units(
    stripe_platform, account_id, invoice, as_client_admin
):
    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert response.status_code == 303
    (created,) = _sessions_created(stripe_platform)
    assert response.location == f"https://checkout.stripe.test/c/pay/{created_id(stripe_platform)}"
    assert created.stripe_account == account_id
    assert created.idempotency_key == f"invoice-{invoice.id}-attempt-1"
    form = created.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == str(GROSS_MINOR)
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][quantity]"] == "1"
    assert form["payment_intent_data[application_fee_amount]"] == str(FEE_MINOR)
    assert (form["payment_method_types[0]"], form["payment_method_types[1]"]) == (
        "card",
        "sepa_debit",
    )
    assert form["metadata[invoice_id]"] == str(invoice.id)
    assert form["metadata[invoice_number]"] == invoice.number
    assert form["payment_intent_data[metadata][invoice_id]"] == str(invoice.id)
    assert form["success_url"] == (
        f"http://relais.test/invoices/{invoice.id}/payment-return?outcome=done"
    )
    assert form["cancel_url"] == (
        f"http://relais.test/invoices/{invoice.id}/payment-return?outcome=cancelled"
    )
    (attempt,) = _attempts(invoice)
    assert (attempt.attempt, attempt.status) == (1, CheckoutStatus.OPEN)
    assert (attempt.amount_minor, attempt.application_fee_minor) == (GROSS_MINOR, FEE_MINOR)
    assert attempt.account_id == account_id
    assert attempt.session_id == created_id(stripe_platform)


def created_id(fake) -> str:
    ((_, session_id),) = fake.sessions.keys()
    return session_id


def test_a_double_click_opens_one_session(stripe_platform, account_id, invoice, as_client_admin):
    first = as_client_admin.post(f"/invoices/{invoice.id}/pay")
    second = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(_sessions_created(stripe_platform)) == 1
    assert len(_attempts(invoice)) == 1


def test_a_retry_after_a_lost_answer_gets_the_session_stripe_already_made(
    app, stripe_platform, account_id, invoice, as_client_admin
):
    # A first click reached Stripe, then its request failed: the portal kept nothing.
    with app.test_request_context():
        lost = gateway.create_checkout_session(
            account_id=account_id,
            currency="EUR",
            amount_minor=GROSS_MINOR,
            application_fee_minor=FEE_MINOR,
            description="lost",
            metadata={"invoice_id": str(invoice.id), "attempt": "1"},
            payment_method_types=["card"],
            success_url="http://relais.test/ok",
            cancel_url="http://relais.test/ko",
            idempotency_key=f"invoice-{invoice.id}-attempt-1",
        )

    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert response.location == lost["url"]
    assert len(stripe_platform.sessions) == 1
    assert _attempts(invoice)[0].session_id == lost["id"]


def test_an_account_id_in_the_form_is_ignored(
    stripe_platform, account_id, invoice, as_client_admin, make
):
    other_vendor = make.organization(name="Intruder Payments", kind="vendor")
    intruder_account = connect_vendor(stripe_platform, other_vendor)

    as_client_admin.post(
        f"/invoices/{invoice.id}/pay",
        data={
            "account_id": intruder_account,
            "stripe_account": intruder_account,
            "amount": "1",
            "amount_minor": "1",
        },
    )

    (created,) = _sessions_created(stripe_platform)
    assert created.stripe_account == account_id
    assert created.form["line_items[0][price_data][unit_amount]"] == str(GROSS_MINOR)
    assert _attempts(invoice)[0].account_id == account_id


def test_the_fee_is_rounded_half_up_and_may_be_zero(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_APPLICATION_FEE_PERCENT", Decimal("1.5"))
    assert application_fee_minor(300) == 5  # 4.5 → 5 (not 4, as banker's rounding would)
    assert application_fee_minor(100) == 2  # 1.5 → 2
    assert application_fee_minor(GROSS_MINOR) == FEE_MINOR
    monkeypatch.setitem(app.config, "STRIPE_APPLICATION_FEE_PERCENT", Decimal("0"))
    assert application_fee_minor(GROSS_MINOR) == 0


def test_without_a_fee_none_is_sent(
    app, monkeypatch, stripe_platform, account_id, invoice, as_client_admin
):
    monkeypatch.setitem(app.config, "STRIPE_APPLICATION_FEE_PERCENT", Decimal("0"))
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    (created,) = _sessions_created(stripe_platform)
    assert "payment_intent_data[application_fee_amount]" not in created.form
    assert _attempts(invoice)[0].application_fee_minor == 0


def test_the_balance_is_what_is_charged(stripe_platform, account_id, invoice, as_client_admin):
    invoice.amount_paid = Decimal("10000.25")  # a transfer recorded before
    db.session.flush()
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    (created,) = _sessions_created(stripe_platform)
    assert created.form["line_items[0][price_data][unit_amount]"] == str(GROSS_MINOR - 1_000_025)


def test_a_changed_balance_closes_the_open_session_and_opens_another(
    stripe_platform, account_id, invoice, as_client_admin
):
    first = as_client_admin.post(f"/invoices/{invoice.id}/pay")
    stored = _invoice(invoice.id)
    stored.amount_paid = Decimal("8000")
    db.session.flush()

    second = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert second.location != first.location
    old, new = _attempts(invoice)
    assert old.status == CheckoutStatus.EXPIRED
    assert stripe_platform.session(old.session_id)["status"] == "expired"
    assert (new.attempt, new.amount_minor) == (2, GROSS_MINOR - 800_000)
    assert _sessions_created(stripe_platform)[-1].idempotency_key == (
        f"invoice-{invoice.id}-attempt-2"
    )


def test_after_a_failed_payment_a_new_attempt_has_its_own_key(
    stripe_platform, account_id, invoice, as_client_admin, client
):
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    (attempt,) = _attempts(invoice)
    intent = stripe_platform.payment_intent(attempt.session_id, status="requires_payment_method")
    deliver(client, event("payment_intent.payment_failed", intent, account=account_id))
    assert _attempts(invoice)[0].status == CheckoutStatus.FAILED

    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert response.status_code == 303
    failed, retried = _attempts(invoice)
    assert retried.attempt == 2 and retried.status == CheckoutStatus.OPEN
    # The failed session is closed at Stripe, so that it cannot be paid as well.
    assert stripe_platform.session(failed.session_id)["status"] == "expired"
    keys = [r.idempotency_key for r in _sessions_created(stripe_platform)]
    assert keys == [f"invoice-{invoice.id}-attempt-1", f"invoice-{invoice.id}-attempt-2"]


def test_while_a_sepa_debit_is_processing_no_second_payment_opens(
    stripe_platform, account_id, invoice, as_client_admin, client
):
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    (attempt,) = _attempts(invoice)
    session = stripe_platform.complete(attempt.session_id, paid=False)
    deliver(client, event("checkout.session.completed", session, account=account_id))

    page = as_client_admin.get(f"/invoices/{invoice.id}")
    assert b'data-testid="stripe-processing"' in page.data
    assert b'data-testid="stripe-pay"' not in page.data
    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert response.status_code == 303
    assert response.location.endswith(f"/invoices/{invoice.id}")
    assert len(_sessions_created(stripe_platform)) == 1
    assert _invoice(invoice.id).status == InvoiceStatus.ISSUED


def test_coming_back_from_stripe_does_not_mark_the_invoice_paid(
    stripe_platform, account_id, invoice, as_client_admin
):
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    stripe_platform.complete(_attempts(invoice)[0].session_id)

    response = as_client_admin.get(f"/invoices/{invoice.id}/payment-return?outcome=done")

    assert response.status_code == 303
    assert response.location.endswith(f"/invoices/{invoice.id}")
    stored = _invoice(invoice.id)
    assert stored.status == InvoiceStatus.ISSUED and stored.amount_paid == 0
    assert _attempts(invoice)[0].status == CheckoutStatus.OPEN


# --- Who sees the button -------------------------------------------------------------------


def test_the_client_approvers_see_the_button(
    stripe_platform, account_id, invoice, as_client_admin, as_client_finance
):
    for browser in (as_client_admin, as_client_finance):
        page = browser.get(f"/invoices/{invoice.id}")
        assert b'data-testid="stripe-pay"' in page.data
        assert b"Pay with Stripe (card or SEPA Direct Debit)" in page.data


def test_a_viewer_and_the_vendor_see_no_button_and_cannot_pay(
    stripe_platform, account_id, invoice, as_client_viewer, as_vendor_admin
):
    for browser in (as_client_viewer, as_vendor_admin):
        page = browser.get(f"/invoices/{invoice.id}")
        assert page.status_code == 200
        assert b'data-testid="stripe-pay"' not in page.data
    assert as_client_viewer.post(f"/invoices/{invoice.id}/pay").status_code == 403
    assert as_vendor_admin.post(f"/invoices/{invoice.id}/pay").status_code == 404
    assert not _sessions_created(stripe_platform)


def test_another_organization_gets_404(stripe_platform, account_id, invoice, as_other_client_admin):
    assert as_other_client_admin.post(f"/invoices/{invoice.id}/pay").status_code == 404
    assert as_other_client_admin.get(f"/invoices/{invoice.id}/payment-return").status_code == 404
    assert not _sessions_created(stripe_platform)


def test_a_draft_is_not_found_for_the_client(
    stripe_platform, account_id, make, contract, as_client_admin
):
    draft = make.invoice(contract)
    assert as_client_admin.post(f"/invoices/{draft.id}/pay").status_code == 404


def test_payments_are_offered_only_once_the_account_takes_charges(
    stripe_platform, vendor_org, invoice, as_client_admin
):
    connect_vendor(stripe_platform, vendor_org, charges_enabled=False)
    page = as_client_admin.get(f"/invoices/{invoice.id}")
    assert b'data-testid="stripe-pay"' not in page.data

    response = as_client_admin.post(f"/invoices/{invoice.id}/pay")

    assert response.status_code == 303
    assert not _sessions_created(stripe_platform)
    assert not _attempts(invoice)


def test_a_vendor_without_an_account_is_not_paid_through_stripe(
    stripe_platform, invoice, as_client_admin
):
    page = as_client_admin.get(f"/invoices/{invoice.id}")
    assert b'data-testid="stripe-pay"' not in page.data
    as_client_admin.post(f"/invoices/{invoice.id}/pay")
    assert not stripe_platform.requests


def test_a_captive_chargeback_is_never_paid(
    stripe_platform, account_id, make, client_org, vendor_org, as_client_admin
):
    captive = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.INTERNAL)
    chargeback = make.invoice(captive, status="issued")
    page = as_client_admin.get(f"/invoices/{chargeback.id}")
    assert b'data-testid="stripe-pay"' not in page.data
    as_client_admin.post(f"/invoices/{chargeback.id}/pay")
    assert not _sessions_created(stripe_platform)


@pytest.mark.parametrize("status", ["disputed", "paid"])
def test_a_disputed_or_paid_invoice_offers_no_payment(
    stripe_platform, account_id, make, contract, as_client_admin, status
):
    record = make.invoice(contract, status=status)
    page = as_client_admin.get(f"/invoices/{record.id}")
    assert b'data-testid="stripe-pay"' not in page.data
    as_client_admin.post(f"/invoices/{record.id}/pay")
    assert not _sessions_created(stripe_platform)


def test_without_keys_there_is_no_button_and_the_endpoints_are_not_found(
    fake_stripe, vendor_org, invoice, as_client_admin
):
    connect_vendor(fake_stripe, vendor_org)  # even a connected vendor
    page = as_client_admin.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200
    assert b'data-testid="stripe-pay"' not in page.data
    assert as_client_admin.post(f"/invoices/{invoice.id}/pay").status_code == 404
    assert as_client_admin.get(f"/invoices/{invoice.id}/payment-return").status_code == 404
    assert not fake_stripe.requests

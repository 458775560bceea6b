"""Stripe Connect: a vendor's administrator connects its account, comes back from the
onboarding, and Stripe's ``account.updated`` keeps the account's state; without the
platform's keys, there is nothing to connect."""

from __future__ import annotations

from sqlalchemy import select

from billing.models import StripeAccount
from portal import db
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants
from tests.billing import fake_stripe as fake
from tests.billing.fake_stripe import deliver, event

# The fake Stripe API's fixtures.
fake_stripe = fake.fake_stripe
stripe_platform = fake.stripe_platform


def _account_of(org) -> StripeAccount | None:
    db.session.expire_all()
    return db.session.scalars(
        across_tenants(select(StripeAccount).where(StripeAccount.organization_id == org.id))
    ).one_or_none()


def test_without_keys_the_settings_page_says_so_and_connecting_is_not_found(
    as_vendor_admin, vendor_org
):
    page = as_vendor_admin.get("/billing/stripe")
    assert page.status_code == 200
    assert b'data-testid="stripe-not-configured"' in page.data
    assert b'data-testid="stripe-connect"' not in page.data
    assert as_vendor_admin.post("/billing/stripe/connect").status_code == 404
    assert as_vendor_admin.get("/billing/stripe/return").status_code == 404
    assert _account_of(vendor_org) is None


def test_the_vendor_admin_connects_an_express_account_and_goes_to_the_onboarding(
    stripe_platform, as_vendor_admin, vendor_org
):
    page = as_vendor_admin.get("/billing/stripe")
    assert b'data-testid="stripe-connect"' in page.data

    response = as_vendor_admin.post("/billing/stripe/connect")

    assert response.status_code == 303
    assert response.location.startswith("https://connect.stripe.test/setup/e/acct_")
    account = _account_of(vendor_org)
    assert account is not None and not account.charges_enabled
    (created,) = stripe_platform.requests_to("POST", "/v1/accounts")
    assert created.form["type"] == "express"
    assert created.form["country"] == vendor_org.country
    for capability in ("card_payments", "transfers", "sepa_debit_payments"):
        assert created.form[f"capabilities[{capability}][requested]"] == "true"
    assert created.idempotency_key == f"organization-{vendor_org.id}-connect"
    assert created.stripe_account is None  # created by the platform, not on an account
    (link,) = stripe_platform.requests_to("POST", "/v1/account_links")
    assert link.form["account"] == account.account_id
    assert link.form["type"] == "account_onboarding"
    assert link.form["return_url"] == "http://relais.test/billing/stripe/return"
    assert link.form["refresh_url"] == "http://relais.test/billing/stripe"
    assert db.session.scalar(
        across_tenants(select(AuditEvent).where(AuditEvent.action == "stripe.account_created"))
    )


def test_connecting_again_continues_the_onboarding_of_the_same_account(
    stripe_platform, as_vendor_admin, vendor_org
):
    first = as_vendor_admin.post("/billing/stripe/connect")
    second = as_vendor_admin.post("/billing/stripe/connect")

    assert first.status_code == second.status_code == 303
    assert first.location != second.location  # a fresh single-use link
    assert len(stripe_platform.requests_to("POST", "/v1/accounts")) == 1
    assert len(stripe_platform.accounts) == 1
    assert _account_of(vendor_org).account_id in stripe_platform.accounts


def test_coming_back_stores_what_stripe_says_the_account_can_do(
    stripe_platform, as_vendor_admin, vendor_org, make
):
    finance = make.member(vendor_org, "finance", email="finance@atlas.test")
    as_vendor_admin.post("/billing/stripe/connect")
    account_id = _account_of(vendor_org).account_id

    as_vendor_admin.get("/billing/stripe/return")
    assert not _account_of(vendor_org).charges_enabled

    stripe_platform.enable_charges(account_id)
    response = as_vendor_admin.get("/billing/stripe/return")

    assert response.status_code == 302
    account = _account_of(vendor_org)
    assert account.charges_enabled and account.details_submitted
    assert stripe_platform.requests_to("GET", f"/v1/accounts/{account_id}")
    page = as_vendor_admin.get("/billing/stripe")
    assert b'data-testid="stripe-charges-enabled"' in page.data
    told = db.session.scalars(
        across_tenants(select(Notification).where(Notification.kind == "stripe.charges_enabled"))
    ).all()
    assert finance.id in {notification.user_id for notification in told}


def test_account_updated_events_keep_the_account_state(
    stripe_platform, as_vendor_admin, vendor_org, client
):
    as_vendor_admin.post("/billing/stripe/connect")
    account_id = _account_of(vendor_org).account_id
    state = stripe_platform.enable_charges(account_id)

    response = deliver(client, event("account.updated", dict(state), account=account_id))

    assert response.status_code == 200
    assert _account_of(vendor_org).charges_enabled


def test_an_older_account_event_does_not_undo_stripes_current_state(
    stripe_platform, as_vendor_admin, vendor_org, client
):
    as_vendor_admin.post("/billing/stripe/connect")
    account_id = _account_of(vendor_org).account_id
    stale = dict(stripe_platform.accounts[account_id])  # charges not enabled yet
    stripe_platform.enable_charges(account_id)

    deliver(client, event("account.updated", stale, account=account_id))

    assert _account_of(vendor_org).charges_enabled


def test_only_a_vendor_admin_connects(stripe_platform, make, login, vendor_org, as_client_admin):
    viewer = login(make.member(vendor_org, "viewer"), vendor_org)
    page = viewer.get("/billing/stripe")
    assert page.status_code == 200
    assert b'data-testid="stripe-connect"' not in page.data
    assert viewer.post("/billing/stripe/connect").status_code == 403
    assert as_client_admin.get("/billing/stripe").status_code == 404
    assert as_client_admin.post("/billing/stripe/connect").status_code == 404
    assert not stripe_platform.requests

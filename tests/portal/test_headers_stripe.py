"""The content security policy lets the Stripe forms reach Stripe's pages.

"Connect a Stripe account" and "Pay with Stripe" post to the portal, which answers
with a redirect to Stripe; browsers hold that redirect to ``form-action``, so the
policy names Stripe's pages once the platform has Stripe keys, and only then.
"""

from __future__ import annotations

import re


def _form_action(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"form-action [^;]*", policy).group(0)


def test_without_stripe_forms_stay_on_the_portal(as_client_admin):
    assert _form_action(as_client_admin.get("/dashboard")) == "form-action 'self'"


def test_with_stripe_forms_may_lead_to_stripe_pages(app, monkeypatch, as_client_admin):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_relais")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_relais")
    assert _form_action(as_client_admin.get("/dashboard")) == (
        "form-action 'self' https://connect.stripe.com https://checkout.stripe.com"
    )


def test_the_fake_stripe_of_the_tests_is_allowed_too(app, monkeypatch, as_client_admin):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_relais")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_relais")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:4242/")
    assert _form_action(as_client_admin.get("/dashboard")).endswith(" http://127.0.0.1:4242")

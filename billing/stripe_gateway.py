"""The one module that talks to Stripe: Connect accounts, Checkout sessions, webhooks.

Everything else in the portal calls these functions and receives plain
dictionaries (Stripe's JSON), never the library's objects. The platform's
secret key comes from the settings; without it, ``is_configured`` is false
and no Stripe option is offered anywhere.

Payments are direct charges on the vendor's connected account (the vendor
issues the legal invoice: it is the merchant of record), so the calls about
them carry the account (``Stripe-Account``), taken by the caller from the
vendor's stored record. Each call that creates something carries an
idempotency key chosen by the caller, so that a retried or doubled request
creates it once.

Webhooks: ``verified_event`` checks the signature of the raw body with the
library and refuses a timestamp more than five minutes away from now in
either direction (the library only refuses old ones).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import stripe
from flask import current_app

log = logging.getLogger(__name__)

#: How far a webhook's signed timestamp may be from now, in seconds, either way.
WEBHOOK_TOLERANCE_SECONDS = 300

#: The capabilities a vendor's account asks for: cards, SEPA Direct Debit, payouts.
ACCOUNT_CAPABILITIES = ("card_payments", "transfers", "sepa_debit_payments")


class StripeUnavailable(RuntimeError):
    """Stripe refused the call or could not be reached."""


class InvalidWebhook(ValueError):
    """A webhook call whose signature or timestamp does not hold."""


def is_configured() -> bool:
    """Whether the platform has Stripe keys (otherwise Stripe is simply absent)."""
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


_clients: dict[tuple[str, str], stripe.StripeClient] = {}


def _client() -> stripe.StripeClient:
    key = current_app.config["STRIPE_SECRET_KEY"]
    base = current_app.config.get("STRIPE_API_BASE") or ""
    if not key:
        raise StripeUnavailable("Stripe is not configured")
    client = _clients.get((key, base))
    if client is None:
        client = stripe.StripeClient(key, base_addresses={"api": base} if base else None)
        _clients[(key, base)] = client
    return client


def _call(what: str, function, *args, **kwargs) -> dict[str, Any]:
    try:
        result = function(*args, **kwargs)
    except stripe.StripeError as error:
        log.warning("stripe: %s failed: %s", what, error)
        raise StripeUnavailable(str(error)) from error
    return result.to_dict(for_json=True)


# --- Connect ----------------------------------------------------------------------------


def create_account(*, country: str, organization_id: int, idempotency_key: str) -> dict:
    """Create the vendor's Express connected account (once: the key makes it so)."""
    params = {
        "type": "express",
        "country": country,
        "capabilities": {name: {"requested": True} for name in ACCOUNT_CAPABILITIES},
        "metadata": {"organization_id": str(organization_id)},
    }
    return _call(
        "create account",
        _client().v1.accounts.create,
        params,
        {"idempotency_key": idempotency_key},
    )


def retrieve_account(account_id: str) -> dict:
    return _call("retrieve account", _client().v1.accounts.retrieve, account_id)


def onboarding_link(account_id: str, *, refresh_url: str, return_url: str) -> str:
    """A single-use Stripe URL where the vendor completes its account."""
    link = _call(
        "create account link",
        _client().v1.account_links.create,
        {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        },
    )
    return link["url"]


# --- Checkout ---------------------------------------------------------------------------


def create_checkout_session(
    *,
    account_id: str,
    currency: str,
    amount_minor: int,
    application_fee_minor: int,
    description: str,
    metadata: dict[str, str],
    payment_method_types: list[str],
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> dict:
    """Open a Checkout session charging ``amount_minor`` on the connected account."""
    payment_intent_data: dict[str, Any] = {"description": description, "metadata": metadata}
    if application_fee_minor:
        payment_intent_data["application_fee_amount"] = application_fee_minor
    params = {
        "mode": "payment",
        "payment_method_types": payment_method_types,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_minor,
                    "product_data": {"name": description},
                },
            }
        ],
        "payment_intent_data": payment_intent_data,
        "metadata": metadata,
        "client_reference_id": metadata["invoice_id"],
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    return _call(
        "create checkout session",
        _client().v1.checkout.sessions.create,
        params,
        {"stripe_account": account_id, "idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(account_id: str, session_id: str) -> dict:
    return _call(
        "retrieve checkout session",
        _client().v1.checkout.sessions.retrieve,
        session_id,
        None,
        {"stripe_account": account_id},
    )


def expire_checkout_session(account_id: str, session_id: str) -> dict:
    """Close an open session, so that nobody pays it any more."""
    return _call(
        "expire checkout session",
        _client().v1.checkout.sessions.expire,
        session_id,
        None,
        {"stripe_account": account_id},
    )


# --- Webhooks ---------------------------------------------------------------------------


def _signed_at(header: str) -> int:
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            return int(value)
    raise ValueError("no timestamp")


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event of a webhook call, once its signature and timestamp are checked."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        # The library accepts a timestamp in the future; a replay window must not.
        if _signed_at(signature or "") > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise InvalidWebhook("timestamp in the future")
    except (stripe.SignatureVerificationError, ValueError) as error:
        # ValueError: a body that is not JSON (or not an event) but was signed.
        raise InvalidWebhook(str(error)) from None
    return event.to_dict(for_json=True)

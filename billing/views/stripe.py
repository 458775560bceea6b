"""Stripe pages: a vendor connects its account, a client pays an invoice through
Checkout, and Stripe's webhook says what happened to the money.

Without the platform's Stripe keys, all of it is absent: the settings page
says so and every other Stripe URL answers 404. The page a client comes back
to from Stripe only says thank you: an invoice becomes paid from a verified
webhook event, never from a URL a browser can open.
"""

from __future__ import annotations

import logging

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from billing import INVOICE_APPROVERS, bp
from billing import stripe_gateway as gateway
from billing.models import Invoice, StripeAccount
from billing.operations import stripe as operations
from billing.queries import stripe as queries
from portal import db, tenancy
from portal.auth.decorators import fresh_login_required
from portal.db import write_locked
from portal.models import Role
from portal.security import READ, has_role, requires, webhook

log = logging.getLogger(__name__)


def _require_stripe() -> None:
    if not gateway.is_configured():
        abort(404)


def _external(endpoint: str, **values) -> str:
    """An address Stripe sends the browser back to (the portal's public one)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _to_invoice(invoice: Invoice):
    return redirect(url_for("billing.invoice", invoice_id=invoice.id), code=303)


@bp.app_template_global()
def stripe_offer(invoice: Invoice) -> str | None:
    """What the invoice page shows its viewer about Stripe: "pay", "processing" or None.

    The button is for the client's approvers; anyone of the client may read
    that a payment is being processed.
    """
    offer = queries.stripe_offer(invoice)
    if offer is queries.StripeOffer.PAY and not has_role(INVOICE_APPROVERS):
        return None
    return offer.value if offer is not None else None


# --- Connect (the vendor) -----------------------------------------------------------------


@bp.get("/billing/stripe")
@requires(*READ, side="vendor")
def stripe_settings():
    configured = gateway.is_configured()
    account = db.session.scalars(select(StripeAccount)).one_or_none() if configured else None
    return render_template(
        "billing/stripe/settings.html",
        configured=configured,
        account=account,
        can_connect=configured and has_role(Role.ADMIN),
    )


@bp.post("/billing/stripe/connect")
@requires(Role.ADMIN, side="vendor")
@fresh_login_required
def stripe_connect():
    _require_stripe()
    try:
        account = operations.connect_account(g.actor, g.organization)
        url = operations.onboarding_url(
            account,
            refresh_url=_external("billing.stripe_settings"),
            return_url=_external("billing.stripe_return"),
        )
    except operations.StripeRuleError as error:
        flash(str(error.message), "error")
        return redirect(url_for("billing.stripe_settings"), code=303)
    return redirect(url, code=303)


@bp.get("/billing/stripe/return")
@requires(Role.ADMIN, side="vendor")
def stripe_return():
    _require_stripe()
    account = db.session.scalars(select(StripeAccount)).one_or_none()
    if account is None:
        return redirect(url_for("billing.stripe_settings"))
    try:
        operations.refresh_account(g.actor, account)
    except operations.StripeRuleError as error:
        flash(str(error.message), "error")
        return redirect(url_for("billing.stripe_settings"))
    if account.charges_enabled:
        flash(_("Your Stripe account takes payments: clients can pay your invoices."), "success")
    elif account.details_submitted:
        flash(_("Stripe is reviewing your account. Payments are offered once it is enabled."))
    else:
        flash(_("Your Stripe account is not complete yet: continue the onboarding."), "warning")
    return redirect(url_for("billing.stripe_settings"))


# --- Checkout (the client) ----------------------------------------------------------------


def _client_invoice_or_404(invoice_id: int) -> Invoice:
    invoice = tenancy.get_or_404(Invoice, invoice_id)
    if invoice.client_organization_id != tenancy.current_organization_id():
        abort(404)
    return invoice


@bp.post("/invoices/<int:invoice_id>/pay")
@write_locked
@requires(*INVOICE_APPROVERS, side="client")
def pay_invoice(invoice_id: int):
    _require_stripe()
    invoice = _client_invoice_or_404(invoice_id)
    # Nothing of the form is read: the amount and the account come from the records.
    try:
        attempt = operations.start_checkout(
            g.actor,
            invoice,
            success_url=_external("billing.checkout_return", invoice_id=invoice.id, outcome="done"),
            cancel_url=_external(
                "billing.checkout_return", invoice_id=invoice.id, outcome="cancelled"
            ),
        )
    except operations.StripeRuleError as error:
        flash(str(error.message), "error")
        return _to_invoice(invoice)
    return redirect(attempt.url, code=303)


@bp.get("/invoices/<int:invoice_id>/payment-return")
@requires(*READ, side="client")
def checkout_return(invoice_id: int):
    _require_stripe()
    invoice = _client_invoice_or_404(invoice_id)
    if request.args.get("outcome") == "done":
        flash(
            _(
                "Thank you. The invoice shows as paid as soon as Stripe confirms the payment "
                "(a SEPA Direct Debit takes a few days)."
            ),
            "success",
        )
    else:
        flash(_("The payment was cancelled: nothing was charged."))
    return _to_invoice(invoice)


# --- Webhook (Stripe) ---------------------------------------------------------------------


@bp.post("/webhooks/stripe")
@webhook
@write_locked
def stripe_webhook():
    _require_stripe()
    # The signature covers the body exactly as sent: read it raw, never re-encoded.
    payload = request.get_data(cache=True)
    try:
        event = gateway.verified_event(payload, request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as error:
        log.warning("stripe webhook refused: %s", error)
        return Response("invalid signature\n", status=400, mimetype="text/plain")
    applied = operations.apply_event(event)
    return Response("ok\n" if applied else "already applied\n", mimetype="text/plain")

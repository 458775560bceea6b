"""A local fake of the few Stripe API endpoints the portal uses, for the real `stripe`
library to talk to (through the ``STRIPE_API_BASE`` setting), and webhook signing
done exactly as Stripe does it.

The server runs in a thread on 127.0.0.1; it answers with Stripe's response
shapes, records every request (method, path, form body, headers including
``Stripe-Account`` and ``Idempotency-Key``) and, like Stripe, replays the first
response for a repeated idempotency key. No test talks to the internet.

With ``hosted=True`` (the browser journeys) the fake also serves the pages
Stripe hosts for people, at its own address, so that a real browser can go
through them: the onboarding of a connected account (finishing it enables the
account's charges) and the Checkout page (paying completes the session, as
the client's payment does; the webhook events are the test's to send).

Use the ``stripe_platform`` fixture: it starts the fake and gives the
application the platform's keys, pointing the library at the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from billing.models import StripeAccount
from portal import db
from portal.tenancy import organization_context

SECRET_KEY = "sk_test_relais_platform"
WEBHOOK_SECRET = "whsec_relais_test_secret"
#: The platform's fee in the tests: 1.5 % of each payment.
FEE_PERCENT = Decimal("1.5")


@dataclass
class Recorded:
    method: str
    path: str
    #: The form body as sent: ``{"line_items[0][quantity]": "1", ...}``.
    form: dict[str, str]
    headers: dict[str, str]
    #: The same body with Stripe's brackets made into nested dictionaries.
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def stripe_account(self) -> str | None:
        return self.headers.get("stripe-account")

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` → ``{"a": {"b": {"0": {"c": "v"}}}}`` (lists stay keyed by index)."""
    nested: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def _html(handler: BaseHTTPRequestHandler, title: str, body: str, *, status: int = 200) -> None:
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    ).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(page)))
    handler.end_headers()
    handler.wfile.write(page)


def _see_other(handler: BaseHTTPRequestHandler, location: str) -> None:
    handler.send_response(303)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _error(status: int, message: str, code: str = "resource_missing") -> tuple[int, dict]:
    return status, {"error": {"type": "invalid_request_error", "message": message, "code": code}}


class FakeStripe:
    """The fake API's state: connected accounts and checkout sessions, per account."""

    def __init__(self, *, hosted: bool = False) -> None:
        #: Serve Stripe's hosted pages (onboarding, Checkout) at the fake's own address.
        self.hosted = hosted
        self.requests: list[Recorded] = []
        self.accounts: dict[str, dict] = {}
        #: (account, session id) → session.
        self.sessions: dict[tuple[str, str], dict] = {}
        self._replies: dict[tuple[str | None, str], tuple[int, dict]] = {}
        #: Session id → the ``payment_intent_data`` it was created with.
        self._intent_data: dict[str, dict] = {}
        #: Hosted onboarding links: link id → the account link's parameters.
        self._links: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- the server -------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path = urlsplit(handler.path).path
        if self.hosted and path.startswith("/hosted/"):
            with self._lock:
                self._hosted_page(handler, method, path)
            return
        pairs = parse_qsl(body or urlsplit(handler.path).query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        recorded = Recorded(method, path, dict(pairs), headers, _nest(pairs))
        with self._lock:
            self.requests.append(recorded)
            if headers.get("authorization") != f"Bearer {SECRET_KEY}":
                status, reply = 401, {"error": {"type": "invalid_request_error"}}
            elif method == "POST" and recorded.idempotency_key:
                key = (recorded.stripe_account, recorded.idempotency_key)
                if key not in self._replies:
                    self._replies[key] = self._route(recorded)
                status, reply = self._replies[key]
            else:
                status, reply = self._route(recorded)
        payload = json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", f"req_{next(self._ids)}")
        handler.end_headers()
        handler.wfile.write(payload)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def _route(self, request: Recorded) -> tuple[int, dict]:
        parts = request.path.strip("/").split("/")
        match (request.method, parts):
            case ("POST", ["v1", "accounts"]):
                return 200, self._create_account(request.params)
            case ("GET", ["v1", "accounts", account_id]):
                if account_id not in self.accounts:
                    return _error(404, f"No such account: '{account_id}'")
                return 200, self.accounts[account_id]
            case ("POST", ["v1", "account_links"]):
                account_id = request.params.get("account", "")
                if account_id not in self.accounts:
                    return _error(400, "No such account", "account_invalid")
                link_id = str(next(self._ids))
                url = f"https://connect.stripe.test/setup/e/{account_id}/{link_id}"
                if self.hosted:
                    url = f"{self.url}/hosted/onboarding/{link_id}"
                    self._links[link_id] = dict(request.params)
                return 200, {
                    "object": "account_link",
                    "created": int(time.time()),
                    "expires_at": int(time.time()) + 300,
                    "url": url,
                }
            case ("POST", ["v1", "checkout", "sessions"]):
                return self._create_session(request)
            case ("GET", ["v1", "checkout", "sessions", session_id]):
                session = self.sessions.get((request.stripe_account, session_id))
                if session is None:
                    return _error(404, f"No such checkout.session: '{session_id}'")
                return 200, session
            case ("POST", ["v1", "checkout", "sessions", session_id, "expire"]):
                session = self.sessions.get((request.stripe_account, session_id))
                if session is None:
                    return _error(404, f"No such checkout.session: '{session_id}'")
                if session["status"] != "open":
                    return _error(400, "Only open sessions can be expired.", "session_expired")
                session.update(status="expired", url=None)
                return 200, session
        return _error(404, f"Unrecognized request URL ({request.method}: {request.path})")

    def _create_account(self, params: dict) -> dict:
        account_id = self._new_id("acct")
        capabilities = params.get("capabilities", {})
        self.accounts[account_id] = {
            "id": account_id,
            "object": "account",
            "type": params.get("type"),
            "country": params.get("country"),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": dict.fromkeys(capabilities, "inactive"),
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        return self.accounts[account_id]

    def _create_session(self, request: Recorded) -> tuple[int, dict]:
        account_id = request.stripe_account
        if account_id not in self.accounts:
            return _error(
                400, "The provided key does not have access to account", "account_invalid"
            )
        params = request.params
        session_id = self._new_id("cs")
        item = params["line_items"]["0"]
        amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", "1"))
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "amount_subtotal": amount,
            "currency": item["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "payment_method_types": list(params.get("payment_method_types", {}).values()),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.url}/hosted/checkout/{session_id}"
            if self.hosted
            else f"https://checkout.stripe.test/c/pay/{session_id}",
            "expires_at": int(time.time()) + 24 * 3600,
            "created": int(time.time()),
            "livemode": False,
        }
        self._intent_data[session_id] = params.get("payment_intent_data", {})
        self.sessions[(account_id, session_id)] = session
        return 200, session

    # --- the hosted pages (``hosted=True``) ------------------------------------------------

    def _hosted_page(self, handler: BaseHTTPRequestHandler, method: str, path: str) -> None:
        """Stripe's pages for people: a page with one button, and where it leads."""
        match (method, path.strip("/").split("/")):
            case ("GET", ["hosted", "onboarding", link_id]) if link_id in self._links:
                link = self._links[link_id]
                _html(
                    handler,
                    f"Stripe onboarding of {html.escape(link['account'])}",
                    f'<form method="post"><button type="submit">Agree and submit</button></form>'
                    f'<a href="{html.escape(link["refresh_url"])}">Back</a>',
                )
            case ("POST", ["hosted", "onboarding", link_id]) if link_id in self._links:
                # The vendor completed the onboarding and Stripe enabled the account.
                link = self._links.pop(link_id)
                self.enable_charges(link["account"])
                _see_other(handler, link["return_url"])
            case ("GET", ["hosted", "checkout", session_id]) if self._hosted_session(session_id):
                session = self.session(session_id)
                amount = Decimal(session["amount_total"]) / 100
                _html(
                    handler,
                    f"Pay {amount:.2f} {session['currency'].upper()}",
                    f'<p data-testid="checkout-amount">{amount:.2f} '
                    f"{session['currency'].upper()}</p>"
                    f'<form method="post"><button type="submit">Pay</button></form>'
                    f'<a href="{html.escape(session["cancel_url"])}">Cancel</a>',
                )
            case ("POST", ["hosted", "checkout", session_id]) if self._hosted_session(session_id):
                # The client paid on the page: the session completes; Stripe sends the
                # browser back to the portal (the webhook events are the test's to send).
                session = self.session(session_id)
                success_url = session["success_url"]
                self.complete(session_id)
                _see_other(handler, success_url)
            case _:
                _html(handler, "Not found", "", status=404)

    def _hosted_session(self, session_id: str) -> bool:
        return any(
            sid == session_id and s["status"] == "open" for (_, sid), s in self.sessions.items()
        )

    # --- what tests read and do ---------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def enable_charges(self, account_id: str) -> dict:
        """Stripe finished reviewing the account: it can take charges."""
        self.accounts[account_id].update(
            charges_enabled=True, payouts_enabled=True, details_submitted=True
        )
        return self.accounts[account_id]

    def session(self, session_id: str) -> dict:
        return next(s for (_, sid), s in self.sessions.items() if sid == session_id)

    def account_of_session(self, session_id: str) -> str:
        return next(acct for (acct, sid) in self.sessions if sid == session_id)

    def complete(self, session_id: str, *, paid: bool = True) -> dict:
        """The client went through the payment page: the session completes."""
        session = self.session(session_id)
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=session["payment_intent"] or self._new_id("pi"),
            url=None,
        )
        return dict(session)

    def payment_intent(self, session_id: str, *, status: str = "succeeded") -> dict:
        session = self.session(session_id)
        if session["payment_intent"] is None:
            session["payment_intent"] = self._new_id("pi")
        data = self._intent_data[session_id]
        return {
            "id": session["payment_intent"],
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": session["amount_total"] if status == "succeeded" else 0,
            "application_fee_amount": int(data.get("application_fee_amount", 0)) or None,
            "currency": session["currency"],
            "metadata": data.get("metadata", {}),
            "status": status,
            "last_payment_error": None
            if status == "succeeded"
            else {"code": "payment_intent_payment_attempt_failed"},
        }

    def charge(self, session_id: str, *, amount_refunded: int = 0) -> dict:
        session = self.session(session_id)
        return {
            "id": f"ch_for_{session['payment_intent']}",
            "object": "charge",
            "amount": session["amount_total"],
            "amount_captured": session["amount_total"],
            "amount_refunded": amount_refunded,
            "refunded": amount_refunded >= session["amount_total"],
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "metadata": {},
        }


# --- Webhooks ---------------------------------------------------------------------------

_events = itertools.count(1)


def event(kind: str, obj: dict, *, account: str | None, created: int | None = None) -> dict:
    """An event as Stripe sends it to a Connect endpoint (``account`` is the connected one)."""
    return {
        "id": f"evt_test_{next(_events):06d}_{int(time.time() * 1000)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "type": kind,
        "account": account,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }


def signature(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<ts>,v1=<HMAC-SHA256 of "<ts>.<payload>">``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(
    client,
    body: dict | str,
    *,
    timestamp: int | None = None,
    secret: str = WEBHOOK_SECRET,
    header: str | None = None,
):
    """POST an event to the webhook, signed as Stripe signs it."""
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/webhooks/stripe",
        data=payload,
        content_type="application/json",
        headers={
            "Stripe-Signature": header
            if header is not None
            else signature(payload, secret=secret, timestamp=timestamp)
        },
    )


def connect_vendor(fake: FakeStripe, org, *, charges_enabled: bool = True) -> str:
    """The vendor's account as Stripe and the portal both know it."""
    account = fake._create_account({"type": "express", "country": org.country})
    if charges_enabled:
        fake.enable_charges(account["id"])
    with organization_context(org.id):
        db.session.add(
            StripeAccount(
                account_id=account["id"],
                charges_enabled=charges_enabled,
                details_submitted=charges_enabled,
            )
        )
        db.session.flush()
    return account["id"]


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def stripe_platform(app, monkeypatch, fake_stripe) -> FakeStripe:
    """The platform has Stripe keys; the library talks to the fake."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setitem(app.config, "STRIPE_APPLICATION_FEE_PERCENT", FEE_PERCENT)
    return fake_stripe

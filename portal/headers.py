"""Security headers on every response.

Written here rather than through Flask-Talisman: the portal needs five fixed
headers and no HTTPS redirect (the proxy terminates TLS), and the policy is
easier to audit when it reads as one table.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_login import current_user

#: Stripe's pages a form of the portal leads to: "Connect" and "Pay with Stripe" post to
#: the portal, which answers with a redirect to Stripe, and browsers hold the redirect of a
#: form to ``form-action`` too.
STRIPE_PAGES = ("https://connect.stripe.com", "https://checkout.stripe.com")


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """The policy; ``form_targets``: the origins a form may lead to besides the portal."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # Bootstrap draws form controls with data: SVG in its CSS.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def _form_targets(config) -> tuple[str, ...]:
    """Stripe's pages once the platform has Stripe keys (in tests, the fake's address)."""
    if not config.get("STRIPE_SECRET_KEY"):
        return ()
    base = urlsplit(config.get("STRIPE_API_BASE") or "")
    fake = (f"{base.scheme}://{base.netloc}",) if base.scheme and base.netloc else ()
    return (*STRIPE_PAGES, *fake)


def init_app(app: Flask) -> None:
    production = app.config["RELAIS_ENV"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(_form_targets(app.config))
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        # Pages behind a login must not come back from the browser's cache (the
        # Back button after logout) or sit in a shared proxy's cache.
        if (
            request.endpoint != "static"
            and "Cache-Control" not in response.headers
            and current_user.is_authenticated
        ):
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

"""Security headers on every response.

Written here rather than through Flask-Talisman: the portal needs five fixed
headers and no HTTPS redirect (the proxy terminates TLS), and the policy is
easier to audit when it reads as one table.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
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
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    production = app.config["RELAIS_ENV"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
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

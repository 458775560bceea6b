"""Bearer-token authentication of the API, and its rate limit.

The API never reads the browser session: a request is authenticated by its
``Authorization: Bearer`` header alone, so a logged-in browser cannot be made
to call it (and the blueprint needs no CSRF token). The token's organization
becomes the current organization, and its role stands in for a membership.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from portal import db, tenancy
from portal.api import bp
from portal.api.problems import problem_response
from portal.db import utcnow
from portal.extensions import limiter, login_manager
from portal.models import ApiToken, Organization, Role
from portal.tokens import token_hash

log = logging.getLogger(__name__)

#: Requests one token may make; ``API_RATE_LIMIT`` in the app config overrides it.
RATE_LIMIT = "600 per minute"
#: ``last_used_at`` is written at most this often, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
REALM = 'Bearer realm="Relais API"'


@dataclass(frozen=True)
class TokenMembership:
    """What a membership is to a logged-in member, the token is to an API call."""

    organization: Organization
    role: Role
    api_token: ApiToken

    @property
    def organization_id(self) -> int:
        return self.organization.id


def bearer_token() -> str | None:
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


def _unauthorized(detail: str, error: str | None = None):
    response = problem_response(401, detail)
    response.headers["WWW-Authenticate"] = f'{REALM}, error="{error}"' if error else REALM
    return response


def find_live_token(secret: str) -> ApiToken | None:
    """The unrevoked token with this secret, in whichever organization it belongs to."""
    statement = select(ApiToken).where(ApiToken.token_hash == token_hash(secret))
    record = db.session.scalars(tenancy.across_tenants(statement)).one_or_none()
    if record is None or record.revoked_at is not None:
        return None
    return record


@bp.before_request
def authenticate():
    # Flask-Login would otherwise load the cookie's user on first use of
    # ``current_user`` (locale selection, templates); the API acts for no person.
    g._login_user = login_manager.anonymous_user()
    g.api_token = None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_public", False):
        return None
    secret = bearer_token()
    if secret is None:
        return _unauthorized(_("Send an API token in the header Authorization: Bearer <token>."))
    record = find_live_token(secret)
    if record is None:
        return _unauthorized(_("The API token is unknown or revoked."), error="invalid_token")
    organization = db.session.scalars(
        select(Organization).where(Organization.id == record.organization_id)
    ).one()
    now = utcnow()
    if record.last_used_at is None or record.last_used_at <= now - LAST_USED_RESOLUTION:
        record.last_used_at = now
    g.api_token = record
    g.organization = organization
    g.membership = TokenMembership(organization=organization, role=record.role, api_token=record)
    # A token is not a person: the audit log records the token, with no actor.
    g.actor = None
    tenancy.set_current_organization(organization.id)
    return None


def rate_limit_key() -> str:
    """One bucket per token (by its hash), or per address for calls without one."""
    secret = bearer_token()
    if secret:
        return f"api-token:{token_hash(secret)}"
    return f"api-address:{get_remote_address()}"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", RATE_LIMIT)


limiter.shared_limit(rate_limit, scope="api", key_func=rate_limit_key)(bp)

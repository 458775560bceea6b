"""Bearer-token authentication: the API knows tokens, never browser sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import ApiToken
from tests.portal.api.conftest import bearer

PROBLEM = "application/problem+json"


def _token_row(secret_prefix: str) -> ApiToken:
    statement = select(ApiToken).where(ApiToken.prefix == secret_prefix)
    return db.session.scalars(tenancy.across_tenants(statement)).one()


def test_a_call_without_token_is_a_401_problem_with_bearer_challenge(client, client_org):
    response = client.get("/api/v1/organization")
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"


def test_an_unknown_token_is_refused(client, client_org):
    response = client.get("/api/v1/organization", headers=bearer("rls_not-a-real-token"))
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_is_refused(client, client_org, make_token):
    secret = make_token(client_org, revoked=True)
    response = client.get("/api/v1/organization", headers=bearer(secret))
    assert response.status_code == 401
    assert response.content_type == PROBLEM


def test_another_scheme_than_bearer_is_refused(client, client_token):
    response = client.get(
        "/api/v1/organization", headers={"Authorization": f"Basic {client_token}"}
    )
    assert response.status_code == 401


def test_a_logged_in_browser_without_token_gets_401(as_client_admin):
    # The API is CSRF-exempt; that is safe only because cookies never authenticate it.
    response = as_client_admin.get("/api/v1/organization")
    assert response.status_code == 401
    assert response.content_type == PROBLEM


def test_a_browser_session_does_not_change_whose_token_acts(
    make, login, other_client_org, client_org, client_token
):
    browser = login(make.member(other_client_org, "admin"), other_client_org)
    response = browser.get("/api/v1/organization", headers=bearer(client_token))
    assert response.status_code == 200
    assert response.get_json()["id"] == client_org.id


def test_the_token_acts_for_its_own_organization(client, client_org, client_token):
    response = client.get("/api/v1/organization", headers=bearer(client_token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == client_org.id
    assert body["name"] == client_org.name
    assert body["kind"] == "client"
    assert body["legal_name"] == client_org.legal_name
    assert body["vat_number"] == client_org.vat_number
    assert body["default_currency"] == "EUR"


def test_last_used_is_recorded_at_most_once_a_minute(client, client_org, client_token):
    assert client.get("/api/v1/organization", headers=bearer(client_token)).status_code == 200
    first = _token_row(client_token[:12]).last_used_at
    assert first is not None

    assert client.get("/api/v1/organization", headers=bearer(client_token)).status_code == 200
    db.session.expire_all()
    assert _token_row(client_token[:12]).last_used_at == first

    row = _token_row(client_token[:12])
    row.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.flush()
    assert client.get("/api/v1/organization", headers=bearer(client_token)).status_code == 200
    db.session.expire_all()
    later = _token_row(client_token[:12]).last_used_at
    assert later.replace(tzinfo=None) > first.replace(tzinfo=None)


def test_the_api_blueprint_is_exempt_from_csrf(app):
    from portal.extensions import csrf

    with app.test_request_context("/api/v1/organization"):
        assert csrf._is_exempt()
    with app.test_request_context("/settings/api-tokens/", method="POST"):
        assert not csrf._is_exempt()

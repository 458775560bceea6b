"""The account page: profile, password, e-mail (fresh login), sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import db, mail
from portal.db import utcnow
from portal.models import UserSession
from tests.factories import PASSWORD
from tests.portal.auth.helpers import post_login, session_row, session_token, user_named

NEW_PASSWORD = "an entirely new secret"


@pytest.fixture
def person(make, client_org):
    record = make.member(client_org, "viewer", email="ari@northwind.test")
    db.session.commit()
    return record


@pytest.fixture
def browser(app, person):
    test_client = app.test_client()
    post_login(test_client, "ari@northwind.test", PASSWORD)
    return test_client


def _make_stale(test_client) -> None:
    row = session_row(session_token(test_client))
    row.authenticated_at = utcnow() - timedelta(hours=2)
    db.session.commit()


def test_account_page_lists_this_devices_session(browser):
    page = browser.get("/account", headers={"User-Agent": "TestBrowser/1.0"}).get_data(as_text=True)
    assert "My account" in page
    assert "This device" in page


def test_account_page_works_without_any_organization(app, make):
    make.user(email="alone@example.test")
    db.session.commit()
    test_client = app.test_client()
    post_login(test_client, "alone@example.test", PASSWORD)
    assert test_client.get("/account").status_code == 200
    response = test_client.post(
        "/account/profile",
        data={"full_name": "Alone Again", "locale": "fr", "timezone": "UTC"},
    )
    assert response.status_code == 302


def test_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


def test_profile_changes_name_language_and_time_zone(browser):
    response = browser.post(
        "/account/profile",
        data={"full_name": "Ari Dupont", "locale": "fr", "timezone": "Asia/Kolkata"},
    )
    assert response.status_code == 302
    person = user_named("ari@northwind.test")
    assert (person.full_name, person.locale, person.timezone) == (
        "Ari Dupont",
        "fr",
        "Asia/Kolkata",
    )


def test_profile_refuses_an_unknown_time_zone(browser):
    response = browser.post(
        "/account/profile", data={"full_name": "Ari", "locale": "en", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert 'data-field="timezone"' in response.get_data(as_text=True)


def test_change_password_revokes_other_sessions_only(app, browser, person):
    other = app.test_client()
    post_login(other, "ari@northwind.test", PASSWORD)
    other_token = session_token(other)
    this_token = session_token(browser)

    response = browser.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert session_row(other_token).revoked_at is not None
    assert session_row(this_token).revoked_at is None
    assert browser.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert post_login(app.test_client(), "ari@northwind.test", NEW_PASSWORD).status_code == 302


def test_change_password_needs_the_current_password(browser):
    response = browser.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert 'data-field="current_password"' in response.get_data(as_text=True)
    assert post_login(browser, "ari@northwind.test", PASSWORD).status_code == 302


def test_email_change_requires_a_fresh_login(browser):
    _make_stale(browser)
    page = browser.get("/account").get_data(as_text=True)
    assert "Confirm your password to change it" in page

    response = browser.post(
        "/account/email",
        data={"email": "ari.new@northwind.test"},
        headers={"Referer": "http://localhost/account"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/reauthenticate?next=/account"
    assert user_named("ari@northwind.test")

    wrong = browser.post("/reauthenticate?next=/account", data={"password": "nope nope nope"})
    assert wrong.status_code == 400
    response = browser.post("/reauthenticate?next=/account", data={"password": PASSWORD})
    assert response.headers["Location"] == "/account"

    response = browser.post("/account/email", data={"email": "Ari.New@northwind.test"})
    assert response.status_code == 302
    assert user_named("ari.new@northwind.test")
    (notice,) = mail.outbox
    assert notice["To"] == "ari@northwind.test"


def test_email_change_refuses_an_address_in_use(browser, make):
    make.user(email="taken@northwind.test")
    db.session.commit()
    response = browser.post("/account/email", data={"email": "taken@northwind.test"})
    assert response.status_code == 400
    assert "An account already uses this e-mail address." in response.get_data(as_text=True)


def test_reauthenticate_ignores_an_offsite_next(browser):
    _make_stale(browser)
    response = browser.post(
        "/reauthenticate?next=//evil.example/account", data={"password": PASSWORD}
    )
    assert response.headers["Location"] == "/account"


def test_log_out_everywhere_else_keeps_this_session(app, browser, person):
    others = [app.test_client() for _ in range(2)]
    for other in others:
        post_login(other, "ari@northwind.test", PASSWORD)
    response = browser.post("/account/sessions/revoke-others")
    assert response.status_code == 302
    live = db.session.scalars(
        select(UserSession).where(
            UserSession.user_id == person.id, UserSession.revoked_at.is_(None)
        )
    ).all()
    assert [row.token_hash for row in live] == [session_row(session_token(browser)).token_hash]
    assert all(other.get("/account").status_code == 302 for other in others)


def test_csrf_token_is_required_when_protection_is_on(app, browser):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = browser.post(
            "/account/profile", data={"full_name": "X", "locale": "en", "timezone": "UTC"}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form expired or was sent twice" in page
    assert "navbar" in page
    assert user_named("ari@northwind.test").full_name != "X"

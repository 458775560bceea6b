"""The account page: profile, password, e-mail (fresh login, then the new mailbox), sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import db, mail
from portal.db import utcnow
from portal.models import EmailChangeRequest, PasswordResetToken, UserSession
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
    assert user_named("ari@northwind.test")
    (confirmation,) = mail.outbox
    assert confirmation["To"] == "ari.new@northwind.test"


def test_email_change_refuses_an_address_in_use(browser, make):
    make.user(email="taken@northwind.test")
    db.session.commit()
    response = browser.post("/account/email", data={"email": "taken@northwind.test"})
    assert response.status_code == 400
    assert "An account already uses this e-mail address." in response.get_data(as_text=True)
    assert mail.outbox == []
    assert _pending_requests() == []


def _confirmation_link(message) -> str:
    return re.search(
        r"http://relais\.test(/account/email/confirm/\S+)", message.get_content()
    ).group(1)


def _request_change(test_client, email: str = "ari.new@northwind.test") -> str:
    """Ask for the change; the confirmation link it mails."""
    mail.outbox.clear()
    response = test_client.post("/account/email", data={"email": email})
    assert response.status_code == 302
    (message,) = mail.outbox
    mail.outbox.clear()
    return _confirmation_link(message)


def _pending_requests() -> list[EmailChangeRequest]:
    return db.session.scalars(
        select(EmailChangeRequest).where(EmailChangeRequest.used_at.is_(None))
    ).all()


def test_email_changes_only_after_the_new_address_confirms(app, browser):
    response = browser.post("/account/email", data={"email": "ari.new@northwind.test"})
    assert response.status_code == 302
    assert "ari.new@northwind.test" in browser.get("/account").get_data(as_text=True)
    (message,) = mail.outbox
    assert message["To"] == "ari.new@northwind.test"
    assert message["Subject"] == "Confirm your new Relais e-mail address"
    link = _confirmation_link(message)
    # Only the hash is stored.
    (pending,) = _pending_requests()
    assert link.rsplit("/", 1)[-1] != pending.token_hash
    assert user_named("ari@northwind.test")
    assert post_login(app.test_client(), "ari@northwind.test", PASSWORD).status_code == 302
    page = browser.get("/account").get_data(as_text=True)
    assert 'data-testid="pending-email-change"' in page
    assert "Cancel the change" in page

    mail.outbox.clear()
    response = browser.post(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert user_named("ari.new@northwind.test")
    assert _pending_requests() == []
    # The notice goes to the old address only; nothing more to the new one.
    (notice,) = mail.outbox
    assert notice["To"] == "ari@northwind.test"
    assert "ari.new@northwind.test" in notice.get_content()
    assert 'data-testid="pending-email-change"' not in browser.get("/account").get_data(
        as_text=True
    )


def test_email_confirmation_is_in_the_persons_language(app, make, client_org):
    make.member(client_org, "viewer", email="noe@northwind.test", locale="fr")
    db.session.commit()
    test_client = app.test_client()
    post_login(test_client, "noe@northwind.test", PASSWORD)
    test_client.post("/account/email", data={"email": "noe.new@northwind.test"})
    (message,) = mail.outbox
    assert message["Subject"] == "Confirmez votre nouvelle adresse e-mail Relais"


def test_opening_the_email_change_link_changes_nothing(browser):
    link = _request_change(browser)
    page = browser.get(link)
    assert page.status_code == 200
    assert "Use this e-mail address" in page.get_data(as_text=True)
    assert browser.get(link).status_code == 200
    assert user_named("ari@northwind.test")
    assert len(_pending_requests()) == 1
    assert mail.outbox == []


def test_email_change_link_works_once(browser):
    link = _request_change(browser)
    assert browser.post(link).status_code == 302
    again = browser.post(link)
    assert again.status_code == 404
    assert 'data-testid="email-change-link-invalid"' in again.get_data(as_text=True)
    assert "navbar" in again.get_data(as_text=True)
    assert browser.get(link).status_code == 404


def test_email_change_link_works_without_a_login(app, browser):
    link = _request_change(browser)
    stranger = app.test_client()
    assert stranger.get(link).status_code == 200
    response = stranger.post(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert user_named("ari.new@northwind.test")
    assert post_login(app.test_client(), "ari.new@northwind.test", PASSWORD).status_code == 302


def test_expired_email_change_link_is_refused(app, browser):
    link = _request_change(browser)
    (pending,) = _pending_requests()
    hours = app.config["EMAIL_CHANGE_MAX_AGE_HOURS"]
    assert hours == 24
    lifetime = pending.expires_at - pending.created_at
    assert abs(lifetime - timedelta(hours=hours)) < timedelta(seconds=5)
    pending.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert browser.get(link).status_code == 404
    assert browser.post(link).status_code == 404
    assert user_named("ari@northwind.test")


def test_unknown_email_change_link_is_refused(client):
    response = client.get("/account/email/confirm/not-a-real-token")
    assert response.status_code == 404
    assert 'data-testid="email-change-link-invalid"' in response.get_data(as_text=True)


def test_cancelled_email_change_link_is_refused(browser):
    link = _request_change(browser)
    response = browser.post("/account/email/cancel")
    assert response.status_code == 302
    assert _pending_requests() == []
    assert 'data-testid="pending-email-change"' not in browser.get("/account").get_data(
        as_text=True
    )
    assert browser.post(link).status_code == 404
    assert user_named("ari@northwind.test")


def test_cancelling_an_email_change_needs_a_login(client):
    response = client.post("/account/email/cancel")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_second_email_change_request_spends_the_first_link(browser):
    first = _request_change(browser, "ari.first@northwind.test")
    second = _request_change(browser, "ari.second@northwind.test")
    assert browser.post(first).status_code == 404
    assert browser.post(second).status_code == 302
    assert user_named("ari.second@northwind.test")


def test_email_change_to_the_current_address_is_refused(browser):
    response = browser.post("/account/email", data={"email": "ari@northwind.test"})
    assert response.status_code == 400
    assert "This is already your e-mail address." in response.get_data(as_text=True)
    assert mail.outbox == []


def test_address_taken_before_confirmation_is_refused_at_confirmation(browser, make):
    link = _request_change(browser)
    make.user(email="ari.new@northwind.test")
    db.session.commit()
    response = browser.post(link)
    assert response.status_code == 409
    assert 'data-testid="email-change-taken"' in response.get_data(as_text=True)
    assert user_named("ari@northwind.test")
    assert mail.outbox == []


def test_email_change_spends_pending_password_reset_links(app, browser, person):
    client = app.test_client()
    client.post("/password/forgot", data={"email": "ari@northwind.test"})
    reset_link = re.search(
        r"http://relais\.test(/password/reset/\S+)", mail.outbox[0].get_content()
    ).group(1)
    link = _request_change(browser)
    assert client.get(reset_link).status_code == 200
    browser.post(link)
    pending_resets = db.session.scalars(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == person.id, PasswordResetToken.used_at.is_(None)
        )
    ).all()
    assert pending_resets == []
    assert client.get(reset_link).status_code == 404


def test_email_change_requests_are_rate_limited(app, browser):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for number in range(limit):
        response = browser.post("/account/email", data={"email": f"ari.{number}@northwind.test"})
        assert response.status_code == 302
    response = browser.post("/account/email", data={"email": "ari.more@northwind.test"})
    assert response.status_code == 429
    assert len(mail.outbox) == limit


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

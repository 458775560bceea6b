"""Forgot and reset: no enumeration, single-use expiring links, every session ends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import db, mail
from portal.db import utcnow
from portal.models import PasswordResetToken
from tests.factories import PASSWORD
from tests.portal.auth.helpers import post_login, session_row, session_token, user_named

NEW_PASSWORD = "an entirely new secret"


@pytest.fixture
def person(make, client_org):
    record = make.member(client_org, "finance", email="noa@northwind.test", locale="fr")
    db.session.commit()
    return record


def _reset_link() -> str:
    (message,) = mail.outbox
    return re.search(r"http://relais\.test(/password/reset/\S+)", message.get_content()).group(1)


def test_forgot_answers_the_same_for_known_and_unknown_addresses(client, person):
    known = client.post("/password/forgot", data={"email": "noa@northwind.test"})
    unknown = client.post("/password/forgot", data={"email": "nobody@northwind.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/password/forgot/sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0]["To"] == "noa@northwind.test"


def test_reset_email_is_in_the_users_language_with_the_configured_address(client, person):
    client.post("/password/forgot", data={"email": "NOA@northwind.test"})
    (message,) = mail.outbox
    assert message.get_content().count("http://relais.test/password/reset/") == 1
    token = db.session.scalars(select(PasswordResetToken)).one()
    assert token.user_id == person.id
    assert _reset_link().split("/")[-1] != token.token_hash  # only the hash is stored


def test_reset_link_changes_the_password_once_and_ends_every_session(app, client, person):
    other_device = app.test_client()
    post_login(other_device, "noa@northwind.test", PASSWORD)
    other_token = session_token(other_device)
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    link = _reset_link()

    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"

    assert session_row(other_token).revoked_at is not None
    assert other_device.get("/dashboard").status_code == 302
    assert post_login(client, "noa@northwind.test", PASSWORD).status_code == 400
    assert post_login(client, "noa@northwind.test", NEW_PASSWORD).status_code == 302

    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "no longer valid" in again.get_data(as_text=True)
    assert "navbar" in again.get_data(as_text=True)


def test_a_reset_spends_the_other_pending_links(client, person):
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    first = _reset_link()
    mail.outbox.clear()
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    second = _reset_link()
    client.post(second, data={"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD})
    assert client.get(first).status_code == 404


def test_expired_link_is_refused(client, person):
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    link = _reset_link()
    token = db.session.scalars(select(PasswordResetToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 404
    response = client.post(
        link, data={"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert user_named("noa@northwind.test").password_hash == person.password_hash


def test_unknown_link_is_refused(client):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 404
    assert 'data-testid="reset-link-invalid"' in response.get_data(as_text=True)


def test_reset_refuses_a_weak_password_and_keeps_the_link_usable(client, person):
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    link = _reset_link()
    response = client.post(link, data={"password": "short", "password_confirmation": "short"})
    assert response.status_code == 400
    assert 'data-field="password"' in response.get_data(as_text=True)
    assert client.get(link).status_code == 200


def test_forgot_is_rate_limited_per_address(client):
    for attempt in range(10):
        response = client.post(
            "/password/forgot",
            data={"email": f"someone{attempt}@example.test"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
        assert response.status_code == 302
    response = client.post(
        "/password/forgot",
        data={"email": "one-more@example.test"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert response.status_code == 429


def test_forgot_is_rate_limited_per_email(client, person):
    for attempt in range(10):
        client.post(
            "/password/forgot",
            data={"email": "noa@northwind.test"},
            environ_base={"REMOTE_ADDR": f"10.8.0.{attempt}"},
        )
    response = client.post(
        "/password/forgot",
        data={"email": "noa@northwind.test"},
        environ_base={"REMOTE_ADDR": "10.8.1.1"},
    )
    assert response.status_code == 429
    assert len(mail.outbox) == 10


def test_changing_the_email_spends_links_sent_to_the_old_address(client, person):
    client.post("/password/forgot", data={"email": "noa@northwind.test"})
    link = _reset_link()
    mail.outbox.clear()
    post_login(client, "noa@northwind.test", PASSWORD)
    client.post("/account/email", data={"email": "noa.new@northwind.test"})
    (confirmation,) = mail.outbox
    confirm = re.search(
        r"http://relais\.test(/account/email/confirm/\S+)", confirmation.get_content()
    ).group(1)
    assert client.get(link).status_code == 200  # still usable until the change is confirmed
    assert client.post(confirm).status_code == 302
    assert client.get(link).status_code == 404

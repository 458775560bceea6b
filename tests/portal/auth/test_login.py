"""Login: generic failures, rate limits, fresh sessions, remember-me, safe redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.auth.passwords import hash_password
from portal.db import utcnow
from portal.models import UserSession
from tests.factories import PASSWORD
from tests.portal.auth.helpers import post_login, session_row, session_token, user_named


@pytest.fixture
def person(make, client_org):
    record = make.member(client_org, "procurement", email="sam@northwind.test")
    # A failed request (status >= 400) rolls back what the test has not committed.
    db.session.commit()
    return record


def test_login_lands_on_the_dashboard_of_the_organization(client, person, client_org):
    response = post_login(client, "Sam@Northwind.test", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    row = session_row(session_token(client))
    assert row.organization_id == client_org.id
    assert client_org.name in client.get("/dashboard").get_data(as_text=True)


def test_wrong_password_gives_the_generic_message(client, person):
    response = post_login(client, "sam@northwind.test", "not the password")
    assert response.status_code == 400
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)
    assert session_token(client) is None


def test_unknown_email_gives_the_same_generic_message(client):
    response = post_login(client, "nobody@northwind.test", "not the password")
    assert response.status_code == 400
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(client, make):
    make.user(email="gone@northwind.test", is_active_account=False)
    response = post_login(client, "gone@northwind.test", PASSWORD)
    assert response.status_code == 400
    assert session_token(client) is None


def test_user_without_organization_logs_in_and_reaches_the_account_page(client, make):
    make.user(email="alone@example.test")
    response = post_login(client, "alone@example.test", PASSWORD)
    assert response.status_code == 302
    assert session_row(session_token(client)).organization_id is None
    assert client.get("/account").status_code == 200


def test_outdated_hash_is_upgraded_at_login(client, make):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    make.user(email="old@example.test").password_hash = weak
    db.session.flush()
    post_login(client, "old@example.test", PASSWORD)
    assert user_named("old@example.test").password_hash != weak


def test_rate_limit_per_account_across_addresses(client, person):
    for attempt in range(10):
        response = post_login(client, "sam@northwind.test", "wrong", address=f"10.0.1.{attempt}")
        assert response.status_code == 400
    response = post_login(client, "sam@northwind.test", PASSWORD, address="10.0.2.1")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and "navbar" in page  # the error page in the layout


def test_rate_limit_per_address_across_accounts(client, person):
    for attempt in range(10):
        response = post_login(client, f"guess{attempt}@northwind.test", "wrong", address="10.0.3.3")
        assert response.status_code == 400
    assert post_login(client, "sam@northwind.test", PASSWORD, address="10.0.3.3").status_code == 429
    # Another address and the account itself are still fine.
    assert post_login(client, "sam@northwind.test", PASSWORD, address="10.0.3.4").status_code == 302


def test_rate_limit_applies_to_posts_only(client):
    for _attempt in range(12):
        assert client.get("/login").status_code == 200


def test_remember_me_sets_the_cookie_and_revoking_the_session_kills_it(app, client, person):
    post_login(client, "sam@northwind.test", PASSWORD, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    token = session_token(client)

    returning = app.test_client()
    returning.set_cookie("remember_token", remember.value)
    assert returning.get("/dashboard").status_code == 200

    session_row(token).revoked_at = utcnow()
    db.session.flush()
    after_revoke = app.test_client()
    after_revoke.set_cookie("remember_token", remember.value)
    response = after_revoke.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_without_remember_me_no_remember_cookie(client, person):
    post_login(client, "sam@northwind.test", PASSWORD)
    assert client.get_cookie("remember_token") is None


def test_login_starts_a_new_session_and_drops_what_was_there(client, person):
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = "planted-by-an-attacker"
        flask_session["planted"] = "value"
    post_login(client, "sam@northwind.test", PASSWORD)
    first = session_token(client)
    assert first != "planted-by-an-attacker"
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session

    post_login(client, "sam@northwind.test", PASSWORD)
    second = session_token(client)
    assert second != first
    assert session_row(first).revoked_at is not None  # the previous login's session ends
    assert session_row(second).revoked_at is None


def test_pre_login_session_cookie_is_not_reused(client, person):
    client.get("/login")  # an anonymous session (CSRF token) may exist before login
    before = client.get_cookie("session")
    post_login(client, "sam@northwind.test", PASSWORD)
    after = client.get_cookie("session")
    assert after is not None
    assert before is None or before.value != after.value


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/account", "/account"),
        ("/functions?page=2", "/functions?page=2"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("\\\\evil.example", "/dashboard"),
        ("/\t/evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ],
)
def test_next_is_followed_only_on_this_site(client, person, next_value, expected):
    from urllib.parse import urlencode

    response = post_login(
        client, "sam@northwind.test", PASSWORD, query="?" + urlencode({"next": next_value})
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_keeps_next_in_its_form(client):
    page = client.get("/login?next=/account").get_data(as_text=True)
    assert 'action="/login?next=/account"' in page


def test_logged_in_visitor_of_login_page_goes_to_dashboard(as_client_admin):
    response = as_client_admin.get("/login")
    assert response.headers["Location"] == "/dashboard"


def test_last_seen_is_written_at_most_once_a_minute(client, person):
    from datetime import timedelta

    post_login(client, "sam@northwind.test", PASSWORD)
    token = session_token(client)
    row = session_row(token)
    stale = utcnow() - timedelta(minutes=5)
    row.last_seen_at = stale
    db.session.flush()
    client.get("/dashboard")
    touched = session_row(token).last_seen_at
    assert touched.replace(tzinfo=None) > stale.replace(tzinfo=None)
    client.get("/dashboard")
    assert session_row(token).last_seen_at == touched


def test_every_login_is_a_new_server_side_session(client, person):
    post_login(client, "sam@northwind.test", PASSWORD)
    post_login(client, "sam@northwind.test", PASSWORD)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all()
    assert len(rows) == 2


def test_hash_helper_is_used_by_factories(person):
    assert person.password_hash != hash_password(PASSWORD)  # salted

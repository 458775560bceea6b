"""Logout ends the server-side session: an old cookie replayed afterwards is refused."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.portal.auth.helpers import post_login, session_row, session_token


def test_logout_revokes_the_session_and_a_replayed_cookie_is_refused(app, make, client_org):
    make.member(client_org, "viewer", email="lou@northwind.test")
    browser = app.test_client()
    post_login(browser, "lou@northwind.test", PASSWORD, remember="y")
    token = session_token(browser)
    old_cookie = browser.get_cookie("session").value
    old_remember = browser.get_cookie("remember_token").value

    response = browser.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert session_row(token).revoked_at is not None
    assert browser.get_cookie("remember_token") is None
    assert session_token(browser) is None

    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    replay.set_cookie("remember_token", old_remember)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_is_post_only(as_client_admin):
    assert as_client_admin.get("/logout").status_code == 405
    assert as_client_admin.get("/dashboard").status_code == 200


def test_logout_says_so_on_the_login_page(as_client_admin):
    response = as_client_admin.post("/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)


def test_logout_when_already_out_just_goes_to_login(client):
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"

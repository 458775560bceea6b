"""The request boundary: login resolves the member's organization; others see 404."""


def test_dashboard_shows_current_organization(as_client_admin, client_org):
    response = as_client_admin.get("/dashboard")
    assert response.status_code == 200
    assert client_org.name in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_security_headers_are_set(as_client_admin):
    response = as_client_admin.get("/dashboard")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_behind_the_login_are_never_cached(as_client_admin, client):
    assert as_client_admin.get("/dashboard").headers["Cache-Control"] == "no-store"
    # Static files and public pages stay cacheable.
    assert client.get("/login").headers.get("Cache-Control") != "no-store"

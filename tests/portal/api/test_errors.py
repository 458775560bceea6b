"""Every error under /api/ is RFC 9457 problem JSON, never an HTML page."""

from __future__ import annotations

import pytest

from tests.portal.api.conftest import bearer

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


def test_an_unknown_route_under_the_api_is_a_404_problem(api):
    _assert_problem(api.get("/api/v1/no-such-thing"), 404)


def test_an_unknown_route_without_token_is_still_json(client):
    _assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_a_wrong_method_is_a_405_problem(api):
    response = api.open("/api/v1/organization", "DELETE")
    _assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("query", ["per_page=500", "per_page=0", "page=0", "page=abc"])
def test_invalid_paging_is_a_422_problem_naming_the_field(api, query):
    body = _assert_problem(api.get(f"/api/v1/members?{query}"), 422)
    field = query.split("=")[0]
    assert list(body["errors"]) == [field]
    assert isinstance(body["errors"][field], list) and body["errors"][field]


def test_a_viewer_token_on_a_vendor_side_endpoint_is_a_404_problem(client, vendor_org, make_token):
    secret = make_token(vendor_org)
    _assert_problem(client.get("/api/v1/functions", headers=bearer(secret)), 404)


def test_exceeding_the_rate_limit_is_a_429_problem_per_token(
    app, client, client_org, make_token, monkeypatch
):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    first, second = make_token(client_org), make_token(client_org)
    for _attempt in range(2):
        assert client.get("/api/v1/organization", headers=bearer(first)).status_code == 200
    response = client.get("/api/v1/members", headers=bearer(first))
    _assert_problem(response, 429)
    assert "Retry-After" in response.headers
    # The limit is per token: another token of the same organization is not throttled.
    assert client.get("/api/v1/organization", headers=bearer(second)).status_code == 200

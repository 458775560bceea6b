"""Paged lists: the data/meta/links envelope and the RFC 8288 Link header."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.statements import counting_statements


def _query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_members_listing_is_paginated_with_links(api, make, client_org):
    for number in range(5):
        make.member(client_org, "viewer", email=f"member{number}@northwind.test")
    response = api.get("/api/v1/members?page=2&per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert [m["email"] for m in body["data"]] == [
        "member2@northwind.test",
        "member3@northwind.test",
    ]
    assert body["meta"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    links = body["links"]
    assert _query(links["self"]) == {"page": "2", "per_page": "2"}
    assert _query(links["next"]) == {"page": "3", "per_page": "2"}
    assert _query(links["prev"]) == {"page": "1", "per_page": "2"}
    assert _query(links["first"]) == {"page": "1", "per_page": "2"}
    assert _query(links["last"]) == {"page": "3", "per_page": "2"}
    assert urlsplit(links["next"]).path == "/api/v1/members"
    header = response.headers["Link"]
    assert f'<{links["next"]}>; rel="next"' in header
    assert f'<{links["prev"]}>; rel="prev"' in header
    assert 'rel="first"' in header and 'rel="last"' in header


def test_first_and_last_pages_have_no_prev_or_next(api, make, client_org):
    make.member(client_org, "viewer")
    body = api.get("/api/v1/members").get_json()
    assert body["meta"] == {"page": 1, "per_page": 25, "total": 1, "pages": 1}
    assert body["links"]["prev"] is None and body["links"]["next"] is None
    assert 'rel="next"' not in api.get("/api/v1/members").headers["Link"]


def test_a_page_past_the_end_is_empty(api, make, client_org):
    make.member(client_org, "viewer")
    body = api.get("/api/v1/members?page=9").get_json()
    assert body["data"] == []
    assert body["meta"]["total"] == 1


def test_listing_cost_does_not_grow_with_rows(api, make, client_org, app):

    department = make.department(client_org)
    for number in range(6):
        make.function(client_org, name=f"F{number}", dept=department)
        make.member(client_org, "viewer")
    with counting_statements(app) as statements:
        api.get("/api/v1/functions")
        functions_cost = len(statements)
        statements.clear()
        api.get("/api/v1/members")
        members_cost = len(statements)
    # Token lookup, organization, count, page (+ last-used update / savepoints): a constant.
    assert functions_cost <= 8
    assert members_cost <= 8

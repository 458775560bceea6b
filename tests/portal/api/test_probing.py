"""Inputs an outside tester throws at the API (found with schemathesis): the
answer is a documented status as problem JSON, never a 500."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from portal.db import MAX_ID
from portal.pagination import MAX_PAGE, MAX_PER_PAGE

PROBLEM = "application/problem+json"

#: Past SQLite's and PostgreSQL's 64-bit integers, and past a 32-bit id column.
HUGE_NUMBERS = ["99999999999999999999", "9223372036854775808", "2147483648"]


@pytest.mark.parametrize("function_id", HUGE_NUMBERS)
def test_an_id_too_large_for_the_database_is_a_404_problem(api, function_id):
    response = api.get(f"/api/v1/functions/{function_id}")
    assert response.status_code == 404
    assert response.content_type == PROBLEM


def test_the_last_page_number_allowed_is_an_empty_page_not_an_offset_overflow(
    api, make, client_org
):
    make.function(client_org)
    response = api.get(f"/api/v1/functions?page={MAX_PAGE}&per_page={MAX_PER_PAGE}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["data"] == []
    assert body["meta"]["page"] == MAX_PAGE
    assert body["meta"]["total"] == 1


@pytest.mark.parametrize("page", [str(MAX_PAGE + 1), *HUGE_NUMBERS[:2]])
def test_a_page_number_past_the_maximum_is_a_422_problem(api, page):
    response = api.get(f"/api/v1/members?page={page}")
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert list(response.get_json()["errors"]) == ["page"]


def test_the_document_gives_the_bounds_of_ids_and_pages(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    [function_id] = paths["/api/v1/functions/{function_id}"]["get"]["parameters"]
    assert function_id["schema"]["maximum"] == MAX_ID
    [page] = [p for p in paths["/api/v1/members"]["get"]["parameters"] if p["name"] == "page"]
    assert page["schema"]["maximum"] == MAX_PAGE


@pytest.mark.parametrize("argument", ["_external", "_anchor", "_scheme", "_method", "endpoint"])
def test_query_arguments_named_like_url_for_options_stay_query_arguments(api, argument):
    response = api.get(f"/api/v1/members?{argument}=x&per_page=5")
    assert response.status_code == 200
    for url in response.get_json()["links"].values():
        if url is None:
            continue
        parts = urlsplit(url)
        assert (parts.scheme, parts.path, parts.fragment) == ("http", "/api/v1/members", "")
        assert dict(parse_qsl(parts.query)) == {argument: "x", "page": "1", "per_page": "5"}


def test_page_links_keep_a_repeated_query_argument(api):
    links = api.get("/api/v1/members?tag=a&tag=b").get_json()["links"]
    assert parse_qsl(urlsplit(links["first"]).query) == [
        ("tag", "a"),
        ("tag", "b"),
        ("page", "1"),
        ("per_page", "25"),
    ]

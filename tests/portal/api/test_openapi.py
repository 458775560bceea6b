"""The OpenAPI document: public, generated from the code, listing every API route."""

from __future__ import annotations

import re

from portal.api.endpoints import OPERATIONS
from portal.api.spec import openapi_path


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.get_json()


def test_the_document_is_public_and_valid_json(client):
    document = _document(client)
    assert re.fullmatch(r"3\.(1\.\d+|0\.3)", document["openapi"])
    assert document["info"]["title"] == "Relais API"
    assert document["paths"]


def test_every_api_rule_is_in_the_document(app, client):
    document = _document(client)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert rules
    for rule in rules:
        path, _parameters = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path].get(method.lower())
            assert operation, f"{method} {rule.rule} is missing from the OpenAPI document"
            assert operation["summary"]


def test_every_api_view_is_declared_with_the_endpoint_decorator(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.endpoint in OPERATIONS, f"declare {rule.endpoint} with endpoint()"


def test_the_bearer_scheme_and_problem_schema_are_present(client):
    document = _document(client)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An organization's API token (rls_…).",
    }
    assert document["security"] == [{"bearerAuth": []}]
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert "errors" in document["components"]["schemas"]["ValidationProblem"]["properties"]


def test_path_parameters_are_typed_from_their_converters(client):
    document = _document(client)
    operation = document["paths"]["/api/v1/functions/{function_id}"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["in"] == "path"]
    assert parameter["name"] == "function_id"
    assert parameter["schema"]["type"] == "integer"
    assert "404" in operation["responses"]


def test_paged_lists_document_their_envelope_and_query(client):
    operation = _document(client)["paths"]["/api/v1/members"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"page", "per_page"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"data", "meta", "links"}
    assert "Link" in operation["responses"]["200"]["headers"]


def test_amounts_are_documented_as_strings(client):
    schemas = _document(client)["components"]["schemas"]
    assert schemas["Money"]["properties"]["amount"]["type"] == "string"
    assert schemas["Function"]["properties"]["ftes"]["type"] == "string"


def test_only_the_document_itself_is_public(client):
    paths = _document(client)["paths"]
    public = [
        (path, method)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation.get("security") == []
    ]
    assert public == [("/api/v1/openapi.json", "get")]


def test_a_rule_with_a_string_argument_becomes_a_braced_path():
    path, parameters = openapi_path("/api/v1/things/<int:thing_id>/files/<name>")
    assert path == "/api/v1/things/{thing_id}/files/{name}"
    assert [p["schema"]["type"] for p in parameters] == ["integer", "string"]

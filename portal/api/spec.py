"""The OpenAPI document, generated from the URL map and the declared endpoints.

Every rule of the ``api`` blueprint is walked (``app.url_map``), so a route
cannot exist without appearing here; what it says comes from its
``endpoint(...)`` declaration (``portal.api.endpoints.OPERATIONS``). Schemas
are translated by apispec's marshmallow plugin. A small walk of the URL map
does what apispec-webframeworks' Flask plugin would (``<int:id>`` → ``{id}``)
and also types each path parameter from its converter.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from portal.api.endpoints import OPERATIONS, Operation, paged_query_schema
from portal.api.problems import PROBLEM_CONTENT_TYPE
from portal.api.schemas import (
    DecimalString,
    PageLinksSchema,
    PageMetaSchema,
    ProblemSchema,
    ValidationProblemSchema,
)
from portal.db import MAX_ID
from portal.security import READ

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "The Relais portal's JSON API. Authenticate with an organization's API token "
    "(Settings → API tokens) sent as `Authorization: Bearer <token>`; every call "
    "acts for that organization with the token's role. Errors are RFC 9457 "
    "problem details (`application/problem+json`). Lists are paged with `page` "
    "and `per_page` and answer `data`, `meta` and `links`, plus an RFC 8288 "
    "`Link` header. Amounts are strings with their currency, never numbers."
)

_RULE_ARGUMENT = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
#: ``<int:…>`` matches no id past MAX_ID (the app's int converter), so the
#: document gives that bound too.
_CONVERTER_TYPES = {
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    "float": {"type": "number"},
}

_ERROR_DESCRIPTIONS = {
    "400": "The request is malformed.",
    "401": "No API token, or an unknown or revoked one.",
    "403": "The token's role does not allow this.",
    "404": "No such record in the token's organization (or not on its side).",
    "409": "A business rule refuses the change in the record's current state "
    "(e.g. the bid deadline has passed); `detail` says why.",
    "415": "The body is not JSON.",
    "422": "Invalid input: `errors` names each field with its messages.",
    "429": "Too many requests for this token; retry after `Retry-After` seconds.",
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """A Flask rule as an OpenAPI path, with its path parameters."""
    parameters = [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTER_TYPES.get(match["converter"] or "", {"type": "string"})),
        }
        for match in _RULE_ARGUMENT.finditer(rule)
    ]
    return _RULE_ARGUMENT.sub(lambda match: "{" + match["name"] + "}", rule), parameters


def _problem(description: str, schema=ProblemSchema) -> dict:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}}}


def _success(operation: Operation) -> dict:
    if operation.status == 204:
        return {"description": "Done; no content."}
    if operation.paginated:
        schema = {
            "type": "object",
            "required": ["data", "meta", "links"],
            "properties": {
                "data": {"type": "array", "items": operation.response},
                "meta": PageMetaSchema,
                "links": PageLinksSchema,
            },
        }
        headers = {
            "Link": {
                "description": "RFC 8288 links: first, last, next, prev.",
                "schema": {"type": "string"},
            }
        }
        return {
            "description": "One page.",
            "headers": headers,
            "content": {"application/json": {"schema": schema}},
        }
    schema = operation.response or {"type": "object"}
    return {"description": "OK.", "content": {"application/json": {"schema": schema}}}


def _operation(endpoint: str, operation: Operation, path_parameters: list[dict]) -> dict:
    roles = sorted(role.value for role in operation.roles)
    notes = [operation.description] if operation.description else []
    if not operation.public:
        notes.append(
            "Roles: " + (", ".join(roles) if set(operation.roles) != set(READ) else "any") + "."
        )
    if operation.side:
        notes.append(f"Only for {operation.side} organizations.")
    codes = ["429"]
    if not operation.public:
        codes.append("401")
        if set(operation.roles) != set(READ):
            codes.append("403")
    if path_parameters or operation.side:
        codes.append("404")
    if operation.query or operation.paginated or operation.body:
        codes.append("422")
    if operation.body:
        codes += ["400", "415"]
    if operation.method != "GET":
        codes.append("409")
        if "422" not in codes:
            codes.append("422")
    responses = {str(operation.status): _success(operation)}
    for code in sorted(codes):
        schema = ValidationProblemSchema if code == "422" else ProblemSchema
        responses[code] = _problem(_ERROR_DESCRIPTIONS[code], schema)
    responses["default"] = _problem("Any other error, as problem details.")
    parameters = list(path_parameters)
    if operation.query or operation.paginated:
        query = paged_query_schema(operation.query) if operation.paginated else operation.query
        parameters.append({"in": "query", "schema": query})
    document = {
        "operationId": endpoint.split(".", 1)[1],
        "summary": operation.summary,
        "description": " ".join(notes),
        "parameters": parameters,
        "responses": responses,
        "x-roles": roles,
    }
    if operation.tag:
        document["tags"] = [operation.tag]
    if operation.side:
        document["x-side"] = operation.side
    if operation.public:
        document["security"] = []
    if operation.body:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.body}},
        }
    return document


class UndeclaredEndpoint(RuntimeError):
    """An API route was added without ``portal.api.endpoints.endpoint``."""


def build_spec(app: Flask) -> dict:
    """The OpenAPI document of every rule of the ``api`` blueprint."""
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Relais API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[marshmallow_plugin],
        info={"description": DESCRIPTION},
        security=[{"bearerAuth": []}],
    )
    marshmallow_plugin.map_to_openapi_type(DecimalString, "string", "decimal")
    spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "An organization's API token (rls_…)."},
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.schema("ValidationProblem", schema=ValidationProblemSchema)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint.split(".", 1)[0] != "api":
            continue
        operation = OPERATIONS.get(rule.endpoint)
        if operation is None:
            raise UndeclaredEndpoint(
                f"{rule.endpoint} ({rule.rule}) is not declared with endpoint()"
            )
        path, parameters = openapi_path(rule.rule)
        operations = paths.setdefault(path, {})
        operations[operation.method.lower()] = _operation(rule.endpoint, operation, parameters)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()

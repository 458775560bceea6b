"""The API's first endpoints: the organization, its members, its functions, the document."""

from __future__ import annotations

from flask import current_app, g, jsonify

from portal import tenancy
from portal.api import queries
from portal.api.endpoints import endpoint
from portal.api.schemas import FunctionSchema, MemberSchema, OrganizationSchema
from portal.api.spec import build_spec
from portal.models import BackOfficeFunction


@endpoint(
    "GET",
    "/openapi.json",
    summary="This OpenAPI document",
    description="Public: no token needed.",
    public=True,
    tag="API",
)
def openapi_document():
    document = current_app.extensions.get("relais_openapi")
    if document is None:
        document = current_app.extensions["relais_openapi"] = build_spec(current_app)
    return jsonify(document)


@endpoint(
    "GET",
    "/organization",
    summary="The token's organization",
    response=OrganizationSchema,
    tag="Organization",
)
def organization():
    return g.organization


@endpoint(
    "GET",
    "/members",
    summary="The organization's members",
    response=MemberSchema,
    paginated=True,
    tag="Organization",
)
def members():
    return queries.members()


@endpoint(
    "GET",
    "/functions",
    summary="The back-office functions and their in-house cost baseline",
    response=FunctionSchema,
    paginated=True,
    side="client",
    tag="Functions",
)
def functions():
    return queries.functions()


@endpoint(
    "GET",
    "/functions/<int:function_id>",
    summary="One back-office function and its in-house cost baseline",
    response=FunctionSchema,
    side="client",
    tag="Functions",
)
def function(function_id: int):
    return tenancy.get_or_404(BackOfficeFunction, function_id)

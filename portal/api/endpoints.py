"""The one way to declare an API endpoint: its route, roles, side, schemas and doc.

``endpoint`` registers the view on the ``api`` blueprint and records what the
OpenAPI document says about it (``portal.api.spec``), so the document cannot
drift from the code. The wrapper checks the role and side, loads the query
string and body through their schemas (a ``ValidationError`` becomes a 422
problem), and dumps what the view returns through the response schema::

    @endpoint("GET", "/tenders/<int:tender_id>", summary="One tender",
              response=TenderSchema, side="client")
    def tender(tender_id):
        return tenancy.get_or_404(Tender, tender_id)

A paginated endpoint returns a ``select()``; the wrapper pages it and answers
the ``data``/``meta``/``links`` envelope with an RFC 8288 ``Link`` header.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Response, abort, g, jsonify, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError
from sqlalchemy.sql import Select

from portal.api import bp
from portal.api.problems import problem_response, validation_problem
from portal.api.schemas import PageQuerySchema
from portal.models import Role
from portal.pagination import paginate
from portal.rules import RuleError
from portal.security import READ


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one endpoint (one rule, one method)."""

    method: str
    summary: str
    description: str
    roles: frozenset[Role]
    side: str | None
    public: bool
    response: type[Schema] | None
    query: type[Schema] | None
    body: type[Schema] | None
    paginated: bool
    status: int
    tag: str


#: Declared operations by Flask endpoint name (``api.<name>``).
OPERATIONS: dict[str, Operation] = {}


def _schema(schema: type[Schema] | Schema | None) -> Schema | None:
    return schema() if isinstance(schema, type) else schema


def paged_query_schema(query: type[Schema] | None) -> type[Schema]:
    """The endpoint's query schema with ``page`` and ``per_page`` added."""
    if query is None:
        return PageQuerySchema
    return type(
        f"{query.__name__.removesuffix('Schema')}PageQuerySchema", (query, PageQuerySchema), {}
    )


def _check_access(roles: frozenset[Role], side: str | None) -> None:
    organization = g.organization
    if side == "client" and not organization.is_client:
        abort(404)
    if side == "vendor" and not organization.is_vendor:
        abort(404)
    if g.membership.role not in roles:
        abort(403, description=_("This API token's role does not allow this action."))


def _load_body(schema: Schema) -> dict:
    if not request.is_json:
        abort(415, description=_("Send the body as application/json."))
    return schema.load(request.get_json(), unknown=RAISE)


def _page_url(number: int, per_page: int) -> str:
    # The query string is appended, not passed to url_for: a client's
    # ``?_external=``, ``?_anchor=`` or ``?endpoint=`` would be read as
    # url_for's own arguments (a 500, or a fragment in every link).
    args = request.args.copy()
    args["page"], args["per_page"] = str(number), str(per_page)
    base = url_for(request.endpoint, **(request.view_args or {}), _external=True)
    return f"{base}?{urlencode(list(args.items(multi=True)))}"


def paginated_response(statement: Select, schema: Schema, page: int, per_page: int):
    """The page of ``statement`` in the API's envelope, with its ``Link`` header."""
    page = paginate(statement, page, per_page)
    links = {
        "self": _page_url(page.number, page.per_page),
        "first": _page_url(1, page.per_page),
        "last": _page_url(page.pages, page.per_page),
        "next": _page_url(page.number + 1, page.per_page) if page.has_next else None,
        "prev": _page_url(page.number - 1, page.per_page) if page.has_prev else None,
    }
    response = jsonify(
        {
            "data": schema.dump(page.items, many=True),
            "meta": {
                "page": page.number,
                "per_page": page.per_page,
                "total": page.total,
                "pages": page.pages,
            },
            "links": links,
        }
    )
    response.headers["Link"] = ", ".join(
        f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self"
    )
    return response


def endpoint(
    method: str,
    rule: str,
    *,
    summary: str,
    description: str = "",
    roles: Iterable[Role] = READ,
    side: str | None = None,
    response: type[Schema] | None = None,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    paginated: bool = False,
    status: int = 200,
    public: bool = False,
    tag: str = "",
    name: str | None = None,
    load: Callable | None = None,
) -> Callable:
    """Declare an API endpoint on ``rule`` (relative to /api/v1) for one HTTP ``method``.

    ``roles`` default to every role (reading); a change names its roles and is
    never GET. ``side`` (``client``/``vendor``) makes the endpoint a 404 for
    the other side. The view receives the URL arguments, plus ``query=`` and
    ``body=`` (loaded dicts) when those schemas are given. It returns what
    ``response`` dumps, a ``select()`` when ``paginated``, a ``Response``, or
    None for 204. ``public`` endpoints need no token (the OpenAPI document).

    ``load`` takes the URL arguments and returns the record they name, through
    the wall; the view then receives that record instead of them. It runs
    before the query and body are read, so a record the token may not see is
    a 404 whatever was sent.
    """
    method = method.upper()
    allowed = frozenset(roles)
    if method != "GET" and Role.VIEWER in allowed:
        raise ValueError(f"{method} {rule}: a viewer never changes data; name the roles")
    query_schema = _schema(paged_query_schema(query) if paginated else query)
    body_schema = _schema(body)
    response_schema = _schema(response)

    def decorator(view: Callable) -> Callable:
        endpoint_name = name or view.__name__

        @functools.wraps(view)
        def wrapper(**view_args):
            if not public:
                _check_access(allowed, side)
            arguments = dict(view_args)
            positional = ()
            if load is not None:
                positional, arguments = (load(**view_args),), {}
            page_args: dict = {}
            if query_schema is not None:
                loaded = query_schema.load(request.args.to_dict(), unknown=EXCLUDE)
                if paginated:
                    page_args = {key: loaded.pop(key) for key in ("page", "per_page")}
                if query is not None:
                    arguments["query"] = loaded
            if body_schema is not None:
                arguments["body"] = _load_body(body_schema)
            result = view(*positional, **arguments)
            if isinstance(result, Response):
                return result
            if paginated:
                return paginated_response(result, response_schema, **page_args)
            if result is None:
                return "", 204
            if response_schema is None:
                return jsonify(result), status
            return jsonify(response_schema.dump(result)), status

        wrapper.api_public = public  # type: ignore[attr-defined]
        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        wrapper.required_side = side  # type: ignore[attr-defined]
        OPERATIONS[f"{bp.name}.{endpoint_name}"] = Operation(
            method=method,
            summary=summary,
            description=description,
            roles=allowed,
            side=side,
            public=public,
            response=response,
            query=query,
            body=body,
            paginated=paginated,
            status=status,
            tag=tag,
        )
        bp.add_url_rule(rule, endpoint=endpoint_name, view_func=wrapper, methods=[method])
        return wrapper

    return decorator


@bp.errorhandler(ValidationError)
def _invalid_input(error: ValidationError):
    return validation_problem(error.messages)


@bp.errorhandler(RuleError)
def _refused(error: RuleError):
    """An operation's refusal: 422 naming the field at fault, else 409 (the record's state)."""
    message = str(error.message)
    if error.field:
        return validation_problem({error.field: [message]}, detail=message)
    return problem_response(409, message)

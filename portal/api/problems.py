"""RFC 9457 problem details: every API error is JSON of this shape."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(status: int, detail: str | None = None, **extra):
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def validation_problem(errors: dict, detail: str | None = None):
    """A 422 naming each invalid field with its messages (marshmallow's ``messages``)."""
    if not isinstance(errors, dict):
        errors = {"_schema": errors if isinstance(errors, list) else [str(errors)]}
    return problem_response(
        422, detail or _("The request has invalid fields; see errors."), errors=errors
    )

"""RFC 9457 problem details: every API error is JSON of this shape."""

from __future__ import annotations

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES


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
    response.content_type = "application/problem+json"
    return response

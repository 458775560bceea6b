"""Error pages in the portal's layout; the API answers RFC 9457 problem details."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def _wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    from portal.api.problems import problem_response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if _wants_problem_json():
            response = problem_response(error.code or 500, detail=error.description)
            # Allow (405) and other headers the error carries travel with the problem.
            response.headers.extend(h for h in error.get_headers() if h[0] != "Content-Type")
            return response
        if isinstance(error, CSRFError):
            message = _("The form expired or was sent twice. Please try again.")
        else:
            message = None
        return (
            render_template("errors/error.html", code=error.code, error=error, message=message),
            error.code or 500,
        )

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return _http_error(error)
        app.logger.exception("unhandled error on %s", request.path)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        if _wants_problem_json():
            return problem_response(500)
        return render_template("errors/error.html", code=500, error=InternalServerError()), 500

"""The JSON API under /api/v1: token authentication, problem details, pagination, OpenAPI.

Domain packages add their endpoints in their own ``api.py`` with
``portal.api.endpoints.endpoint`` (which registers them on this blueprint and
in the OpenAPI document); ``create_app`` imports every package's ``api``
module before it registers ``bp``.
"""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__)
# A bearer token in a header, never a cookie, authenticates the API, so a
# cross-site form cannot ride on a browser's session: CSRF tokens add nothing.
csrf.exempt(bp)

"""The JSON API under /api/v1: token authentication, problem details, pagination, OpenAPI."""

from flask import Blueprint

bp = Blueprint("api", __name__)

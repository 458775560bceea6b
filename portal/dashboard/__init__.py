"""The landing page of a logged-in member."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from portal.dashboard import views  # noqa: E402,F401 - registers the routes

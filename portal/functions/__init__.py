"""The client's register of back-office functions: departments, functions, baselines."""

from flask import Blueprint

bp = Blueprint("functions", __name__, url_prefix="/functions")

from portal.functions import views  # noqa: E402,F401 - registers the routes

"""The landing page of a logged-in member."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

"""Organizations, memberships and roles, invitations, switching, API tokens."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

from portal.organizations import views  # noqa: E402,F401 - registers the routes

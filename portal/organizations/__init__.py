"""Organizations, memberships and roles, invitations, switching, API tokens."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

"""The organization's audit log, for its admins."""

from flask import Blueprint

bp = Blueprint("audit_log", __name__, url_prefix="/audit-log")

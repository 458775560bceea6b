"""The notification centre: in-app notifications, also sent by e-mail."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

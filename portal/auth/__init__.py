"""Accounts: sign-up, login and logout, server-side sessions, password reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

"""The client's register of back-office functions: departments, functions, baselines."""

from flask import Blueprint

bp = Blueprint("functions", __name__, url_prefix="/functions")

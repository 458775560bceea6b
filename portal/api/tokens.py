from flask import Blueprint

tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


@tokens_bp.get("/")
def index():
    return ""

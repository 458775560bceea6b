"""The organization's API tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import tenancy
from portal.api import queries
from portal.api.forms import ApiTokenForm
from portal.api.operations import TokenNameTaken, create_api_token, revoke_api_token
from portal.models import ApiToken, Role
from portal.pagination import paginate
from portal.security import requires

tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")


def _render_index(form: ApiTokenForm, status: int = 200):
    page = paginate(queries.api_tokens(), request.args.get("page", 1, type=int))
    return render_template("api_tokens/index.html", form=form, page=page), status


@tokens_bp.get("/")
@requires(Role.ADMIN)
def index():
    return _render_index(ApiTokenForm())


@tokens_bp.post("/")
@requires(Role.ADMIN)
def create():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    try:
        record, secret = create_api_token(g.actor, form.data)
    except TokenNameTaken:
        form.name.errors.append(
            _("An active token already has this name: revoke it or choose another name.")
        )
        return _render_index(form, 400)
    # Rendered in the POST's answer, never stored or redirected with, so the
    # secret exists only in this one response.
    response = make_response(
        render_template("api_tokens/created.html", token=record, secret=secret)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@tokens_bp.post("/<int:token_id>/revoke")
@requires(Role.ADMIN)
def revoke(token_id: int):
    record = tenancy.get_or_404(ApiToken, token_id)
    if revoke_api_token(g.actor, record):
        flash(
            _("The token %(name)s is revoked; calls with it are refused.", name=record.name),
            "success",
        )
    else:
        flash(_("The token %(name)s was already revoked.", name=record.name), "info")
    return redirect(url_for("api_tokens.index"))

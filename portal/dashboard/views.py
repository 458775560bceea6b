from flask import redirect, render_template, url_for
from flask_login import current_user

from portal.dashboard import bp
from portal.security import READ, requires


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.get("/dashboard")
@requires(*READ)
def index():
    return render_template("dashboard/index.html")

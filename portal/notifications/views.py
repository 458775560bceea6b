from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import tenancy
from portal.models import Notification
from portal.notifications import bp
from portal.notifications.service import (
    mark_all_read,
    mark_read,
    notifications_of,
    safe_link,
)
from portal.pagination import paginate
from portal.security import READ, requires


def _own_notification_or_404(notification_id: int) -> Notification:
    notification = tenancy.get_or_404(Notification, notification_id)
    # Someone else's notification in the same organization is as invisible as
    # one in another organization.
    if notification.user_id != current_user.id:
        abort(404)
    return notification


@bp.get("/")
@requires(*READ)
def index():
    page = paginate(notifications_of(current_user.id), request.args.get("page", 1, type=int))
    return render_template("notifications/index.html", page=page, safe_link=safe_link)


@bp.post("/<int:notification_id>/read")
@requires(*READ, personal=True)
def read(notification_id: int):
    notification = _own_notification_or_404(notification_id)
    mark_read(notification)
    return redirect(safe_link(notification.link) or url_for("notifications.index"))


@bp.post("/read-all")
@requires(*READ, personal=True)
def read_all():
    count = mark_all_read(current_user.id)
    if count:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))

from flask import g, redirect, render_template, url_for
from flask_login import current_user

from portal.audit_log.queries import latest_events, token_prefixes
from portal.dashboard import bp, dashboard_panels, queries
from portal.db import utcnow
from portal.models import Role
from portal.notifications.service import latest_notifications, safe_link
from portal.security import READ, has_role, requires


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.get("/dashboard")
@requires(*READ)
def index():
    organization = g.organization
    is_admin = has_role(Role.ADMIN)
    audit_events = latest_events() if is_admin else []
    panels = [
        answer
        for _receiver, answer in dashboard_panels.send(organization, today=utcnow().date())
        if answer is not None
    ]
    return render_template(
        "dashboard/index.html",
        organization=organization,
        is_admin=is_admin,
        baseline_totals=queries.baseline_totals() if organization.is_client else [],
        member_count=queries.member_count(),
        pending_invitations=queries.pending_invitation_count() if is_admin else 0,
        notifications=latest_notifications(current_user.id),
        audit_events=audit_events,
        token_prefixes=token_prefixes(audit_events),
        steps=queries.first_steps(is_client=organization.is_client) if is_admin else None,
        safe_link=safe_link,
        panels=panels,
    )

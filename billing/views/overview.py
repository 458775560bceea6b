"""The back-office overview for the COO: every function, how and by whom it is delivered,
its SLA health and its cost against the in-house baseline, per department."""

from __future__ import annotations

from flask import render_template

from billing import bp
from billing.queries import overview as queries
from portal.db import utcnow
from portal.security import READ, requires
from vendors.queries.tenders import status_label


@bp.get("/savings/overview")
@requires(*READ, side="client")
def backoffice_overview():
    now = utcnow()
    return render_template(
        "billing/overview.html",
        overview=queries.backoffice_overview(now.date()),
        modes=queries.DeliveryMode,
        now=now,
        tender_status_label=status_label,
    )

"""The projection of a tender's bids before award: cost over the term against the in-house
baseline, and what the ranking does when the volume moves.

The client's own tender only (another organization, or a vendor, gets a 404);
the bids are opened at the deadline, exactly as on the evaluation page.
"""

from __future__ import annotations

from flask import render_template, request

from billing import bp
from billing.queries import projection as queries
from portal.db import utcnow
from portal.security import READ, requires
from vendors.queries.evaluation import pricing_model_label
from vendors.queries.tenders import own_tender_or_404, status_label


@bp.get("/savings/tenders/<int:tender_id>")
@requires(*READ, side="client")
def tender_projection(tender_id: int):
    tender = own_tender_or_404(tender_id)
    now = utcnow()
    change = queries.volume_change(request.args.get("volume"))
    return render_template(
        "billing/projection.html",
        tender=tender,
        projection=queries.projection(tender, now, change),
        status_label=status_label(tender.phase(now)),
        volume_choices=queries.VOLUME_CHOICES,
        change=change,
        pricing_model_label=pricing_model_label,
    )

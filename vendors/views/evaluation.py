"""The client's evaluation of a tender's bids after the deadline, and the award.

Every page here loads the tender as the client's own (a client that is a
vendor too sees other clients' published tenders through the wall, never as
its own pages), and the bids through the wall, which opens them at the
deadline.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from portal import tenancy
from portal.db import utcnow
from portal.rules import RuleError, show_on_form
from portal.security import READ, has_role, requires
from vendors import EVALUATORS, TENDER_MANAGERS, bp
from vendors.forms.evaluation import AwardForm, ScoresForm
from vendors.models import Tender
from vendors.operations import evaluation as operations
from vendors.queries import evaluation as queries
from vendors.queries.tenders import own_tender_or_404, status_label
from vendors.views.bids import send_attachment


def _evaluation_url(tender: Tender) -> str:
    return url_for("vendors.evaluation", tender_id=tender.id)


def _evaluation_page(
    tender: Tender,
    *,
    scores_form: ScoresForm | None = None,
    award_form: AwardForm | None = None,
    status: int = 200,
):
    """The comparison matrix with the forms the member may use, or the sealed page."""
    now = utcnow()
    matrix = queries.comparison_matrix(tender, g.actor.id, now)
    if matrix is None:
        return render_template(
            "vendors/evaluation/sealed.html",
            tender=tender,
            status_label=status_label(tender.phase(now)),
        ), status
    is_open = operations.evaluation_open(tender, now)
    can_score = is_open and has_role(EVALUATORS) and bool(matrix.scored_criteria)
    can_award = is_open and has_role(TENDER_MANAGERS) and bool(matrix.submitted_bids)
    if can_score and scores_form is None:
        scores_form = ScoresForm(formdata=None, sheet=matrix.score_sheet())
    if can_award:
        if award_form is None:
            award_form = AwardForm(formdata=None)
        award_form.offer([(bid.bid_id, bid.vendor_name) for bid in matrix.submitted_bids])
    return render_template(
        "vendors/evaluation/matrix.html",
        tender=tender,
        matrix=matrix,
        status_label=status_label(tender.phase(now)),
        scores_form=scores_form if can_score else None,
        award_form=award_form if can_award else None,
        pricing_model_label=queries.pricing_model_label,
    ), status


@bp.get("/tenders/<int:tender_id>/evaluation")
@requires(*READ, side="client")
def evaluation(tender_id: int):
    return _evaluation_page(own_tender_or_404(tender_id))


@bp.post("/tenders/<int:tender_id>/evaluation/scores")
@requires(*EVALUATORS, side="client")
def score_bids(tender_id: int):
    tender = own_tender_or_404(tender_id)
    form = ScoresForm()
    if form.validate_on_submit():
        try:
            changed = operations.score_bids(g.actor, tender, form.cells())
        except RuleError as error:
            if error.field is None:
                flash(error.message, "error")
                return redirect(_evaluation_url(tender))
            show_on_form(form, error)
        else:
            if changed:
                flash(_("Your scores were saved."), "success")
            else:
                flash(_("Your scores were already saved as they are."), "info")
            return redirect(_evaluation_url(tender))
    return _evaluation_page(tender, scores_form=form, status=400)


@bp.get("/tenders/<int:tender_id>/bids/<int:bid_id>")
@requires(*READ, side="client")
def client_bid(tender_id: int, bid_id: int):
    tender = own_tender_or_404(tender_id)
    bid = queries.opened_bid_or_404(tender, bid_id, utcnow())
    return render_template(
        "vendors/evaluation/bid.html",
        tender=tender,
        detail=queries.bid_detail(tender, bid),
        pricing_model_label=queries.pricing_model_label,
        location_kind_labels=queries.LOCATION_KIND_LABELS,
        bid_status_labels=queries.BID_STATUS_LABELS,
    )


@bp.get("/tenders/<int:tender_id>/bids/<int:bid_id>/attachments/<int:attachment_id>")
@requires(*READ, side="client")
def client_bid_attachment(tender_id: int, bid_id: int, attachment_id: int):
    tender = own_tender_or_404(tender_id)
    bid = queries.opened_bid_or_404(tender, bid_id, utcnow())
    return send_attachment(tenancy.child_or_404(bid, "attachments", attachment_id))


@bp.post("/tenders/<int:tender_id>/award")
@requires(*TENDER_MANAGERS, side="client")
def award_tender(tender_id: int):
    tender = own_tender_or_404(tender_id)
    form = AwardForm()
    if form.validate_on_submit():
        # Through the wall: before the deadline, or for a draft, withdrawn or
        # replaced bid, there is no such bid for the client.
        bid = tenancy.child_or_404(tender, "bids", form.bid_id.data)
        try:
            operations.award_tender(g.actor, tender, bid, form.reason.data)
        except RuleError as error:
            if error.field is None:
                flash(error.message, "error")
                return redirect(_evaluation_url(tender))
            show_on_form(form, error)
        else:
            message = _(
                "%(title)s was awarded to %(vendor)s.", title=tender.title, vendor=bid.vendor.name
            )
            flash(message, "success")
            return redirect(_evaluation_url(tender))
    return _evaluation_page(tender, award_form=form, status=400)

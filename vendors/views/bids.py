"""The vendor side of tendering: the marketplace, questions and bids (``side="vendor"``)."""

from __future__ import annotations

import io

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from portal import tenancy
from portal.db import MAX_ID, utcnow
from portal.functions.catalogue import catalogue_function
from portal.rules import show_on_form
from portal.security import READ, has_role, requires
from vendors import BID_MANAGERS, bp
from vendors.forms.bids import (
    LOCATION_KINDS,
    LOCATION_PREFERENCES,
    PRICE_LINE_KINDS,
    AttachmentForm,
    BidForm,
    MarketplaceFilterForm,
    QuestionForm,
)
from vendors.models import TENDER_PUBLIC_STATUSES, Bid, BidStatus, Tender
from vendors.operations import bids as operations
from vendors.queries import bids as queries
from vendors.queries.tenders import addendum_changes


def _vendor_tender_or_404(tender_id: int) -> Tender:
    """A tender of another client that the current vendor may see.

    The wall lets an organization that is also a client see its own tenders,
    drafts included: those are not on the vendor side.
    """
    tender = tenancy.get_or_404(Tender, tender_id)
    if tender.organization_id == g.organization.id or tender.status not in TENDER_PUBLIC_STATUSES:
        abort(404)
    return tender


def _own_bid_or_404(bid_id: int) -> Bid:
    """One of the current vendor's bids (a client reading sealed bids uses its own pages)."""
    bid = tenancy.get_or_404(Bid, bid_id)
    if bid.organization_id != g.organization.id:
        abort(404)
    return bid


def _labels() -> dict:
    return {
        "price_line_kinds": PRICE_LINE_KINDS,
        "location_kinds": LOCATION_KINDS,
        "location_preferences": LOCATION_PREFERENCES,
        "catalogue_function": catalogue_function,
        "format_date": format_date,
    }


def _page_number() -> int | None:
    number = request.args.get("page", type=int)
    return number if number is None or 0 < number <= MAX_ID else None


# --- The marketplace ------------------------------------------------------------------


@bp.get("/marketplace")
@requires(*READ, side="vendor")
def marketplace():
    form = MarketplaceFilterForm(formdata=request.args)
    page = queries.marketplace(form.filters(), _page_number())
    return render_template(
        "vendors/bids/marketplace.html", form=form, page=page, now=utcnow(), **_labels()
    )


def _tender_page(tender: Tender, question_form: QuestionForm, status: int = 200):
    state = queries.bid_state(tender)
    now = utcnow()
    current = state.current
    return render_template(
        "vendors/bids/tender.html",
        tender=tender,
        function_key=queries.function_key(tender),
        invited=queries.is_invited(tender),
        questions=queries.tender_questions(tender),
        question_form=question_form,
        state=state,
        pricing=queries.pricing(current, tender) if current else None,
        is_open=tender.is_open_for_bids(now),
        phase=tender.phase(now),
        can_bid=has_role(BID_MANAGERS),
        addendum_changes=addendum_changes,
        **_labels(),
    ), status


@bp.get("/marketplace/<int:tender_id>")
@requires(*READ, side="vendor")
def marketplace_tender(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    return _tender_page(tender, QuestionForm(formdata=None))


@bp.post("/marketplace/<int:tender_id>/questions")
@requires(*BID_MANAGERS, side="vendor")
def ask_question(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            operations.ask_question(g.actor, tender, form.question.data)
        except operations.AlreadyDone as done:
            flash(done.message, "info")
            return redirect(
                url_for("vendors.marketplace_tender", tender_id=tender.id, _anchor="questions")
            )
        except operations.BidRuleError as error:
            show_on_form(form, error, default_field="question")
        else:
            flash(
                _("Your question was sent. The answer will be published to every bidder."),
                "success",
            )
            return redirect(
                url_for("vendors.marketplace_tender", tender_id=tender.id) + "#questions"
            )
    return _tender_page(tender, form, 400)


# --- The bid form ---------------------------------------------------------------------


@bp.route("/marketplace/<int:tender_id>/bid", methods=["GET", "POST"])
@requires(*BID_MANAGERS, side="vendor")
def edit_bid(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    state = queries.bid_state(tender)
    draft = state.draft
    if request.method == "GET":
        if not tender.is_open_for_bids(utcnow()):
            flash(_("Bids on this tender can no longer change."), "info")
            return redirect(url_for("vendors.marketplace_tender", tender_id=tender.id))
        if draft is None and state.live is not None:
            flash(
                _("Your bid is submitted. Replace it to change it: it stands until then."), "info"
            )
            return redirect(url_for("vendors.marketplace_tender", tender_id=tender.id))
    form = BidForm(tender=tender, data=queries.bid_form_data(draft, tender) if draft else None)
    if form.validate_on_submit():
        try:
            bid = operations.save_bid_draft(g.actor, tender, form.to_data())
        except operations.BidRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Draft saved. It is not submitted yet."), "success")
            weaker = [row for row in queries.commitment_rows(bid, tender) if row.weaker]
            if weaker:
                flash(
                    ngettext(
                        "%(num)s commitment is weaker than the tender requires: %(metrics)s.",
                        "%(num)s commitments are weaker than the tender requires: %(metrics)s.",
                        len(weaker),
                        metrics=", ".join(row.requirement.metric for row in weaker),
                    ),
                    "warning",
                )
            return redirect(url_for("vendors.edit_bid", tender_id=tender.id))
    if not form.is_submitted():
        form.add_blank_line()
    status = 400 if form.is_submitted() else 200
    # What was typed, flagged against each target as it stands on the page.
    rows = [
        (queries.CommitmentRow(requirement, entry.data), entry)
        for requirement, entry in zip(form.requirements, form.commitments.entries, strict=True)
    ]
    return render_template(
        "vendors/bids/edit.html",
        tender=tender,
        form=form,
        state=state,
        draft=draft,
        commitment_rows=rows,
        pricing=queries.pricing(draft, tender) if draft else None,
        missing=operations.missing_for_submission(draft, tender) if draft else [],
        attachment_form=AttachmentForm(formdata=None),
        max_attachment_mb=current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024),
        **_labels(),
    ), status


# --- Submit, withdraw, replace --------------------------------------------------------


def _back_to(tender: Tender):
    return redirect(url_for("vendors.marketplace_tender", tender_id=tender.id))


@bp.post("/marketplace/<int:tender_id>/bid/submit")
@requires(*BID_MANAGERS, side="vendor")
def submit_bid(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    state = queries.bid_state(tender)
    bid = state.draft or state.live
    if bid is None:
        flash(_("Prepare a bid before submitting it."), "error")
        return _back_to(tender)
    try:
        operations.submit_bid(g.actor, bid)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.BidRuleError as error:
        flash(error.message, "error")
        if bid.status == BidStatus.DRAFT and tender.is_open_for_bids(utcnow()):
            return redirect(url_for("vendors.edit_bid", tender_id=tender.id))
    else:
        flash(
            _(
                "Your bid is submitted. It stays sealed until the deadline; "
                "you can replace or withdraw it until then."
            ),
            "success",
        )
    return _back_to(tender)


@bp.post("/marketplace/<int:tender_id>/bid/withdraw")
@requires(*BID_MANAGERS, side="vendor")
def withdraw_bid(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    state = queries.bid_state(tender)
    bid_id = request.form.get("bid_id", type=int)
    if bid_id is not None:
        bid = next((version for version in state.versions if version.id == bid_id), None)
    else:
        bid = state.live or state.draft
    if bid is None:
        flash(_("There is no bid to withdraw."), "info")
        return _back_to(tender)
    replacement_only = state.is_replacing and bid is state.draft
    try:
        operations.withdraw_bid(g.actor, bid)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.BidRuleError as error:
        flash(error.message, "error")
    else:
        if replacement_only:
            flash(_("The new version was discarded. Your submitted bid stands."), "success")
        else:
            flash(_("Your bid is withdrawn."), "success")
    return _back_to(tender)


@bp.post("/marketplace/<int:tender_id>/bid/replace")
@requires(*BID_MANAGERS, side="vendor")
def replace_bid(tender_id: int):
    tender = _vendor_tender_or_404(tender_id)
    state = queries.bid_state(tender)
    if state.live is None:
        flash(_("There is no submitted bid to replace."), "info")
        return _back_to(tender)
    try:
        operations.replace_bid(g.actor, state.live)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.BidRuleError as error:
        flash(error.message, "error")
        return _back_to(tender)
    else:
        flash(
            _("A new version is open. Your submitted bid stands until you submit this one."),
            "success",
        )
    return redirect(url_for("vendors.edit_bid", tender_id=tender.id))


# --- The vendor's bids ----------------------------------------------------------------


@bp.get("/bids")
@requires(*READ, side="vendor")
def my_bids():
    return render_template(
        "vendors/bids/my_bids.html", page=queries.my_bids(_page_number()), now=utcnow()
    )


@bp.get("/bids/<int:bid_id>")
@requires(*READ, side="vendor")
def bid(bid_id: int):
    record = _own_bid_or_404(bid_id)
    tender = record.tender
    if tender is None:
        abort(404)
    return render_template(
        "vendors/bids/bid.html",
        bid=record,
        tender=tender,
        history=queries.bid_history(record),
        pricing=queries.pricing(record, tender),
        commitment_rows=queries.commitment_rows(record, tender),
        phase=tender.phase(utcnow()),
        **_labels(),
    )


# --- Attachments ----------------------------------------------------------------------


def _after_attachment(bid: Bid):
    return redirect(url_for("vendors.edit_bid", tender_id=bid.tender_id, _anchor="documents"))


@bp.post("/bids/<int:bid_id>/attachments")
@requires(*BID_MANAGERS, side="vendor")
def upload_attachment(bid_id: int):
    record = _own_bid_or_404(bid_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        for error in form.file.errors or form.form_errors or [_("Choose a PDF file.")]:
            flash(error, "error")
        return _after_attachment(record)
    upload = form.file.data
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    # One byte past the limit is enough to know the file is too large.
    content = upload.stream.read(limit + 1)
    try:
        attachment = operations.add_attachment(g.actor, record, upload.filename, content)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.BidRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s is attached.", name=attachment.filename), "success")
    return _after_attachment(record)


@bp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>")
@requires(*READ, side="vendor")
def bid_attachment(bid_id: int, attachment_id: int):
    record = _own_bid_or_404(bid_id)
    return send_attachment(tenancy.child_or_404(record, "attachments", attachment_id))


def send_attachment(attachment):
    """A bid's PDF as a download, never rendered inline nor kept in a shared cache."""
    response = send_file(
        io.BytesIO(attachment.content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/bids/<int:bid_id>/attachments/<int:attachment_id>/delete")
@requires(*BID_MANAGERS, side="vendor")
def delete_attachment(bid_id: int, attachment_id: int):
    record = _own_bid_or_404(bid_id)
    attachment = tenancy.child_or_404(record, "attachments", attachment_id)
    name = attachment.filename
    try:
        operations.delete_attachment(g.actor, record, attachment)
    except operations.BidRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s was removed.", name=name), "success")
    return _after_attachment(record)

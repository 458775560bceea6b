"""The client's tenders: list, draft, invitations, publication, addenda, answers, cancel.

Every page is the client's own (``side="client"``), and loads the tender
with ``queries.own_tender_or_404``: a client that is also a vendor sees
other clients' published tenders through the wall, but never on these pages.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from portal import tenancy
from portal.db import utcnow
from portal.rules import show_on_form
from portal.security import READ, has_role, requires
from vendors import TENDER_MANAGERS, bp
from vendors.forms.tenders import (
    AddendumForm,
    AnswerForm,
    CancelForm,
    InviteForm,
    TenderForm,
    UninviteForm,
    addendum_form_data,
    tender_form_data,
)
from vendors.models import TenderStatus
from vendors.operations import tenders as operations
from vendors.queries import tenders as queries
from vendors.queries.profiles import listed_vendor_choices, vendor_ids_serving


def _form_data(form) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _default_form_data(function) -> dict:
    """A new tender's starting point: the function's volume, a usual set of criteria."""
    data = {
        "price_weight": 50,
        "criteria": [
            {"name": _("Quality of the service and approach"), "weight": 30},
            {"name": _("Transition plan and risks"), "weight": 20},
        ],
        "term_months": 36,
    }
    if function is not None:
        data.update(
            {
                "function_id": function.id,
                "title": _("Outsourcing of %(name)s", name=function.name),
                "monthly_volume": function.monthly_volume,
                "volume_unit": function.volume_unit,
            }
        )
    return data


def _button(name: str) -> bool:
    return name in request.form


# --- List and page --------------------------------------------------------------------


@bp.get("/tenders")
@requires(*READ, side="client")
def tenders():
    try:
        status = TenderStatus(request.args.get("status") or "")
    except ValueError:
        status = None
    now = utcnow()
    page = queries.tenders(status, _page_number(), now)
    return render_template(
        "vendors/tenders/index.html",
        page=page,
        status=status,
        statuses=queries.TENDER_STATUS_LABELS,
        now=now,
        can_manage=has_role(TENDER_MANAGERS),
    )


def _render_tender(tender, *, cancel_form=None, answer_forms=None, status: int = 200):
    now = utcnow()
    questions = queries.questions(tender)
    answer_forms = answer_forms or {}
    for question in questions:
        if question.id not in answer_forms:
            answer_forms[question.id] = AnswerForm(
                prefix=f"q{question.id}", formdata=None, data={"answer": question.answer}
            )
    phase = tender.phase(now)
    can_compare = phase in (TenderStatus.CLOSED, TenderStatus.AWARDED)
    return render_template(
        "vendors/tenders/show.html",
        tender=tender,
        phase=phase,
        now=now,
        questions=questions,
        askers=queries.organization_names(q.organization_id for q in questions),
        addenda=[(a, queries.addendum_changes(a, tender)) for a in tender.addenda],
        answer_forms=answer_forms,
        cancel_form=cancel_form or CancelForm(formdata=None),
        can_manage=has_role(TENDER_MANAGERS),
        is_open=tender.is_open_for_bids(now),
        can_compare=can_compare,
        status_label=queries.status_label,
        location_labels=queries.LOCATION_PREFERENCE_LABELS,
        visibility_labels=queries.VISIBILITY_LABELS,
        format_date=format_date,
    ), status


@bp.get("/tenders/<int:tender_id>")
@requires(*READ, side="client")
def tender(tender_id: int):
    return _render_tender(queries.tender_page(tender_id))


# --- Drafts ---------------------------------------------------------------------------


def _render_form(form, tender, function, status: int):
    return render_template(
        "vendors/tenders/form.html",
        form=form,
        tender=tender,
        function=function,
        has_functions=bool(form.function_id.choices) if "function_id" in form else True,
    ), status


def _handle_row_buttons(form) -> bool:
    """The no-script buttons that change the rows without saving; True if one was pressed."""
    if _button("add_library"):
        form.add_library_rows()
        return True
    if _button("more_rows"):
        form.add_blank_rows(3)
        return True
    return False


@bp.route("/tenders/new", methods=["GET", "POST"])
@requires(*TENDER_MANAGERS, side="client")
def new_tender():
    functions = queries.functions()
    if request.method == "POST":
        function = queries.function_or_none(request.form.get("function_id"))
    else:
        function = queries.function_or_none(request.args.get("function_id"))
    form = TenderForm(
        functions=functions,
        catalogue_key=function.catalogue_key if function else None,
        data=_default_form_data(function),
    )
    if form.is_submitted() and _handle_row_buttons(form):
        form.add_spare_rows()
        return _render_form(form, None, function, 200)
    if form.validate_on_submit():
        try:
            tender = operations.create_tender(g.actor, function, _form_data(form))
        except operations.TenderRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Draft tender %(title)s saved.", title=tender.title), "success")
            return redirect(url_for("vendors.tender", tender_id=tender.id))
    form.add_spare_rows()
    status = 400 if form.is_submitted() else 200
    return _render_form(form, None, function, status)


@bp.route("/tenders/<int:tender_id>/edit", methods=["GET", "POST"])
@requires(*TENDER_MANAGERS, side="client")
def edit_tender(tender_id: int):
    tender = queries.tender_page(tender_id)
    if tender.status != TenderStatus.DRAFT:
        flash(_("Only a draft can be edited; a published tender changes by addendum."), "error")
        return redirect(url_for("vendors.tender", tender_id=tender.id))
    form = TenderForm(catalogue_key=tender.function.catalogue_key, data=tender_form_data(tender))
    if form.is_submitted() and _handle_row_buttons(form):
        form.add_spare_rows()
        return _render_form(form, tender, tender.function, 200)
    if form.validate_on_submit():
        try:
            operations.update_tender(g.actor, tender, _form_data(form))
        except operations.TenderRuleError as error:
            show_on_form(form, error)
        else:
            flash(_("Draft tender %(title)s saved.", title=tender.title), "success")
            return redirect(url_for("vendors.tender", tender_id=tender.id))
    form.add_spare_rows()
    status = 400 if form.is_submitted() else 200
    return _render_form(form, tender, tender.function, status)


# --- Invitations ----------------------------------------------------------------------


@bp.route("/tenders/<int:tender_id>/invitations", methods=["GET", "POST"])
@requires(*TENDER_MANAGERS, side="client")
def tender_invitations(tender_id: int):
    tender = queries.tender_page(tender_id)
    catalogue_key = tender.function.catalogue_key
    invited = {invitation.vendor_organization_id for invitation in tender.invitations}
    candidates = [v for v in listed_vendor_choices(catalogue_key) if v.id not in invited]
    serving = set(vendor_ids_serving(catalogue_key)) if catalogue_key else set()
    form = InviteForm(vendors=[(v.id, v.name) for v in candidates])
    status = 200
    if request.method == "POST" and _button("remove"):
        remove = UninviteForm()
        if remove.validate():
            try:
                removed = operations.uninvite_vendor(g.actor, tender, remove.vendor_id.data)
            except operations.TenderRuleError as error:
                flash(error.message, "error")
            else:
                if removed:
                    flash(_("Invitation withdrawn."), "success")
        return redirect(url_for("vendors.tender_invitations", tender_id=tender.id))
    if form.validate_on_submit():
        try:
            created = operations.invite_vendors(g.actor, tender, form.vendor_ids.data or [])
        except operations.TenderRuleError as error:
            show_on_form(form, error)
        else:
            if created:
                flash(
                    ngettext("%(num)s vendor invited.", "%(num)s vendors invited.", len(created)),
                    "success",
                )
            return redirect(url_for("vendors.tender_invitations", tender_id=tender.id))
    if form.is_submitted():
        status = 400
    return render_template(
        "vendors/tenders/invitations.html",
        tender=tender,
        form=form,
        candidates=candidates,
        serving=serving,
        can_invite=tender.status == TenderStatus.DRAFT or tender.is_open_for_bids(utcnow()),
        can_remove=tender.status == TenderStatus.DRAFT,
    ), status


# --- Publication, addenda, cancellation -----------------------------------------------


@bp.post("/tenders/<int:tender_id>/publish")
@requires(*TENDER_MANAGERS, side="client")
def publish_tender(tender_id: int):
    tender = queries.own_tender_or_404(tender_id)
    try:
        operations.publish_tender(g.actor, tender)
    except operations.TenderRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("%(title)s is published: vendors can bid.", title=tender.title), "success")
    return redirect(url_for("vendors.tender", tender_id=tender.id))


@bp.route("/tenders/<int:tender_id>/addenda/new", methods=["GET", "POST"])
@requires(*TENDER_MANAGERS, side="client")
def new_addendum(tender_id: int):
    tender = queries.tender_page(tender_id)
    if not tender.is_open_for_bids(utcnow()):
        flash(
            _("An addendum can be published only on a published tender before its deadline."),
            "error",
        )
        return redirect(url_for("vendors.tender", tender_id=tender.id))
    form = AddendumForm(data=addendum_form_data(tender))
    if form.validate_on_submit():
        try:
            addendum = operations.publish_addendum(g.actor, tender, _form_data(form))
        except operations.TenderRuleError as error:
            show_on_form(form, error)
        else:
            flash(
                _(
                    "Addendum %(number)s published; invited vendors and bidders were told.",
                    number=addendum.number,
                ),
                "success",
            )
            return redirect(url_for("vendors.tender", tender_id=tender.id))
    status = 400 if form.is_submitted() else 200
    requirements = {r.id: r for r in tender.sla_requirements}
    return render_template(
        "vendors/tenders/addendum_form.html",
        form=form,
        tender=tender,
        requirements=requirements,
    ), status


@bp.post("/tenders/<int:tender_id>/cancel")
@requires(*TENDER_MANAGERS, side="client")
def cancel_tender(tender_id: int):
    tender = queries.tender_page(tender_id)
    form = CancelForm()
    if form.validate():
        try:
            operations.cancel_tender(g.actor, tender, form.reason.data)
        except operations.TenderRuleError as error:
            if error.field != "reason":
                flash(error.message, "error")
                return redirect(url_for("vendors.tender", tender_id=tender.id))
            show_on_form(form, error)
        else:
            flash(_("%(title)s is cancelled.", title=tender.title), "success")
            return redirect(url_for("vendors.tender", tender_id=tender.id))
    return _render_tender(tender, cancel_form=form, status=400)


@bp.post("/tenders/<int:tender_id>/questions/<int:question_id>/answer")
@requires(*TENDER_MANAGERS, side="client")
def answer_question(tender_id: int, question_id: int):
    tender = queries.tender_page(tender_id)
    question = tenancy.child_or_404(tender, "questions", question_id)
    form = AnswerForm(prefix=f"q{question.id}")
    if form.validate():
        try:
            operations.answer_question(g.actor, tender, question, form.answer.data)
        except operations.TenderRuleError as error:
            if error.field != "answer":
                flash(error.message, "error")
                return redirect(url_for("vendors.tender", tender_id=tender.id))
            show_on_form(form, error)
        else:
            flash(_("Answer published to every eligible bidder."), "success")
            return redirect(url_for("vendors.tender", tender_id=tender.id) + "#questions")
    return _render_tender(tender, answer_forms={question.id: form}, status=400)


@bp.app_context_processor
def _tender_roles() -> dict:
    # Pages outside this package (a function's page) offer "Put out to tender" to these.
    return {"TENDER_MANAGERS": TENDER_MANAGERS}

"""Pages of billing: one invoice (both parties), the vendor's draft (drafting from a
report, editing, cancelling, issuing), credit notes, and the PDF and XML downloads.

Downloads serve the bytes stored at issue, never a new rendering.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from billing import INVOICE_ISSUERS, bp
from billing.forms.invoices import CreditNoteForm, ExtraLineForm, NoteForm, RemoveLineForm
from billing.models import OPEN_STATUSES, InvoiceKind, InvoiceStatus, LineKind
from billing.operations import credit_notes as credit_operations
from billing.operations import invoices as operations
from billing.queries import invoices as queries
from contracts.models import DeliveryReport
from portal import tenancy
from portal.db import write_locked
from portal.rules import show_on_form
from portal.security import READ, has_role, requires


def _to_invoice(invoice):
    return redirect(url_for("billing.invoice", invoice_id=invoice.id))


def _own_invoice_or_404(invoice_id: int):
    """An invoice the current organization issued (or drafts)."""
    invoice = queries.invoice_or_404(invoice_id)
    if not queries.is_issuer_of(invoice):
        abort(404)
    return invoice


def _invoices_url() -> str | None:
    """The list of invoices, once its page exists."""
    if "billing.invoices" not in current_app.view_functions:
        return None
    return url_for("billing.invoices")


# --- One invoice ----------------------------------------------------------------------------


@bp.app_template_global()
def invoice_status_label(status) -> str:
    return str(queries.STATUS_LABELS[InvoiceStatus(status)])


@bp.app_template_global()
def invoice_status_colour(status) -> str:
    return queries.STATUS_COLOURS[InvoiceStatus(status)]


@bp.get("/invoices/<int:invoice_id>")
@requires(*READ)
def invoice(invoice_id: int):
    record = queries.invoice_or_404(invoice_id)
    issuer = queries.is_issuer_of(record)
    can_issue = issuer and has_role(INVOICE_ISSUERS)
    return render_template(
        "billing/invoice.html",
        invoice=record,
        is_issuer=issuer,
        is_client=not issuer,
        can_edit=can_issue and record.status is InvoiceStatus.DRAFT,
        can_credit=can_issue
        and record.kind is InvoiceKind.INVOICE
        and record.status in OPEN_STATUSES
        and record.balance_due > 0,
        totals=queries.totals_of(record),
        history=queries.history(record),
        kind_labels=queries.KIND_LABELS,
        invoices_url=_invoices_url(),
        category_labels=queries.VAT_CATEGORY_LABELS,
    )


# --- The vendor's draft ---------------------------------------------------------------------


@bp.post("/invoices/from-report/<int:report_id>")
@requires(*INVOICE_ISSUERS, side="vendor")
def draft_from_report(report_id: int):
    report = tenancy.get_or_404(DeliveryReport, report_id)
    if report.vendor_organization_id != tenancy.current_organization_id():
        abort(404)
    try:
        record = operations.draft_invoice_from_report(g.actor, report)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
        if done.invoice is not None:
            return _to_invoice(done.invoice)
    except operations.InvoiceRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Invoice drafted from the report. Check it, then issue it."), "success")
        return _to_invoice(record)
    return redirect(
        url_for("contracts.report", contract_id=report.contract_id, report_id=report.id)
    )


def _edit_page(invoice, note_form=None, line_form=None, status: int = 200):
    return render_template(
        "billing/edit.html",
        invoice=invoice,
        note_form=note_form or NoteForm(formdata=None, note=invoice.note),
        line_form=line_form or ExtraLineForm(formdata=None),
        totals=queries.totals_of(invoice),
        extra=LineKind.EXTRA,
    ), status


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires(*INVOICE_ISSUERS, side="vendor")
def edit_invoice(invoice_id: int):
    record = _own_invoice_or_404(invoice_id)
    if record.status is not InvoiceStatus.DRAFT:
        flash(_("Only a draft invoice can be edited."), "info")
        return _to_invoice(record)
    if request.method == "GET":
        return _edit_page(record)
    action = request.form.get("action")
    if action == "note":
        form = NoteForm()
        if form.validate_on_submit():
            try:
                operations.update_note(g.actor, record, form.note.data)
            except operations.InvoiceRuleError as error:
                show_on_form(form, error)
            else:
                flash(_("Note saved."), "success")
                return redirect(url_for("billing.edit_invoice", invoice_id=record.id))
        return _edit_page(record, note_form=form, status=400)
    if action == "add_line":
        form = ExtraLineForm()
        if form.validate_on_submit():
            try:
                operations.add_extra_line(g.actor, record, form.data)
            except operations.InvoiceRuleError as error:
                show_on_form(form, error)
            else:
                flash(_("Line added."), "success")
                return redirect(url_for("billing.edit_invoice", invoice_id=record.id))
        return _edit_page(record, line_form=form, status=400)
    if action == "remove_line":
        form = RemoveLineForm()
        if form.validate_on_submit():
            try:
                operations.remove_extra_line(g.actor, record, int(form.line_id.data))
            except (operations.InvoiceRuleError, ValueError) as error:
                flash(getattr(error, "message", _("This line cannot be removed.")), "error")
            else:
                flash(_("Line removed."), "success")
                return redirect(url_for("billing.edit_invoice", invoice_id=record.id))
        return _edit_page(record, status=400)
    abort(400)


@bp.post("/invoices/<int:invoice_id>/issue")
@write_locked
@requires(*INVOICE_ISSUERS, side="vendor")
def issue_invoice(invoice_id: int):
    record = _own_invoice_or_404(invoice_id)
    try:
        record = operations.issue_invoice(g.actor, record)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.InvoiceRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Invoice %(number)s issued. The client is told.", number=record.number), "success")
    return _to_invoice(record)


@bp.post("/invoices/<int:invoice_id>/cancel")
@requires(*INVOICE_ISSUERS, side="vendor")
def cancel_invoice(invoice_id: int):
    record = _own_invoice_or_404(invoice_id)
    try:
        operations.cancel_invoice(g.actor, record)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.InvoiceRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Draft cancelled. The report can be invoiced again."), "success")
    return _to_invoice(record)


# --- Credit notes ---------------------------------------------------------------------------


def _credit_page(invoice, form, status: int = 200):
    return render_template(
        "billing/credit_note.html", invoice=invoice, form=form, rows=form.line_rows()
    ), status


@bp.route("/invoices/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@write_locked
@requires(*INVOICE_ISSUERS, side="vendor")
def new_credit_note(invoice_id: int):
    record = _own_invoice_or_404(invoice_id)
    if (
        record.kind is not InvoiceKind.INVOICE
        or record.status not in OPEN_STATUSES
        or record.balance_due <= 0
    ):
        flash(_("Nothing is left to credit on this invoice."), "info")
        return _to_invoice(record)
    form = CreditNoteForm(invoice=record)
    if request.method == "GET":
        return _credit_page(record, CreditNoteForm(formdata=None, invoice=record))
    if form.validate_on_submit():
        try:
            credit_note = credit_operations.issue_credit_note(g.actor, record, form.to_data())
        except credit_operations.CreditNoteError as error:
            show_on_form(form, error)
        else:
            flash(
                _(
                    "Credit note %(number)s issued on invoice %(invoice)s. The client is told.",
                    number=credit_note.number,
                    invoice=record.number,
                ),
                "success",
            )
            return _to_invoice(credit_note)
    return _credit_page(record, form, 400)


# --- Downloads ------------------------------------------------------------------------------


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/invoices/<int:invoice_id>/pdf")
@requires(*READ)
def invoice_pdf(invoice_id: int):
    record = queries.invoice_or_404(invoice_id, with_documents=True)
    if record.pdf is None or not record.is_issued:
        abort(404)
    return _download(record.pdf, "application/pdf", f"{record.number}.pdf")


@bp.get("/invoices/<int:invoice_id>/xml")
@requires(*READ)
def invoice_xml(invoice_id: int):
    record = queries.invoice_or_404(invoice_id, with_documents=True)
    if record.xml is None or not record.is_issued:
        abort(404)
    return _download(record.xml, "application/xml", f"{record.number}.xml")

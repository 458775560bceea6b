"""The client's review of an invoice: approve it (a captive chargeback: settle it) or
dispute it with a reason.

The buttons live on the invoice page (partial ``billing/_review.html``, drawn
from the ``invoice_review`` template global, so the page's own view passes
nothing). Both endpoints answer with the invoice page; a dispute without a
reason comes back on a page of its own with what was typed (400).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from billing import INVOICE_APPROVERS, bp
from billing.forms.review import DisputeForm
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.operations import review as operations
from billing.queries.lists import is_captive
from portal import tenancy
from portal.db import write_locked
from portal.rules import show_on_form
from portal.security import has_role, requires


def _to_invoice(invoice: Invoice):
    return redirect(url_for("billing.invoice", invoice_id=invoice.id))


def _received_invoice(invoice_id: int) -> Invoice:
    """An invoice the current organization received; its issuer may see it, not review it."""
    invoice = tenancy.get_or_404(Invoice, invoice_id)
    if invoice.client_organization_id != tenancy.require_organization_id():
        abort(403)
    return invoice


@dataclass(frozen=True)
class ReviewPanel:
    #: The current member may approve (and perhaps dispute) the invoice.
    can_approve: bool
    can_dispute: bool
    #: An internal chargeback: approving settles it.
    captive: bool
    form: DisputeForm | None


@bp.app_template_global()
def invoice_review(invoice: Invoice) -> ReviewPanel:
    """What the review partial shows for ``invoice`` to the current member."""
    reviewer = (
        invoice.kind is InvoiceKind.INVOICE
        and invoice.client_organization_id == tenancy.current_organization_id()
        and has_role(INVOICE_APPROVERS)
    )
    can_approve = reviewer and invoice.status in operations.APPROVABLE
    can_dispute = reviewer and invoice.status is InvoiceStatus.ISSUED
    return ReviewPanel(
        can_approve=can_approve,
        can_dispute=can_dispute,
        captive=is_captive(invoice),
        form=DisputeForm(formdata=None) if can_dispute else None,
    )


@bp.post("/invoices/<int:invoice_id>/approve")
@write_locked
@requires(*INVOICE_APPROVERS, side="client")
def approve_invoice(invoice_id: int):
    invoice = _received_invoice(invoice_id)
    captive = is_captive(invoice)
    try:
        operations.approve_invoice(g.actor, invoice)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.ReviewRuleError as error:
        flash(error.message, "error")
    else:
        if captive:
            flash(_("Chargeback approved: it is settled, no payment follows."), "success")
        else:
            flash(_("Invoice approved. The vendor is told."), "success")
    return _to_invoice(invoice)


@bp.post("/invoices/<int:invoice_id>/dispute")
@write_locked
@requires(*INVOICE_APPROVERS, side="client")
def dispute_invoice(invoice_id: int):
    invoice = _received_invoice(invoice_id)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            operations.dispute_invoice(g.actor, invoice, form.reason.data)
        except operations.AlreadyDone as done:
            flash(done.message, "info")
            return _to_invoice(invoice)
        except operations.ReviewRuleError as error:
            if error.field is None:
                flash(error.message, "error")
                return _to_invoice(invoice)
            show_on_form(form, error)
        else:
            flash(
                _("Invoice disputed. The vendor is asked to answer with a credit note."), "success"
            )
            return _to_invoice(invoice)
    return render_template(
        "billing/invoice_action.html", invoice=invoice, dispute_form=form, action="dispute"
    ), 400

"""Payments the vendor records by hand (bank transfers), and the payments partial
of the invoice page.

The partial ``billing/_payments.html`` draws from the ``invoice_payments``
template global: the payments, the balance due, whether the invoice is
overdue, and for the vendor's invoicing people the form of a transfer
received. A refused form comes back on a page of its own with what was typed
(400).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from billing import INVOICE_ISSUERS, bp
from billing.forms.payments import PaymentForm
from billing.models import Invoice, InvoiceStatus, Payment
from billing.operations import payments as operations
from billing.queries.lists import amount_due, is_captive, is_overdue
from portal import tenancy
from portal.db import utcnow, write_locked
from portal.rules import show_on_form
from portal.security import has_role, requires


def _issued_invoice(invoice_id: int) -> Invoice:
    """An invoice the current organization issued; its recipient may see it, not pay it here."""
    invoice = tenancy.get_or_404(Invoice, invoice_id)
    if invoice.vendor_organization_id != tenancy.require_organization_id():
        abort(403)
    return invoice


def payment_form(invoice: Invoice, formdata=None) -> PaymentForm:
    """The form of a transfer received, carrying the amount paid so far."""
    form = PaymentForm(formdata=formdata)
    if formdata is None:
        form.received_on.data = utcnow().date()
        form.paid_before.data = str(invoice.amount_paid)
    return form


@dataclass(frozen=True)
class PaymentsPanel:
    payments: list[Payment]
    due: Decimal
    overdue: bool
    captive: bool
    #: The current member may record a transfer now.
    can_record: bool
    form: PaymentForm | None


@bp.app_template_global()
def invoice_payments(invoice: Invoice) -> PaymentsPanel:
    """What the payments partial shows for ``invoice`` to the current member."""
    can_record = (
        invoice.vendor_organization_id == tenancy.current_organization_id()
        and has_role(INVOICE_ISSUERS)
        and operations.payable_refusal(invoice) is None
    )
    return PaymentsPanel(
        payments=list(invoice.payments) if invoice.is_issued else [],
        due=amount_due(invoice),
        overdue=is_overdue(invoice, utcnow().date()),
        captive=is_captive(invoice),
        can_record=can_record,
        form=payment_form(invoice) if can_record else None,
    )


@bp.post("/invoices/<int:invoice_id>/payments")
@write_locked
@requires(*INVOICE_ISSUERS, side="vendor")
def record_payment(invoice_id: int):
    invoice = _issued_invoice(invoice_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            operations.record_payment(g.actor, invoice, form.payment_data())
        except operations.AlreadyRecorded as done:
            flash(done.message, "info")
            return redirect(url_for("billing.invoice", invoice_id=invoice.id))
        except operations.PaymentRuleError as error:
            if error.field is None:
                flash(error.message, "error")
                return redirect(url_for("billing.invoice", invoice_id=invoice.id))
            show_on_form(form, error)
        else:
            if invoice.status is InvoiceStatus.PAID:
                flash(_("Payment recorded: the invoice is paid."), "success")
            else:
                flash(_("Payment recorded. The client is told."), "success")
            return redirect(url_for("billing.invoice", invoice_id=invoice.id))
    return render_template(
        "billing/invoice_action.html", invoice=invoice, payment_form=form, action="payment"
    ), 400

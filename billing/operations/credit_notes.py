"""Credit notes: how an issued invoice is corrected, never by editing it.

A credit note is an invoice of its own kind (EN 16931 type 381) that refers to
the invoice it corrects, with positive amounts, its own number in the same
sequence, its PDF and e-invoice. The vendor credits the whole balance, chosen
amounts of chosen lines, or one amount; it is issued at once, and never for
more than the invoice's balance. The credited invoice's ``amount_credited``
grows; nothing left to pay makes it CREDITED; a disputed invoice partly
credited is settled by it (APPROVED, or SETTLED for a captive's chargeback).

A credit note is applied to its invoice the moment it is issued: nothing is
paid or approved on it, so it is stored SETTLED (numbered, frozen, never in
the open statuses, never overdue, never offered for payment) and has no due
date.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from billing import INVOICE_APPROVERS
from billing.models import (
    INVOICE_TRANSITIONS,
    OPEN_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    VatCategory,
)
from billing.operations.invoices import (
    MAX_DESCRIPTION,
    InvoiceRuleError,
    ensure_issuer,
    locale_of,
    lock,
    record_for_both,
    refresh_totals,
    snapshot,
    stamp_issue,
)
from billing.rules import HUNDRED
from contracts.models import VatTreatment
from portal import audit, db
from portal.audit_log.labels import ACTION_LABELS
from portal.db import utcnow
from portal.models import User
from portal.money import minor_unit, round_money
from portal.notifications.service import link_to, notify_organization

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "credit_note.issued": _l("Credit note issued"),
        "invoice.credited": _l("Invoice credited by a credit note"),
    }
)

#: How much is credited: the whole balance, amounts per line, or one amount.
FULL, LINES, AMOUNT = "full", "lines", "amount"
MODES = (FULL, LINES, AMOUNT)
MAX_REASON = 2000


class CreditNoteError(InvoiceRuleError):
    """A credit note that the rules refuse."""


def creditable_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The lines an amount can be credited on: those billing something (positive)."""
    return [line for line in invoice.lines if line.net_amount > 0]


def _credit_line(
    description: str,
    quantity: Decimal,
    unit: str,
    price: Decimal,
    category: VatCategory,
    rate: Decimal,
    code: str | None = None,
) -> InvoiceLine:
    return InvoiceLine(
        kind=LineKind.CREDIT,
        description=description[:MAX_DESCRIPTION],
        quantity=quantity,
        unit=unit,
        unit_price=price,
        net_amount=Decimal(0),
        vat_category=category,
        vat_rate=rate,
        code=code,
    )


def _gross_of(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    return net + round_money(net * rate / HUNDRED, currency)


def net_for_gross(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The net amount whose total with VAT at ``rate`` is ``gross``, or the largest below it.

    VAT is rounded to the minor unit, so a few totals cannot be reached exactly;
    the nearest lower one is taken (a credit note never exceeds the balance).
    """
    step = minor_unit(currency)
    guess = round_money(gross * HUNDRED / (HUNDRED + rate), currency)
    best = Decimal(0)
    for candidate in (guess + step * offset for offset in (-2, -1, 0, 1, 2)):
        if candidate > 0 and _gross_of(candidate, rate, currency) <= gross:
            best = max(best, candidate)
    return best


def _lines_for(invoice: Invoice, data: Mapping[str, Any]) -> list[InvoiceLine]:
    mode = data.get("mode")
    currency = invoice.currency
    first = invoice.lines[0]
    category, rate = VatCategory(first.vat_category), first.vat_rate
    if mode == FULL:
        if invoice.amount_credited == 0 and invoice.amount_paid == 0:
            # The whole invoice, line by line: the same totals, to the cent.
            return [
                _credit_line(
                    line.description,
                    line.quantity,
                    line.unit,
                    line.unit_price,
                    VatCategory(line.vat_category),
                    line.vat_rate,
                    line.code,
                )
                for line in invoice.lines
            ]
        net = net_for_gross(invoice.balance_due, rate, currency)
        text = _("Balance of invoice %(number)s", number=invoice.number)
        return [_credit_line(text, Decimal(1), "", net, category, rate)]
    if mode == LINES:
        amounts = data.get("line_amounts") or {}
        lines = []
        for line in creditable_lines(invoice):
            amount = amounts.get(line.id)
            if amount is None or amount == 0:
                continue
            if amount < 0:
                raise CreditNoteError(_l("Credit positive amounts."), "line_amounts")
            if amount != round_money(amount, currency):
                raise CreditNoteError(
                    _l("Amounts have at most the currency's decimals."), "line_amounts"
                )
            if amount > line.net_amount:
                raise CreditNoteError(
                    _l(
                        "“%(line)s” can be credited %(amount)s at most.",
                        line=line.description,
                        amount=line.net_amount,
                    ),
                    "line_amounts",
                )
            lines.append(
                _credit_line(
                    _("Credit: %(line)s", line=line.description),
                    Decimal(1),
                    "",
                    amount,
                    VatCategory(line.vat_category),
                    line.vat_rate,
                    line.code,
                )
            )
        if not lines:
            raise CreditNoteError(
                _l("Enter the amount to credit on at least one line."), "line_amounts"
            )
        return lines
    if mode == AMOUNT:
        amount = data.get("amount")
        if amount is None or amount <= 0:
            raise CreditNoteError(_l("Enter an amount above zero."), "amount")
        if amount != round_money(amount, currency):
            raise CreditNoteError(_l("Amounts have at most the currency's decimals."), "amount")
        text = (data.get("description") or "").strip() or _(
            "Credit on invoice %(number)s", number=invoice.number
        )
        return [_credit_line(text, Decimal(1), "", amount, category, rate)]
    raise CreditNoteError(_l("Choose what to credit."), "mode")


def _moves_after_credit(invoice: Invoice, full: bool) -> list[InvoiceStatus]:
    """The statuses the credited invoice goes through (none: it stays as it is)."""
    if full or invoice.balance_due <= 0:
        return [InvoiceStatus.CREDITED]
    if invoice.status is InvoiceStatus.DISPUTED:
        # The credit note settles the dispute: the invoice is approved as credited,
        # and a captive's chargeback, approved, is settled (nothing is paid).
        if invoice.vat_treatment is VatTreatment.INTERNAL:
            return [InvoiceStatus.APPROVED, InvoiceStatus.SETTLED]
        return [InvoiceStatus.APPROVED]
    return []


def issue_credit_note(
    actor: User | None,
    invoice: Invoice,
    data: Mapping[str, Any],
    today: date | None = None,
) -> Invoice:
    """Credit an issued invoice, in full or in part, and issue the credit note at once.

    ``data``: ``reason`` (required), ``mode`` (full, lines, amount),
    ``line_amounts`` ({line id: amount excl. VAT}) or ``amount`` (excl. VAT) with
    an optional ``description``. The caller holds the write lock, as for an issue.
    """
    ensure_issuer(invoice)
    invoice = lock(invoice)
    if invoice.kind is not InvoiceKind.INVOICE:
        raise CreditNoteError(_l("A credit note corrects an invoice, not another credit note."))
    if invoice.status not in OPEN_STATUSES or invoice.balance_due <= 0:
        raise CreditNoteError(_l("Nothing is left to credit on this invoice."))
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise CreditNoteError(_l("Say why the invoice is credited."), "reason")
    if len(reason) > MAX_REASON:
        raise CreditNoteError(
            _l("Keep the reason under %(count)s characters.", count=MAX_REASON), "reason"
        )
    mode = data.get("mode")
    if mode not in MODES:
        raise CreditNoteError(_l("Choose what to credit."), "mode")
    if not invoice.lines:
        raise CreditNoteError(_l("Nothing is left to credit on this invoice."))

    credit_note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        vendor_organization_id=invoice.vendor_organization_id,
        client_organization_id=invoice.client_organization_id,
        contract_id=invoice.contract_id,
        contract=invoice.contract,
        vendor=invoice.vendor,
        client=invoice.client,
        credited_invoice_id=invoice.id,
        credited_invoice=invoice,
        status=InvoiceStatus.DRAFT,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=invoice.currency,
        vat_treatment=invoice.vat_treatment,
        note="",
        reason=reason,
        created_by_id=getattr(actor, "id", None),
    )
    with db.session.no_autoflush, force_locale(locale_of(actor)):
        credit_note.lines = _lines_for(invoice, data)
        refresh_totals(credit_note)
    if credit_note.gross_total <= 0:
        raise CreditNoteError(_l("The credit note's total must be above zero."))
    if credit_note.gross_total > invoice.balance_due:
        raise CreditNoteError(
            _l(
                "A credit note cannot exceed what is left on the invoice "
                "(%(balance)s %(currency)s incl. VAT).",
                balance=invoice.balance_due,
                currency=invoice.currency,
            ),
            "amount" if mode == AMOUNT else ("line_amounts" if mode == LINES else None),
        )

    issue_date = today or utcnow().date()
    invoice_before = audit.snapshot(invoice, ("status", "amount_credited"))
    db.session.add(credit_note)
    stamp_issue(credit_note, actor, issue_date, None)
    credit_note.status = InvoiceStatus.SETTLED
    credit_note.settled_at = credit_note.issued_at
    db.session.flush()

    invoice.amount_credited = invoice.amount_credited + credit_note.gross_total
    for status in _moves_after_credit(invoice, full=mode == FULL):
        if status not in INVOICE_TRANSITIONS[InvoiceStatus(invoice.status)]:
            raise CreditNoteError(_l("This invoice can no longer be credited."))
        if status is InvoiceStatus.APPROVED:
            invoice.approved_at = utcnow()
        if status is InvoiceStatus.SETTLED:
            invoice.settled_at = utcnow()
        invoice.status = status
    db.session.flush()

    record_for_both(
        "credit_note.issued",
        credit_note,
        actor,
        after={
            **snapshot(credit_note),
            "reason": reason,
            "credited_invoice": invoice.number,
            "pdf_sha256": credit_note.pdf_sha256,
        },
    )
    record_for_both(
        "invoice.credited",
        invoice,
        actor,
        before=invoice_before,
        after={
            **audit.snapshot(invoice, ("status", "amount_credited")),
            "credit_note": credit_note.number,
        },
    )
    notify_organization(
        invoice.client_organization_id,
        INVOICE_APPROVERS,
        "billing.credit_note_issued",
        _l(
            "Credit note %(number)s from %(vendor)s",
            number=credit_note.number,
            vendor=invoice.vendor.name,
        ),
        _l(
            "%(vendor)s credited %(amount)s %(currency)s on invoice %(invoice)s: %(reason)s",
            vendor=invoice.vendor.name,
            amount=credit_note.gross_total,
            currency=invoice.currency,
            invoice=invoice.number,
            reason=reason,
        ),
        link_to("billing.invoice", invoice_id=credit_note.id),
    )
    log.info(
        "user %s issued credit note %s on invoice %s",
        getattr(actor, "id", None),
        credit_note.number,
        invoice.number,
    )
    return credit_note

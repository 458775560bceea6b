"""Every change of an invoice on the vendor's side: drafting it from an accepted
delivery report, editing the draft (note, extra lines), cancelling it, issuing it.

A draft is the vendor's work: only its log hears of it. Issuing makes it a
legal document, so both parties' logs record it and the client is told. At
issue, in one flush: the issuer's next number (``billing.numbering``; the
caller holds the write lock), the due date, both parties' legal identity as
printed, the CII XML and the PDF with its SHA-256, and the status. After that
flush the model refuses any change to them (``billing.models``): corrections
are credit notes (``billing.operations.credit_notes``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from billing import INVOICE_APPROVERS
from billing.einvoice import invoice_xml
from billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from billing.numbering import assign_number, latest_issue_date
from billing.pdf import render_pdf, sha256
from billing.queries.invoices import invoice_of_report
from billing.rules import invoice_totals, line_amount, vat_of_treatment
from contracts.models import DeliveryReport, ReportStatus
from contracts.queries.common import OUTCOME_LABELS
from contracts.rules import month_end, period_fees
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import Organization, User
from portal.money import round_money
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "invoice.drafted": _l("Invoice drafted from a delivery report"),
        "invoice.draft_updated": _l("Invoice draft changed"),
        "invoice.cancelled": _l("Invoice draft cancelled"),
        "invoice.issued": _l("Invoice issued"),
    }
)
TARGET_LABELS.update({"Invoice": _l("Invoice")})

INVOICE_FIELDS = (
    "kind",
    "status",
    "number",
    "contract_id",
    "report_id",
    "period_start",
    "period_end",
    "currency",
    "net_total",
    "vat_total",
    "gross_total",
)
#: An organization's legal identity as an invoice prints it (copied at issue).
IDENTITY_FIELDS = (
    "name",
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "vat_number",
    "registration_number",
    "legal_form",
)
MAX_NOTE = 2000
MAX_DESCRIPTION = 300
MAX_UNIT = 80
#: The unit of a fixed monthly fee (the e-invoice reads it as UN/ECE "MON").
MONTH_UNIT = "month"


class InvoiceRuleError(RuleError):
    """A change of an invoice that the rules refuse."""


class AlreadyDone(InvoiceRuleError):
    """The change was already made (a form sent twice); ``invoice`` is the result."""

    def __init__(self, message: Any, invoice: Invoice | None = None):
        super().__init__(message)
        self.invoice = invoice


# --- Shared pieces ----------------------------------------------------------------------


def ensure_issuer(invoice: Invoice) -> None:
    if invoice.vendor_organization_id != tenancy.require_organization_id():
        raise InvoiceRuleError(_l("Only the vendor that issues an invoice changes it."))


def _ensure_draft(invoice: Invoice) -> None:
    ensure_issuer(invoice)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise InvoiceRuleError(_l("Only a draft invoice can be changed; this one is not."))


def lock(invoice: Invoice) -> Invoice:
    """Read the invoice again, its row locked until commit (PostgreSQL; on SQLite the
    request holds the write lock already): of two requests racing, the second one sees
    what the first did."""
    statement = (
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def locale_of(actor: User | None) -> str:
    """The language a document written by ``actor`` is in (line texts, the PDF)."""
    return getattr(actor, "locale", None) or "en"


def legal_identity(organization: Organization) -> dict[str, Any]:
    """The organization's legal identity, as it is printed on an invoice issued today."""
    identity = {name: getattr(organization, name) for name in IDENTITY_FIELDS}
    capital = organization.share_capital
    identity["share_capital"] = (
        str(round_money(Decimal(capital), organization.default_currency))
        if capital is not None
        else None
    )
    identity["capital_currency"] = organization.default_currency
    return identity


def refresh_totals(invoice: Invoice) -> None:
    """Each line's amount rounded on its own, then VAT per rate on the sum of its lines."""
    for position, line in enumerate(invoice.lines):
        line.position = position
        line.net_amount = line_amount(line.quantity, line.unit_price, invoice.currency)
    totals = invoice_totals(
        ((line.vat_category, line.vat_rate, line.net_amount) for line in invoice.lines),
        invoice.currency,
    )
    invoice.net_total = totals.net_total
    invoice.vat_total = totals.vat_total
    invoice.gross_total = totals.gross_total


def snapshot(invoice: Invoice) -> dict[str, Any]:
    data = audit.snapshot(invoice, INVOICE_FIELDS)
    data["note"] = invoice.note
    data["lines"] = [
        [line.kind.value, line.description, str(line.quantity), str(line.unit_price)]
        for line in invoice.lines
    ]
    return data


def summary(invoice: Invoice) -> str:
    label = invoice.number or "draft"
    return f"{label} · {invoice.contract.title} · {invoice.period_start:%Y-%m}"


def record_for_both(action: str, invoice: Invoice, actor: User | None, **fields) -> None:
    """The event in the issuer's log and in the recipient's."""
    audit.record_for_parties(
        action,
        invoice,
        (invoice.vendor_organization_id, invoice.client_organization_id),
        actor=actor,
        summary=summary(invoice),
        **fields,
    )


def stamp_issue(
    invoice: Invoice, actor: User | None, issue_date: date, due_date: date | None
) -> None:
    """Number, date, parties, XML and PDF of a document being issued (one flush, after).

    Nothing is flushed in between: the number and the issued status reach the
    database together (a check constraint holds them so), and the PDF is the
    frozen state's.
    """
    latest = latest_issue_date(invoice.vendor_organization_id, issue_date.year)
    if latest is not None and latest > issue_date:
        raise InvoiceRuleError(
            _l(
                "Invoice numbers follow the issue dates: an invoice of %(day)s is already "
                "issued, so this one cannot be dated earlier.",
                day=latest.isoformat(),
            )
        )
    with db.session.no_autoflush:
        assign_number(invoice, issue_date)
        invoice.due_date = due_date
        invoice.seller = legal_identity(invoice.vendor)
        invoice.buyer = legal_identity(invoice.client)
        invoice.issued_at = utcnow()
        invoice.issued_by_id = getattr(actor, "id", None)
        xml = invoice_xml(invoice)
        pdf = render_pdf(invoice, xml, locale=locale_of(actor))
        invoice.xml = xml
        invoice.pdf = pdf
        invoice.pdf_sha256 = sha256(pdf)


# --- Drafting ---------------------------------------------------------------------------


def _report_lines(report: DeliveryReport) -> list[InvoiceLine]:
    """The lines billing an accepted report (amounts not yet computed)."""
    contract = report.contract
    version = report.contract_version
    currency = contract.currency
    category, rate = vat_of_treatment(contract.vat_treatment, contract.vat_rate)

    def line(kind, description, quantity, unit, price, code=None) -> InvoiceLine:
        return InvoiceLine(
            kind=kind,
            description=description[:MAX_DESCRIPTION],
            quantity=Decimal(quantity),
            unit=unit[:MAX_UNIT],
            unit_price=Decimal(price),
            net_amount=Decimal(0),
            vat_category=category,
            vat_rate=rate,
            code=code,
        )

    lines = [
        line(LineKind.FIXED_FEE, fee.description, 1, MONTH_UNIT, fee.rate, fee.code)
        for fee in version.fixed_lines
    ]
    volumes = {volume.line_id: volume.quantity for volume in report.volumes}
    lines += [
        line(
            LineKind.UNIT_RATE,
            unit_line.description,
            volumes.get(unit_line.id, Decimal(0)),
            unit_line.unit,
            unit_line.rate,
            unit_line.code,
        )
        for unit_line in version.unit_lines
    ]
    fees = period_fees(
        ((fee.code, fee.rate) for fee in version.fixed_lines),
        ((u.code, u.rate, volumes.get(u.id, Decimal(0))) for u in version.unit_lines),
        version.monthly_minimum,
        currency,
    )
    if fees.minimum_top_up > 0:
        lines.append(
            line(
                LineKind.MINIMUM,
                _(
                    "Monthly minimum of %(minimum)s %(currency)s: top-up",
                    minimum=version.monthly_minimum,
                    currency=currency,
                ),
                1,
                MONTH_UNIT,
                fees.minimum_top_up,
                "minimum",
            )
        )
    names = {metric.id: metric.name for metric in version.metrics}
    credited = Decimal(0)
    for result in report.results:
        if result.credit_amount <= 0:
            continue
        credited += result.credit_amount
        lines.append(
            line(
                LineKind.SERVICE_CREDIT,
                _(
                    "Service credit: %(metric)s breached (%(outcome)s)",
                    metric=names.get(result.metric_id, result.code),
                    outcome=str(OUTCOME_LABELS[result.outcome]).lower(),
                ),
                1,
                "",
                -result.credit_amount,
                result.code,
            )
        )
    due = report.credit_amount if report.credit_amount is not None else credited
    if credited > due:
        lines.append(
            line(
                LineKind.SERVICE_CREDIT,
                _(
                    "Service credits capped at %(percent)s %% of the period's fees",
                    percent=version.credit_cap_percent.normalize(),
                ),
                1,
                "",
                credited - due,
                "credit-cap",
            )
        )
    return lines


def draft_invoice_from_report(actor: User | None, report: DeliveryReport) -> Invoice:
    """Prepare the vendor's draft invoice of an accepted report: one per report.

    Asked again, ``AlreadyDone`` carries the invoice already drafted (or issued).
    """
    contract = report.contract
    if report.vendor_organization_id != tenancy.require_organization_id():
        raise InvoiceRuleError(_l("Only the vendor invoices its delivery."))
    if report.status is not ReportStatus.ACCEPTED:
        raise InvoiceRuleError(_l("Only an accepted delivery report can be invoiced."))
    existing = invoice_of_report(report)
    if existing is not None:
        raise AlreadyDone(_l("This report is already invoiced."), existing)
    invoice = Invoice(
        kind=InvoiceKind.INVOICE,
        vendor_organization_id=contract.vendor_organization_id,
        client_organization_id=contract.client_organization_id,
        contract_id=contract.id,
        contract=contract,
        report_id=report.id,
        status=InvoiceStatus.DRAFT,
        period_start=report.period,
        period_end=month_end(report.period),
        currency=contract.currency,
        vat_treatment=contract.vat_treatment,
        note="",
        reason="",
        created_by_id=getattr(actor, "id", None),
    )
    with force_locale(locale_of(actor)):
        invoice.lines = _report_lines(report)
    refresh_totals(invoice)
    try:
        with db.session.begin_nested():
            db.session.add(invoice)
            db.session.flush()
    except IntegrityError:
        # A twin request drafted it meanwhile (the partial unique index said no).
        existing = invoice_of_report(report)
        raise AlreadyDone(_l("This report is already invoiced."), existing) from None
    audit.record(
        "invoice.drafted", invoice, actor=actor, after=snapshot(invoice), summary=summary(invoice)
    )
    log.info(
        "user %s drafted invoice %s from report %s",
        getattr(actor, "id", None),
        invoice.id,
        report.id,
    )
    return invoice


# --- Editing a draft ----------------------------------------------------------------------


def _record_draft_change(actor: User | None, invoice: Invoice, before: dict) -> None:
    db.session.flush()
    after = snapshot(invoice)
    if before != after:
        audit.record(
            "invoice.draft_updated",
            invoice,
            actor=actor,
            before=before,
            after=after,
            summary=summary(invoice),
        )


def update_note(actor: User | None, invoice: Invoice, note: str | None) -> Invoice:
    """Change the note printed on a draft."""
    _ensure_draft(invoice)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvoiceRuleError(
            _l("Keep the note under %(count)s characters.", count=MAX_NOTE), "note"
        )
    before = snapshot(invoice)
    invoice.note = note
    _record_draft_change(actor, invoice, before)
    return invoice


def add_extra_line(actor: User | None, invoice: Invoice, data: Mapping[str, Any]) -> InvoiceLine:
    """Add a line of the vendor's own (pass-through expenses…) to a draft, at its contract's VAT."""
    _ensure_draft(invoice)
    description = (data.get("description") or "").strip()
    if not description:
        raise InvoiceRuleError(_l("Describe what the line bills."), "description")
    quantity, price = data.get("quantity"), data.get("unit_price")
    if quantity is None or Decimal(quantity) <= 0:
        raise InvoiceRuleError(_l("The quantity must be more than zero."), "quantity")
    if price is None:
        raise InvoiceRuleError(_l("Enter the unit price."), "unit_price")
    contract = invoice.contract
    category, rate = vat_of_treatment(contract.vat_treatment, contract.vat_rate)
    before = snapshot(invoice)
    line = InvoiceLine(
        kind=LineKind.EXTRA,
        description=description[:MAX_DESCRIPTION],
        quantity=Decimal(quantity),
        unit=(data.get("unit") or "").strip()[:MAX_UNIT],
        unit_price=Decimal(price),
        net_amount=Decimal(0),
        vat_category=category,
        vat_rate=rate,
    )
    invoice.lines.append(line)
    refresh_totals(invoice)
    _record_draft_change(actor, invoice, before)
    return line


def remove_extra_line(actor: User | None, invoice: Invoice, line_id: int) -> None:
    """Take one of the vendor's own lines off a draft (the report's lines stay)."""
    _ensure_draft(invoice)
    line = next((line for line in invoice.lines if line.id == line_id), None)
    if line is None or line.kind is not LineKind.EXTRA:
        raise InvoiceRuleError(_l("Only a line you added can be removed."))
    before = snapshot(invoice)
    invoice.lines.remove(line)
    refresh_totals(invoice)
    _record_draft_change(actor, invoice, before)


def cancel_invoice(actor: User | None, invoice: Invoice) -> Invoice:
    """Drop a draft: it was never numbered; its report can be invoiced again."""
    ensure_issuer(invoice)
    if invoice.status is InvoiceStatus.CANCELLED:
        raise AlreadyDone(_l("This draft is already cancelled."), invoice)
    _ensure_draft(invoice)
    before = audit.snapshot(invoice, ("status",))
    invoice.status = InvoiceStatus.CANCELLED
    invoice.cancelled_at = utcnow()
    db.session.flush()
    audit.record(
        "invoice.cancelled",
        invoice,
        actor=actor,
        before=before,
        after=audit.snapshot(invoice, ("status",)),
        summary=summary(invoice),
    )
    log.info("user %s cancelled draft invoice %s", getattr(actor, "id", None), invoice.id)
    return invoice


# --- Issuing ------------------------------------------------------------------------------


def issue_invoice(actor: User | None, invoice: Invoice, today: date | None = None) -> Invoice:
    """Number, freeze and send a draft: its PDF and e-invoice are produced once, here.

    The caller holds the write lock (``@portal.db.write_locked`` on the view,
    ``portal.db.begin_immediate()`` elsewhere) so that numbers stay gapless.
    Issued twice, ``AlreadyDone``.
    """
    ensure_issuer(invoice)
    invoice = lock(invoice)
    if invoice.is_issued:
        raise AlreadyDone(_l("This invoice is already issued."), invoice)
    _ensure_draft(invoice)
    if not invoice.lines:
        raise InvoiceRuleError(_l("An invoice without lines cannot be issued."))
    if invoice.gross_total < 0:
        raise InvoiceRuleError(
            _l("The total is negative: an invoice cannot be issued for less than zero.")
        )
    issue_date = today or utcnow().date()
    before = audit.snapshot(invoice, ("status",))
    due_date = issue_date + timedelta(days=invoice.contract.payment_terms_days)
    stamp_issue(invoice, actor, issue_date, due_date)
    invoice.status = InvoiceStatus.ISSUED
    db.session.flush()
    after = audit.snapshot(
        invoice, ("status", "number", "issue_date", "due_date", "gross_total", "pdf_sha256")
    )
    record_for_both("invoice.issued", invoice, actor, before=before, after=after)
    _tell_client_of_issue(invoice)
    log.info(
        "user %s issued invoice %s as %s", getattr(actor, "id", None), invoice.id, invoice.number
    )
    return invoice


def _tell_client_of_issue(invoice: Invoice) -> None:
    vendor = invoice.vendor.name
    if invoice.gross_total and invoice.due_date:
        body = _l(
            "%(vendor)s issued invoice %(number)s for %(period)s: %(amount)s %(currency)s, "
            "due on %(due)s. Approve it or dispute it.",
            vendor=vendor,
            number=invoice.number,
            period=f"{invoice.period_start:%Y-%m}",
            amount=invoice.gross_total,
            currency=invoice.currency,
            due=invoice.due_date.isoformat(),
        )
    else:
        body = _l("%(vendor)s issued invoice %(number)s.", vendor=vendor, number=invoice.number)
    notify_organization(
        invoice.client_organization_id,
        INVOICE_APPROVERS,
        "billing.invoice_issued",
        _l("Invoice %(number)s from %(vendor)s", number=invoice.number, vendor=vendor),
        body,
        link_to("billing.invoice", invoice_id=invoice.id),
    )

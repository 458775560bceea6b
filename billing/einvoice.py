"""The e-invoice: an EN 16931 Cross Industry Invoice (CII) XML, as Factur-X embeds it.

Written with ``drafthorse`` (a maintained CII library) from an invoice that is
being issued: its number, dates, both parties' legal identity as copied at
issue (``invoice.seller`` / ``invoice.buyer``), its lines and totals. Type 380
for an invoice, 381 for a credit note (amounts positive, the corrected invoice
referenced). Checked against the Factur-X EN 16931 XSD before it is stored.

EN 16931 rules followed beyond the XSD: an item's net price is never negative
(a service-credit line is a negative quantity at a positive price, BR-27);
the VAT breakdown carries an exemption reason for AE, O and E; an invoice
whose lines are out of scope (O) names no VAT identifier (BR-O-02); a due date
or payment terms are always given (BR-CO-25).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import facturx
from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentTerms
from drafthorse.models.tradelines import LineItem

from billing.models import Invoice, InvoiceKind, VatCategory
from billing.rules import invoice_totals

#: The profile written and checked (Factur-X "EN 16931", formerly COMFORT).
FLAVOR, LEVEL = "factur-x", "en16931"
SCHEMA = "FACTUR-X_EN16931"
GUIDELINE = "urn:cen.eu:en16931:2017"

TYPE_CODES = {InvoiceKind.INVOICE: "380", InvoiceKind.CREDIT_NOTE: "381"}

#: Why no VAT is charged, per category (BT-120 text, BT-121 code of the VATEX list).
EXEMPTIONS: dict[VatCategory, tuple[str, str | None]] = {
    VatCategory.REVERSE_CHARGE: ("Reverse charge / Autoliquidation", "VATEX-EU-AE"),
    VatCategory.OUT_OF_SCOPE: ("Services outside the scope of EU VAT", "VATEX-EU-O"),
    VatCategory.NOT_SUBJECT: ("Internal chargeback: not subject to VAT", None),
}

#: UN/ECE recommendation 20 unit codes: a month, else "one" (a unit of something).
MONTH_UNIT_CODE, ONE_UNIT_CODE = "MON", "C62"
MONTH_UNITS = frozenset({"month", "months", "mois"})

#: French legal registration scheme (ISO 6523 ICD 0002: SIRENE).
SIREN_SCHEME = "0002"


class EInvoiceError(RuntimeError):
    """The XML written does not pass the Factur-X schema (a programming error)."""


def unit_code(unit: str) -> str:
    return MONTH_UNIT_CODE if (unit or "").strip().lower() in MONTH_UNITS else ONE_UNIT_CODE


def siren_of(party: Mapping[str, Any]) -> str | None:
    """The SIREN of a French party (the first 9 digits of a SIREN or SIRET), else None."""
    number = (party.get("registration_number") or "").replace(" ", "")
    if (party.get("country") or "").upper() == "FR" and number.isdigit() and len(number) in (9, 14):
        return number[:9]
    return None


def capital_text(party: Mapping[str, Any]) -> str:
    """The seller's legal form and share capital, as BT-33 states them."""
    parts = []
    if party.get("legal_form"):
        parts.append(str(party["legal_form"]))
    if party.get("share_capital"):
        parts.append(f"capital {party['share_capital']} {party.get('capital_currency') or ''}")
    return ", ".join(part.strip() for part in parts)


def _fill_party(trade_party, party: Mapping[str, Any], *, with_vat_number: bool) -> None:
    trade_party.name = party.get("legal_name") or party.get("name") or ""
    siren = siren_of(party)
    if siren:
        trade_party.legal_organization.id = (SIREN_SCHEME, siren)
    elif party.get("registration_number"):
        trade_party.legal_organization.id = party["registration_number"]
    if party.get("name") and party.get("name") != trade_party.name:
        trade_party.legal_organization.trade_name = party["name"]
    address = trade_party.address
    address.line_one = party.get("address_line1") or ""
    if party.get("address_line2"):
        address.line_two = party["address_line2"]
    address.postcode = party.get("postal_code") or ""
    address.city_name = party.get("city") or ""
    address.country_id = (party.get("country") or "").upper()
    if with_vat_number and party.get("vat_number"):
        trade_party.tax_registrations.add(TaxRegistration(id=("VA", party["vat_number"])))


def _quantity(value: Decimal) -> Decimal:
    """A quantity as short as it reads (``12000``, ``1.5``), never in exponent form."""
    normalized = Decimal(value).normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized


def _percent(value: Decimal) -> Decimal:
    """A rate with two decimals (``20.00``): never in exponent form (``2E+1``)."""
    return Decimal(value).quantize(Decimal("0.01"))


def legal_notes(invoice: Invoice) -> list[tuple[str, str]]:
    """(subject code, text) of the legal notes of the XML (UNTDID 4451 subjects)."""
    notes: list[tuple[str, str]] = []
    if invoice.note:
        notes.append(("AAI", invoice.note))
    if invoice.kind is InvoiceKind.CREDIT_NOTE and invoice.reason:
        notes.append(("AAI", f"Reason / Motif : {invoice.reason}"))
    seller_info = capital_text(invoice.seller or {})
    if seller_info:
        notes.append(("REG", seller_info))
    notes.append(
        (
            "PMD",
            "Late payment: penalties at three times the legal interest rate / "
            "Pénalités de retard : trois fois le taux d'intérêt légal",
        )
    )
    notes.append(
        (
            "PMT",
            "Fixed indemnity for recovery costs: 40 EUR / "
            "Indemnité forfaitaire pour frais de recouvrement : 40 EUR",
        )
    )
    notes.append(("AAB", "No discount for early payment / Pas d'escompte pour paiement anticipé"))
    return notes


def build_document(invoice: Invoice) -> Document:
    """The CII document of an invoice about to be issued (number, dates and parties set)."""
    if invoice.number is None or invoice.issue_date is None:
        raise ValueError("an e-invoice is written for a numbered invoice")
    seller, buyer = invoice.seller or {}, invoice.buyer or {}
    currency = invoice.currency
    categories = {line.vat_category for line in invoice.lines}
    # BR-O-02: an invoice out of scope of VAT names no VAT identifier.
    with_vat_numbers = VatCategory.OUT_OF_SCOPE not in categories

    doc = Document()
    doc.context.guideline_parameter.id = GUIDELINE
    doc.header.id = invoice.number
    doc.header.type_code = TYPE_CODES[InvoiceKind(invoice.kind)]
    doc.header.issue_date_time = invoice.issue_date
    for subject, content in legal_notes(invoice):
        doc.header.notes.add(IncludedNote(content=content, subject_code=subject))

    agreement = doc.trade.agreement
    _fill_party(agreement.seller, seller, with_vat_number=with_vat_numbers)
    seller_info = capital_text(seller)
    if seller_info:
        agreement.seller.description = seller_info
    _fill_party(agreement.buyer, buyer, with_vat_number=with_vat_numbers)
    if invoice.contract_id is not None:
        agreement.contract.issuer_assigned_id = f"CONTRACT-{invoice.contract_id}"

    settlement = doc.trade.settlement
    settlement.currency_code = currency
    settlement.period.start = invoice.period_start
    settlement.period.end = invoice.period_end
    if invoice.kind is InvoiceKind.CREDIT_NOTE and invoice.credited_invoice is not None:
        credited = invoice.credited_invoice
        settlement.invoice_referenced_document.issuer_assigned_id = credited.number
        if credited.issue_date is not None:
            settlement.invoice_referenced_document.issue_date_time = credited.issue_date

    terms = PaymentTerms()
    if invoice.due_date is not None:
        terms.description = f"Due on {invoice.due_date.isoformat()}"
        terms.due = invoice.due_date
    else:
        credited_number = invoice.credited_invoice.number if invoice.credited_invoice else ""
        terms.description = f"Deducted from invoice {credited_number}"
    settlement.terms.add(terms)

    for position, line in enumerate(invoice.lines, start=1):
        item = LineItem()
        item.document.line_id = str(position)
        item.product.name = line.description
        if line.code:
            item.product.seller_assigned_id = line.code
        quantity, price = Decimal(line.quantity), Decimal(line.unit_price)
        if price < 0:
            # BR-27: the net price is never negative; a credit is a negative quantity.
            quantity, price = -quantity, -price
        item.agreement.net.amount = price
        item.agreement.net.basis_quantity = (Decimal(1), unit_code(line.unit))
        item.delivery.billed_quantity = (_quantity(quantity), unit_code(line.unit))
        tax = item.settlement.trade_tax
        tax.type_code = "VAT"
        tax.category_code = VatCategory(line.vat_category).value
        tax.rate_applicable_percent = _percent(line.vat_rate)
        item.settlement.monetary_summation.total_amount = Decimal(line.net_amount)
        doc.trade.items.add(item)

    totals = invoice_totals(
        ((line.vat_category, line.vat_rate, line.net_amount) for line in invoice.lines), currency
    )
    for part in totals.breakdown:
        tax = ApplicableTradeTax()
        tax.calculated_amount = part.amount
        tax.basis_amount = part.basis
        tax.type_code = "VAT"
        category = VatCategory(part.category)
        exemption = EXEMPTIONS.get(category)
        if exemption is not None:
            tax.exemption_reason = exemption[0]
            if exemption[1]:
                tax.exemption_reason_code = exemption[1]
        tax.category_code = category.value
        tax.rate_applicable_percent = _percent(part.rate)
        settlement.trade_tax.add(tax)

    summation = settlement.monetary_summation
    summation.line_total = totals.net_total
    summation.charge_total = Decimal("0.00")
    summation.allowance_total = Decimal("0.00")
    summation.tax_basis_total = totals.net_total
    summation.tax_total = (totals.vat_total, currency)
    summation.grand_total = totals.gross_total
    summation.due_amount = totals.gross_total
    return doc


def invoice_xml(invoice: Invoice) -> bytes:
    """The invoice's CII XML, checked against the Factur-X EN 16931 schema."""
    xml = build_document(invoice).serialize(schema=SCHEMA)
    check(xml)
    return xml


def check(xml: bytes) -> None:
    """Refuse XML that the ``factur-x`` package's XSD check does not pass."""
    try:
        valid = facturx.xml_check_xsd(xml, flavor=FLAVOR, level=LEVEL)
    except Exception as error:  # factur-x raises on an invalid document
        raise EInvoiceError(f"the e-invoice does not pass the Factur-X schema: {error}") from error
    if not valid:
        raise EInvoiceError("the e-invoice does not pass the Factur-X schema")

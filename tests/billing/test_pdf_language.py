"""The PDF speaks one language throughout, whichever language printed before it."""

from __future__ import annotations

from billing.pdf import render_html
from contracts.models import VatTreatment
from portal.tenancy import organization_context


def test_the_recovery_indemnity_follows_the_language_of_each_document(make, client_org, vendor_org):
    invoice = make.invoice(make.contract(client_org, vendor_org), status="issued")

    with organization_context(vendor_org.id):
        english = render_html(invoice, "en")
        french = render_html(invoice, "fr")

    assert "€40.00" in english
    assert "40,00\u00a0€" in french and "€40.00" not in french
    assert "Taux de TVA" in french


def test_an_internal_chargeback_prints_no_payment_terms(make, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.INTERNAL)
    invoice = make.invoice(contract, status="issued")

    with organization_context(vendor_org.id):
        html = render_html(invoice, "en")

    assert "Internal chargeback: not subject to VAT" in html
    assert "Late payment" not in html and "recovery costs" not in html

"""The issued PDF: every mandatory mention, a valid Factur-X e-invoice inside, and a
renderer that fetches nothing but the portal's own static files.

These tests issue outside any request, as a CLI job or the demo data would.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import facturx
import pytest
from pypdf import PdfReader

from billing import pdf as pdf_module
from billing.models import LineKind
from billing.operations import invoices as operations
from contracts.models import VatTreatment
from portal.tenancy import organization_context

DAY = date(2026, 4, 3)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "admin")


@pytest.fixture
def french_parties(client_org, vendor_org):
    vendor_org.legal_name = "Atlas Back Office SAS"
    vendor_org.registration_number = "73282932000074"  # a SIRET
    vendor_org.vat_number = "FR44732829320"
    vendor_org.legal_form = "SAS"
    vendor_org.share_capital = Decimal("150000")
    vendor_org.address_line1 = "12 avenue de Lyon"
    vendor_org.postal_code = "69003"
    vendor_org.city = "Lyon"
    client_org.legal_name = "Northwind Holdings SA"
    client_org.registration_number = "303265045"
    client_org.vat_number = "FR40303265045"
    return client_org, vendor_org


def issued(make, actor, contract, **fields):
    invoice = make.invoice(contract, period=date(2026, 3, 1), **fields)
    with organization_context(invoice.vendor_organization_id):
        return operations.issue_invoice(actor, invoice, today=DAY)


LINES = [
    (LineKind.FIXED_FEE, "Service management", Decimal(1), Decimal("40000")),
    (LineKind.UNIT_RATE, "Invoice processing", Decimal(12000), Decimal("2.5")),
    (LineKind.SERVICE_CREDIT, "Service credit: Cycle time breached", Decimal(1), Decimal("-2800")),
]


def test_a_domestic_invoice_carries_every_mandatory_mention(make, vendor_admin, french_parties):
    client_org, vendor_org = french_parties
    contract = make.contract(client_org, vendor_org, payment_terms_days=30)

    invoice = issued(make, vendor_admin, contract, lines=LINES)
    text = flat(text_of(invoice.pdf))

    # 40,000 + 30,000 − 2,800 = 67,200; VAT 20 % = 13,440; 80,640 in all.
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("67200.00"),
        Decimal("13440.00"),
        Decimal("80640.00"),
    )
    for mention in (
        "Invoice",
        invoice.number,
        # The parties: legal names, addresses, SIREN/SIRET, VAT numbers.
        "Atlas Back Office SAS",
        "12 avenue de Lyon",
        "69003 Lyon",
        "France",
        "73282932000074",
        "FR44732829320",
        "Northwind Holdings SA",
        "1 rue de la Paix",
        "75002 Paris",
        "303265045",
        "FR40303265045",
        # The seller's legal form and share capital.
        "Legal form: SAS",
        "Share capital: €150,000.00",
        # Dates: issue, service period, due.
        "Issue date: Apr 3, 2026",
        "Service period: Mar 1, 2026 – Mar 31, 2026",
        "Due date: May 3, 2026",
        # Lines with quantity and unit price.
        "Invoice processing",
        "12,000",
        "€2.50",
        "€30,000.00",
        "-€2,800.00",
        # VAT per rate and totals.
        "20 %",
        "€67,200.00",
        "€13,440.00",
        "€80,640.00",
        # Late payment, the fixed indemnity, the nature of the operation.
        "three times the legal interest rate",
        "€40.00",
        "provision of services",
    ):
        assert mention in text, mention
    assert "Autoliquidation" not in text


def test_a_reverse_charged_invoice_says_so(make, vendor_admin, client_org, vendor_org):
    vendor_org.country = "PT"
    vendor_org.vat_number = "PT501964843"
    contract = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.REVERSE_CHARGE)

    invoice = issued(make, vendor_admin, contract)
    text = flat(text_of(invoice.pdf))

    assert (
        "Autoliquidation — article 283-2 du CGI / Reverse charge, Article 196 of Directive "
        "2006/112/EC" in text
    )
    assert "PT501964843" in text and client_org.vat_number in text
    assert invoice.vat_total == 0
    xml = invoice.xml.decode()
    assert "<ram:CategoryCode>AE</ram:CategoryCode>" in xml
    assert "VATEX-EU-AE" in xml
    assert 'schemeID="VA">PT501964843<' in xml


def test_an_out_of_scope_invoice_names_no_vat_identifier_in_its_xml(
    make, vendor_admin, client_org, vendor_org
):
    vendor_org.country = "MA"
    vendor_org.vat_number = None
    contract = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.OUT_OF_SCOPE)

    invoice = issued(make, vendor_admin, contract)

    xml = invoice.xml.decode()
    assert "<ram:CategoryCode>O</ram:CategoryCode>" in xml
    assert 'schemeID="VA"' not in xml
    assert "outside the scope of EU VAT" in flat(text_of(invoice.pdf))


def test_the_embedded_xml_is_the_stored_one_and_passes_the_factur_x_check(
    make, vendor_admin, french_parties
):
    client_org, vendor_org = french_parties
    contract = make.contract(client_org, vendor_org)

    invoice = issued(make, vendor_admin, contract, lines=LINES)
    filename, xml = facturx.get_xml_from_pdf(invoice.pdf, check_xsd=True)

    assert filename == "factur-x.xml"
    assert xml == invoice.xml
    text = xml.decode()
    assert f"<ram:ID>{invoice.number}</ram:ID>" in text
    assert "<ram:TypeCode>380</ram:TypeCode>" in text
    assert 'schemeID="0002">732829320<' in text  # the seller's SIREN
    assert "<ram:GrandTotalAmount>80640.00</ram:GrandTotalAmount>" in text
    assert '<ram:TaxTotalAmount currencyID="EUR">13440.00</ram:TaxTotalAmount>' in text
    assert '<udt:DateTimeString format="102">20260503</udt:DateTimeString>' in text  # due
    assert "20260301" in text and "20260331" in text  # the billing period
    # A credit line is a negative quantity at a positive price (EN 16931 BR-27).
    assert '<ram:BilledQuantity unitCode="C62">-1</ram:BilledQuantity>' in text
    assert "<ram:ChargeAmount>2800.0000</ram:ChargeAmount>" in text


# --- Nothing is fetched but the portal's static files ----------------------------------------


class RecordingFetcher(pdf_module.StaticOnlyFetcher):
    seen: list[tuple[str, bool]] = []

    def fetch(self, url, headers=None):
        try:
            response = super().fetch(url, headers)
        except Exception:
            RecordingFetcher.seen.append((url, False))
            raise
        RecordingFetcher.seen.append((url, True))
        return response


@pytest.fixture
def recording(monkeypatch):
    RecordingFetcher.seen = []
    monkeypatch.setattr(pdf_module, "StaticOnlyFetcher", RecordingFetcher)
    return RecordingFetcher.seen


HOSTILE = (
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://169.254.169.254/x.css">'
)


def test_text_typed_by_the_vendor_is_printed_not_fetched(
    make, vendor_admin, client_org, vendor_org, recording
):
    contract = make.contract(client_org, vendor_org)
    invoice = make.invoice(
        contract,
        lines=[(LineKind.EXTRA, HOSTILE, Decimal(1), Decimal("10"))],
        note=HOSTILE,
    )
    with organization_context(vendor_org.id):
        operations.issue_invoice(vendor_admin, invoice, today=DAY)

    assert recording == [(pdf_module.STATIC_PREFIX + "css/invoice-pdf.css", True)]
    text = flat(text_of(invoice.pdf))
    assert 'src="file:///etc/passwd"' in text
    assert "root:" not in text


def test_even_raw_html_fetches_nothing_outside_the_static_folder(app, recording):
    html = (
        "<html><body><p>Hello</p>"
        '<img src="file:///etc/passwd">'
        '<img src="/static/../../../../etc/passwd">'
        '<img src="/static/%2e%2e/%2e%2e/%2e%2e/etc/hostname">'
        '<img src="https://example.com/pixel.png">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">'
        '<link rel="stylesheet" href="static/css/invoice-pdf.css">'
        "</body></html>"
    )

    pdf = pdf_module.html_to_pdf(html)

    assert pdf.startswith(b"%PDF")
    served = [url for url, ok in recording if ok]
    refused = [url for url, ok in recording if not ok]
    assert served == [pdf_module.STATIC_PREFIX + "css/invoice-pdf.css"]
    assert "file:///etc/passwd" in refused
    assert "https://example.com/pixel.png" in refused
    assert any(url.startswith("data:") for url in refused)
    assert len(refused) == 5


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:5000/static/css/relais.css",
        "https://relais-pdf.invalid/invoices/1/pdf",
        "https://relais-pdf.invalid/static/../../etc/passwd",
        "https://relais-pdf.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://relais-pdf.invalid/static/css/missing.css",
        "data:text/plain,hello",
        "ftp://example.com/file",
    ],
)
def test_the_fetcher_refuses_anything_but_a_static_file(app, url):
    fetcher = pdf_module.StaticOnlyFetcher(app.static_folder)

    with pytest.raises(pdf_module.FetchRefused):
        fetcher.fetch(url)


def test_the_fetcher_serves_a_static_file(app):
    fetcher = pdf_module.StaticOnlyFetcher(app.static_folder)

    response = fetcher.fetch(pdf_module.STATIC_PREFIX + "css/invoice-pdf.css")

    assert b"@page" in response.read()
    assert response.content_type == "text/css"

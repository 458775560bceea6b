"""The invoice PDF: Jinja renders HTML, WeasyPrint prints it as PDF/A-3, and the
``factur-x`` package embeds the CII XML (a Factur-X EN 16931 e-invoice).

The PDF is produced once, when the invoice is issued, and stored with its
SHA-256: downloads serve the stored bytes, never a new rendering.

WeasyPrint fetches what the HTML links to through ``StaticOnlyFetcher``: only
the portal's own static files, read from the static folder. Any other URL
(``file://``, ``http(s)://`` elsewhere, ``data:``, a path escaping the folder)
is refused, so that text typed by a vendor can never make the server read a
file or call a network address, even if it reached the HTML unescaped (Jinja
escapes it: a vendor's ``<img src=…>`` prints as text).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import facturx
from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

from billing.einvoice import FLAVOR, LEVEL, capital_text, siren_of
from billing.models import Invoice, InvoiceKind, VatCategory
from billing.rules import invoice_totals

log = logging.getLogger(__name__)

TEMPLATE = "billing/pdf/invoice.html"
#: The made-up origin the PDF's HTML is rendered at: its ``/static/…`` URLs are the
#: portal's static files; nothing else on it (or anywhere) is ever fetched.
BASE_URL = "https://relais-pdf.invalid/"
STATIC_PREFIX = BASE_URL + "static/"

#: The mention a reverse-charged invoice carries, in both languages (French law and
#: the VAT directive).
REVERSE_CHARGE_MENTION = (
    "Autoliquidation — article 283-2 du CGI / Reverse charge, Article 196 of Directive 2006/112/EC"
)


class FetchRefused(ValueError):
    """A URL the PDF may not fetch."""


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the portal's static files and nothing else."""

    def __init__(self, static_folder: str | os.PathLike[str]):
        # No protocol at all is handed to urllib: ``fetch`` answers every URL itself.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.static_folder = str(Path(static_folder).resolve())
        #: Every URL asked for and whether it was served (tests read it).
        self.requests: list[tuple[str, bool]] = []

    def fetch(self, url, headers=None):
        try:
            path = self._static_path(url)
        except FetchRefused:
            self.requests.append((url, False))
            log.warning("PDF rendering refused to fetch %.200s", url)
            raise
        self.requests.append((url, True))
        mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=Path(path).read_bytes(), headers={"Content-Type": mime_type}
        )

    def _static_path(self, url: str) -> str:
        if not url.startswith(STATIC_PREFIX):
            raise FetchRefused(f"not one of the portal's static files: {url[:200]}")
        parts = urlsplit(url)
        relative = unquote(parts.path.removeprefix("/static/"))
        path = safe_join(self.static_folder, relative)
        if path is None or not os.path.isfile(path):
            raise FetchRefused(f"no such static file: {url[:200]}")
        real = os.path.realpath(path)
        if os.path.commonpath([real, self.static_folder]) != self.static_folder:
            raise FetchRefused(f"outside the static folder: {url[:200]}")
        return real


# --- What the page shows --------------------------------------------------------------


def country_name(code: str | None) -> str:
    """A country's name in the current language ("France"), or the code."""
    from flask_babel import get_locale

    if not code:
        return ""
    locale = Locale.parse(str(get_locale() or "en"))
    return locale.territories.get(code.upper(), code)


#: The fixed indemnity for recovery costs owed by a late payer (French Commercial
#: Code, art. L441-10 and D441-5), always in euros.
RECOVERY_INDEMNITY = Decimal("40")

#: How the PDF names each VAT category, in the reader's language (the XML keeps
#: the EN 16931 exemption reasons of ``einvoice.EXEMPTIONS``).
CATEGORY_LABELS = {
    VatCategory.STANDARD: _l("Standard rate"),
    VatCategory.REVERSE_CHARGE: _l("Reverse charge"),
    VatCategory.OUT_OF_SCOPE: _l("Services outside the scope of EU VAT"),
    VatCategory.NOT_SUBJECT: _l("Internal chargeback: not subject to VAT"),
}


def document_context(invoice: Invoice) -> dict:
    """What the PDF template reads: the invoice, its parties as issued, its VAT breakdown."""
    totals = invoice_totals(
        ((line.vat_category, line.vat_rate, line.net_amount) for line in invoice.lines),
        invoice.currency,
    )
    categories = {VatCategory(part.category) for part in totals.breakdown}
    seller = invoice.seller or {}
    return {
        "invoice": invoice,
        "is_credit_note": invoice.kind is InvoiceKind.CREDIT_NOTE,
        "credited": invoice.credited_invoice,
        "seller": seller,
        "buyer": invoice.buyer or {},
        "seller_siren": siren_of(seller),
        "buyer_siren": siren_of(invoice.buyer or {}),
        "seller_capital": capital_text(seller),
        "totals": totals,
        "reverse_charge": VatCategory.REVERSE_CHARGE in categories,
        "out_of_scope": VatCategory.OUT_OF_SCOPE in categories,
        "internal": VatCategory.NOT_SUBJECT in categories,
        "category_labels": CATEGORY_LABELS,
        # Passed in, not written as ``40|money`` in the template: Jinja would fold
        # that constant once, in the language of the first document printed.
        "recovery_indemnity": RECOVERY_INDEMNITY,
        "reverse_charge_mention": REVERSE_CHARGE_MENTION,
        "country_name": country_name,
    }


def render_html(invoice: Invoice, locale: str = "en") -> str:
    """The invoice as HTML for printing, in ``locale``."""
    with force_locale(locale):
        return render_template(TEMPLATE, **document_context(invoice))


def html_to_pdf(html: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """Print HTML as PDF/A-3b, fetching only the portal's static files."""
    fetcher = fetcher or StaticOnlyFetcher(current_app.static_folder)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
        pdf_variant="pdf/a-3b"
    )


def render_pdf(invoice: Invoice, xml: bytes, locale: str = "en") -> bytes:
    """The Factur-X PDF of an invoice being issued: printed, with its XML embedded."""
    pdf = html_to_pdf(render_html(invoice, locale))
    seller = invoice.seller or {}
    metadata = {
        "author": seller.get("legal_name") or "",
        "keywords": "Factur-X",
        "title": invoice.number or "",
        "subject": f"{invoice.number} — {seller.get('legal_name', '')}",
    }
    return facturx.generate_from_binary(
        pdf, xml, flavor=FLAVOR, level=LEVEL, check_xsd=True, pdf_metadata=metadata, lang=locale
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""The PDF savings report: the same totals as the page, the charts, the tables and the
method, for the organization or one function and a period; the client's alone.

The demo-like case: accounts payable saving about 20 % (120,000 a month in-house
against 85,000 invoiced + 5,000 governance + 6,666.67 of transition), payroll
about break-even after service credits (credit notes), both outsourced a year ago
with an invoice for each month.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from billing import savings_report
from billing.models import InvoiceKind, LineKind
from billing.queries.savings import organization_savings, organization_totals
from contracts.rules import add_months
from portal.i18n import money, period
from portal.tenancy import organization_context
from tests.billing.test_savings_charts import START, outsourced

D = Decimal


def text_of(pdf: bytes) -> str:
    """The PDF's text with its line breaks and runs of spaces made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def month_name(value) -> str:
    """A month as the English pages print it ("November 2026")."""
    return value.strftime("%B %Y")


def pdf_of(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return text_of(response.get_data())


@pytest.fixture
def demo_like(make, client_org, vendor_org):
    """Accounts payable saving ~20 %, payroll about break-even after its credit notes."""
    payables, _contract, _invoices = outsourced(make, client_org, vendor_org)
    payroll, contract, invoices = outsourced(
        make,
        client_org,
        vendor_org,
        name="Payroll",
        invoiced="112000",
        transition_cost=D("36000"),
        retained_governance_monthly="3000",
    )
    # A service credit every third month, in a credit note on the month's invoice.
    for invoice in invoices[::3]:
        make.invoice(
            contract,
            kind=InvoiceKind.CREDIT_NOTE,
            credited_invoice_id=invoice.id,
            period=invoice.period_start,
            status="issued",
            lines=[(LineKind.CREDIT, "Service credit", D(1), D("4000"))],
        )
    return payables, payroll


def figures(app, client_org, **period_range) -> list[str]:
    """The totals of every currency and function, formatted as the pages format them."""
    with app.test_request_context(), organization_context(client_org.id), force_locale("en"):
        functions = organization_savings(**period_range)
        totals = organization_totals(functions)
        texts = []
        for entry in [*totals, *(c for f in functions for c in f.by_currency)]:
            texts += [
                money(entry.baseline_total, entry.currency),
                money(entry.outsourced_total, entry.currency),
                money(entry.saving_total, entry.currency),
                money(entry.cumulative, entry.currency),
                money(entry.npv, entry.currency),
                f"{entry.saving_percent:.1f} %",
            ]
            if entry.break_even:
                texts.append(period(entry.break_even))
    return texts


def test_the_report_carries_the_same_totals_as_the_page(
    app, as_client_finance, make, client_org, demo_like
):
    expected = figures(app, client_org)

    page = as_client_finance.get("/savings").get_data(as_text=True)
    text = pdf_of(as_client_finance.get("/savings/report.pdf?scope=all"))

    totals = page[page.index('data-testid="organization-totals"') :]
    for figure in expected[:6]:
        assert figure in totals, figure
        assert figure in text, figure
    for figure in expected:
        assert figure in text, figure
    # The organization's saving, worked out by hand: payables 12 × 23,333.33; payroll
    # 12 × (120,000 − 112,000 − 3,000 − 1,000) + 4 × 4,000 of credits.
    assert "€279,999.96" in text
    assert "€64,000.00" in text
    assert "€343,999.96" in text
    # The tables: functions and months.
    assert "Accounts payable" in text and "Payroll" in text
    assert f"{month_name(START)} €240,000.00" in text
    assert f"{month_name(add_months(START, 11))} €240,000.00" in text


def test_the_report_names_its_scope_period_and_date_and_explains_the_method(
    as_client_finance, make, client_org, demo_like
):
    text = pdf_of(as_client_finance.get("/savings/report.pdf"))

    assert "Savings report" in text
    assert client_org.name in text
    assert "Scope: every outsourced function of the organization" in text
    assert f"Period: {month_name(START)} – {month_name(add_months(START, 11))}" in text
    assert "Generated:" in text
    # The method, in words.
    assert "how these figures are computed" in text.lower()
    assert "net of VAT, which a business recovers or reverse-charges" in text
    assert "the first month from which the cumulative saving stays at or above zero" in text
    assert "discounted at 8 % a year" in text


def test_the_report_prints_the_charts(as_client_finance, make, client_org, demo_like):
    text = pdf_of(as_client_finance.get("/savings/report.pdf"))

    assert "Baseline against outsourced cost, in EUR" in text
    assert "Cumulative saving, in EUR" in text
    assert "Saving by function over the period, in EUR" in text
    assert f"Break-even: {month_name(START)}" in text


def test_the_charts_in_the_report_are_the_pages_charts(app, make, client_org, demo_like):
    with app.test_request_context(), organization_context(client_org.id):
        report = savings_report.organization_report(client_org)
        html = savings_report.render_html(report)
    assert "<script" not in html
    assert html.count("<svg") == 3
    assert "Accounts payable · Saving: €279,999.96" in html


def test_a_functions_report_for_a_month_name(as_client_finance, make, client_org, demo_like):
    payables, _payroll = demo_like
    first, last = add_months(START, 3), add_months(START, 5)

    text = pdf_of(
        as_client_finance.get(
            f"/savings/report.pdf?scope={payables.id}&from={first:%Y-%m}&to={last:%Y-%m}"
        )
    )

    assert f"Scope: the function {payables.name}" in text
    assert f"Period: {month_name(first)} – {month_name(last)}" in text
    # Three months: 3 × 23,333.33 saved.
    assert "€69,999.99" in text
    assert "€360,000.00" in text
    assert "Payroll" not in text
    assert "Saving by function" not in text
    assert "Cumulative saving, in EUR" in text


def test_the_page_period_arguments_work_too(as_client_finance, make, client_org, demo_like):
    payables, _payroll = demo_like
    first = add_months(START, 10)

    text = pdf_of(
        as_client_finance.get(f"/savings/report.pdf?scope={payables.id}&period_from={first:%Y-%m}")
    )

    assert f"Period: {month_name(first)} – {month_name(add_months(START, 11))}" in text
    assert "€46,666.66" in text


def test_a_report_without_outsourced_months(as_client_finance, make, client_org):
    text = pdf_of(as_client_finance.get("/savings/report.pdf"))

    assert "No function is outsourced yet" in text


def test_the_report_is_in_the_readers_language(app, make, login, client_org, demo_like):
    reader = make.member(client_org, "finance", locale="fr")
    browser = login(reader, client_org)

    text = pdf_of(browser.get("/savings/report.pdf"))

    with app.test_request_context(), force_locale("fr"):
        first = period(START)
        saving = money(D("279999.96"), "EUR")
    assert first in text
    assert " ".join(saving.split()) in text


def test_a_scope_that_is_not_a_function_is_a_404(as_client_finance, make, client_org):
    assert as_client_finance.get("/savings/report.pdf?scope=everything").status_code == 404
    assert as_client_finance.get("/savings/report.pdf?scope=999999").status_code == 404


def test_a_vendor_gets_no_report(as_vendor_admin, make, client_org, demo_like):
    payables, _payroll = demo_like

    assert as_vendor_admin.get("/savings/report.pdf").status_code == 404
    assert as_vendor_admin.get(f"/savings/report.pdf?scope={payables.id}").status_code == 404


def test_another_clients_function_is_a_404(as_other_client_admin, make, client_org, demo_like):
    payables, _payroll = demo_like

    response = as_other_client_admin.get(f"/savings/report.pdf?scope={payables.id}")

    assert response.status_code == 404


def test_a_viewer_may_read_the_report(as_client_viewer, make, client_org, demo_like):
    pdf_of(as_client_viewer.get("/savings/report.pdf"))


def test_the_report_fetches_only_static_files(app, make, client_org, demo_like, monkeypatch):
    from billing import pdf as pdf_module

    fetchers = []
    original = pdf_module.StaticOnlyFetcher

    class Recording(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            fetchers.append(self)

    monkeypatch.setattr(pdf_module, "StaticOnlyFetcher", Recording)
    with app.test_request_context(), organization_context(client_org.id):
        savings_report.render_pdf(savings_report.organization_report(client_org))

    (fetcher,) = fetchers
    assert fetcher.requests
    assert all(served for _url, served in fetcher.requests)
    assert all(url.startswith(pdf_module.STATIC_PREFIX) for url, _served in fetcher.requests)


def test_the_payroll_month_with_a_credit_note(as_client_finance, make, client_org, demo_like):
    _payables, payroll = demo_like

    text = pdf_of(as_client_finance.get(f"/savings/report.pdf?scope={payroll.id}"))

    # 112,000 − 4,000 + 3,000 + 1,000: the credit note counts in its invoice's month.
    assert f"{month_name(START)} €120,000.00 €112,000.00 €4,000.00 €3,000.00 €1,000.00" in text
    assert "€64,000.00" in text

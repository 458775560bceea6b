"""Invoicing end to end: an accepted month is invoiced, the PDF downloaded, and the
client approves and pays, once through Stripe and once by bank transfer.

Three people, each on their own computer (a browser context each), on the demo
contract "Accounts payable — purchase-to-pay processing" between Northwind
Holdings (the client, in France) and Atlas Back Office (the vendor, in
Portugal): Paul Girard, procurement at Northwind, who accepts last month's
delivery report; Inês Carvalho, Atlas's admin, who invoices it, connects
Atlas's Stripe account and records a bank transfer; and Sophie Lefèvre,
Northwind's finance, who approves and pays.

Stripe is the fake of tests/billing/fake_stripe.py, which the browser session
runs (``stripe_api``): the live server talks to its API, and the browser goes
through its copies of Stripe's hosted pages (the onboarding of Atlas's
account, the Checkout page). What Stripe does behind the scenes, the test does
itself: once Sophie has paid on the Checkout page, it sends the live server the
webhook events Stripe would send, signed with the webhook secret as Stripe
signs them. The invoice becomes paid from those events only, never from the
page Sophie's browser comes back to.

The contract is reverse-charged (a Portuguese vendor, a French client): the
invoice carries no VAT and the mention "Autoliquidation".
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import facturx
from babel.dates import format_date
from playwright.sync_api import APIRequestContext, Browser, Expect, Locator, Page
from pypdf import PdfReader

from tests.billing.fake_stripe import FEE_PERCENT, FakeStripe, event, signature
from tests.browser.conftest import PAGE_TIMEOUT, SCREENSHOTS, LiveServer, log_in

NORTHWIND = "Northwind Holdings"
PROCUREMENT = "procurement@northwind.example"  # Paul Girard: reviews the delivery reports
FINANCE = "finance@northwind.example"  # Sophie Lefèvre: approves and pays the invoices
ATLAS = "Atlas Back Office"
ATLAS_ADMIN = "admin@atlas.example"  # Inês Carvalho: issues the invoices, connects Stripe

TITLE = "Accounts payable — purchase-to-pay processing"

#: Assertions wait as long as actions do (a module's own ``expect``, as in test_contracts).
expect = Expect()
expect.set_options(timeout=PAGE_TIMEOUT)

CENT = Decimal("0.01")


def euros(amount: Decimal) -> str:
    """How the portal writes an amount of euros in English: €1,234.50, -€12.00."""
    text = f"€{abs(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return f"-{text}" if amount < 0 else text


def amount_of(text: str) -> Decimal:
    """The amount an English page shows ("€1,234.50", "-€12.00", "€1.8575") as a Decimal."""
    match = re.search(r"([-−]?)\s*€\s*([\d,]+(?:\.\d+)?)", text)
    assert match, f"no amount in {text!r}"
    value = Decimal(match.group(2).replace(",", ""))
    return -value if match.group(1) else value


def number_of(text: str) -> Decimal:
    """A quantity as an English page shows it ("12,350", "1") as a Decimal."""
    return Decimal(text.strip().replace(",", ""))


def months_before(day, months: int):
    """The first day of the month ``months`` before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


# --- People ------------------------------------------------------------------------------


@contextmanager
def logged_in(browser: Browser, live_server: LiveServer, email: str) -> Iterator[Page]:
    """Someone on their own computer, logged in; a screenshot if the test fails here."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(PAGE_TIMEOUT)
    page = context.new_page()
    try:
        log_in(page, email)
        yield page
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"test_invoicing_{email}.png", full_page=True)
        raise
    finally:
        context.close()


def alert(page: Page, text: str) -> Locator:
    """The flashed message with ``text`` (a page may show several)."""
    return page.get_by_role("alert").filter(has_text=text)


def confirm_and_click(page: Page, button: Locator) -> None:
    """Click a button that asks for confirmation first (data-confirm), and confirm."""
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()


def list_invoices_with(page: Page, counterparty: str) -> Locator:
    """From the top bar: Invoices, filtered on the counterparty; the list's table.

    The demo has a year of invoices, several pages of them: the filter keeps this
    contract's on the first.
    """
    page.get_by_test_id("nav-invoices").click()
    filters = page.get_by_test_id("filters")
    filters.get_by_label("Counterparty").select_option(label=counterparty)
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"counterparty=\d+"))
    return page.get_by_test_id("invoices")


def open_invoice(page: Page, number: str, counterparty: str) -> None:
    """The invoice numbered ``number``, from the list of the counterparty's invoices."""
    invoices = list_invoices_with(page, counterparty)
    invoices.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_test_id("invoice-number")).to_have_text(number)


def status_of(page: Page) -> Locator:
    return page.get_by_test_id("invoice-status")


# --- The client accepts the month --------------------------------------------------------


def accept_last_month(page: Page, last_month) -> tuple[int, Decimal, Decimal]:
    """Paul accepts the report awaiting his review: (its id, the fees, the credit)."""
    page.get_by_test_id("nav-contracts").click()
    row = page.get_by_test_id("contracts").get_by_role("row").filter(has_text=TITLE)
    row.get_by_role("link", name=TITLE).click()
    page.get_by_test_id("tab-reports").click()
    awaiting = page.get_by_test_id("awaiting-review")
    expect(awaiting).to_contain_text("1 report awaits your review")
    awaiting.get_by_role("link", name=format_date(last_month, "MMMM y", locale="en")).click()
    expect(page.get_by_test_id("report-status").first).to_have_text("Submitted")
    page.get_by_test_id("review").get_by_test_id("accept").click()
    expect(alert(page, "Report accepted. Its SLA results are computed.")).to_be_visible()
    expect(page.get_by_test_id("report-status").first).to_have_text("Accepted")
    summary = page.get_by_test_id("results-summary")
    expect(summary).to_contain_text("Period fees:")
    match = re.search(
        r"Period fees: (\S+)\. Service credit: (\S+)\.", summary.inner_text().replace("\xa0", " ")
    )
    assert match, summary.inner_text()
    report_id = int(re.search(r"/reports/(\d+)", page.url).group(1))
    return report_id, amount_of(match.group(1)), amount_of(match.group(2))


# --- The vendor invoices it --------------------------------------------------------------


def prepare_the_invoice(page: Page, report_id: int, last_month, net: Decimal) -> None:
    """Inês finds the accepted month under "To invoice" and drafts its invoice."""
    page.get_by_test_id("nav-invoices").click()
    item = page.get_by_test_id("to-invoice").get_by_test_id(f"to-invoice-{report_id}")
    expect(item).to_contain_text(TITLE)
    expect(item).to_contain_text(format_date(last_month, "LLLL y", locale="en"))
    expect(item).to_contain_text(NORTHWIND)
    expect(item).to_contain_text(euros(net))  # the fees less the credit
    item.get_by_test_id("prepare-invoice").click()
    expect(alert(page, "Invoice drafted from the report. Check it, then issue it.")).to_be_visible()
    expect(status_of(page)).to_have_text("Draft")


def check_the_draft(page: Page, net: Decimal, credit: Decimal) -> None:
    """Each line is its quantity × its price; they add up to the month's fees less its
    credit; reverse charge: no VAT."""
    lines = page.get_by_test_id("lines").get_by_test_id("line")
    expect(lines.first).to_be_visible()
    amounts = []
    for index in range(lines.count()):
        cells = lines.nth(index).locator("td")
        quantity, price = number_of(cells.nth(1).inner_text()), amount_of(cells.nth(3).inner_text())
        assert cells.nth(4).inner_text().strip() == "AE", "every line is reverse-charged"
        amount = amount_of(cells.nth(5).inner_text())
        assert amount == (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP), cells.nth(
            0
        ).inner_text()
        amounts.append(amount)
    assert sum(amounts) == net, (amounts, net)
    if credit:
        expect(lines.filter(has_text="Service credit").first).to_be_visible()
    breakdown = page.get_by_test_id("vat-breakdown").locator("tbody tr")
    expect(breakdown).to_have_count(1)
    expect(breakdown.locator("td").nth(0)).to_have_text("Reverse charge")
    expect(breakdown.locator("td").nth(1)).to_have_text("0 %")
    expect(breakdown.locator("td").nth(2)).to_have_text(euros(net))
    expect(breakdown.locator("td").nth(3)).to_have_text(euros(Decimal(0)))
    totals = page.get_by_test_id("totals")
    expect(totals.get_by_role("row").nth(0)).to_contain_text(euros(net))
    expect(totals.get_by_role("row").nth(1)).to_contain_text(euros(Decimal(0)))
    expect(page.get_by_test_id("gross-total")).to_have_text(euros(net))


def issue(page: Page) -> str:
    """Inês issues the draft; the number it gets."""
    confirm_and_click(page, page.get_by_test_id("actions").get_by_test_id("issue"))
    expect(alert(page, "issued. The client is told.")).to_be_visible()
    expect(status_of(page)).to_have_text("Issued")
    number = page.get_by_test_id("invoice-number").inner_text().strip()
    assert number
    expect(alert(page, f"Invoice {number} issued. The client is told.")).to_be_visible()
    return number


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every space taken out (amounts may be split or spaced)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def download_and_check_the_pdf(page: Page, number: str, total: Decimal) -> None:
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")

    text = pdf_text(pdf)
    assert number in text
    # The total, written the English or the French way (€12,345.00 or 12 345,00 €).
    english = f"{total:,.2f}"
    french = english.replace(",", " ").replace(".", ",").replace(" ", "")
    assert english in text or french in text, (english, french, text[:3000])
    assert "Autoliquidation" in text
    # The SHA-256 shown on the page is the one of the bytes served.
    expect(page.get_by_test_id("pdf-sha256")).to_have_text(hashlib.sha256(pdf).hexdigest())

    # The Factur-X XML embedded in it passes the schema, and says the same.
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    xml_text = xml.decode()
    assert f"<ram:ID>{number}</ram:ID>" in xml_text or f">{number}<" in xml_text
    assert f">{total:.2f}<" in xml_text  # the grand total, among others
    assert "<ram:CategoryCode>AE</ram:CategoryCode>" in xml_text


# --- Stripe ------------------------------------------------------------------------------


def connect_stripe(page: Page, stripe_api: FakeStripe) -> str:
    """Inês connects Atlas's Stripe account and goes through Stripe's onboarding."""
    page.get_by_test_id("org-switcher").click()
    page.get_by_test_id("nav-stripe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stripe payments")
    expect(page.get_by_test_id("stripe-account-state")).to_have_text(
        "No Stripe account is connected."
    )
    page.get_by_test_id("stripe-connect").click()
    # Stripe's onboarding page (the fake's), for the account just created.
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_api.url)}/hosted/onboarding/"))
    heading = page.get_by_role("heading", level=1).inner_text()
    account_id = re.search(r"acct_\w+", heading).group(0)
    page.get_by_role("button", name="Agree and submit").click()
    # Back on the portal, which asked Stripe what the account can do now.
    expect(page).to_have_url(re.compile(r"/billing/stripe$"))
    expect(
        alert(page, "Your Stripe account takes payments: clients can pay your invoices.")
    ).to_be_visible()
    expect(page.get_by_test_id("stripe-account-state")).to_contain_text(account_id)
    expect(page.get_by_test_id("stripe-charges-enabled")).to_be_visible()
    return account_id


def approve(page: Page) -> None:
    page.get_by_test_id("review").get_by_test_id("approve").click()
    expect(alert(page, "Invoice approved. The vendor is told.")).to_be_visible()
    expect(status_of(page)).to_have_text("Approved")
    expect(page.get_by_test_id("review").get_by_test_id("approved")).to_contain_text(
        "Approved by the client"
    )


def pay_on_stripe(page: Page, stripe_api: FakeStripe, total: Decimal) -> str:
    """Sophie pays on Stripe's Checkout page; the Checkout session's id."""
    page.get_by_test_id("stripe-pay").get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_api.url)}/hosted/checkout/cs_"))
    expect(page.get_by_test_id("checkout-amount")).to_have_text(f"{total:.2f} EUR")
    session_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Pay", exact=True).click()
    # Back on the portal: thanked, and not paid until Stripe confirms it.
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(alert(page, "Thank you. The invoice shows as paid as soon as Stripe")).to_be_visible()
    expect(status_of(page)).to_have_text("Approved")
    return session_id


def send_webhook(stripe: APIRequestContext, body: dict) -> str:
    """POST an event to the live server's webhook, signed as Stripe signs it."""
    payload = json.dumps(body)
    response = stripe.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature(payload)},
    )
    assert response.status == 200, response.text()
    return response.text()


def stripe_confirms_the_payment(
    browser: Browser,
    live_server: LiveServer,
    stripe_api: FakeStripe,
    session_id: str,
    account_id: str,
) -> None:
    """Stripe's events: the session completed and paid, and its payment intent succeeded.

    Sent from a context of their own: Stripe's servers, with nobody's cookies.
    """
    assert stripe_api.account_of_session(session_id) == account_id
    session = stripe_api.session(session_id)
    assert session["status"] == "complete" and session["payment_status"] == "paid"
    completed = event("checkout.session.completed", dict(session), account=account_id)
    succeeded = event(
        "payment_intent.succeeded", stripe_api.payment_intent(session_id), account=account_id
    )
    stripe = browser.new_context(base_url=live_server.url)
    try:
        assert send_webhook(stripe.request, completed) == "ok\n"
        # The same payment, said again: applied, and recorded once (the page shows one).
        assert send_webhook(stripe.request, succeeded) == "ok\n"
        # Stripe sends an event again when in doubt: applied once.
        assert send_webhook(stripe.request, completed) == "already applied\n"
    finally:
        stripe.close()


def check_the_checkout_request(
    stripe_api: FakeStripe, session_id: str, account_id: str, number: str, total: Decimal
) -> None:
    """What the portal asked Stripe: a direct charge of the total on Atlas's account."""
    created = [
        request
        for request in stripe_api.requests_to("POST", "/v1/checkout/sessions")
        if request.stripe_account == account_id
    ]
    assert len(created) == 1, created
    params = created[0].params
    minor = int(total * 100)
    assert int(params["line_items"]["0"]["price_data"]["unit_amount"]) == minor
    assert params["line_items"]["0"]["price_data"]["currency"] == "eur"
    fee = (Decimal(minor) * FEE_PERCENT / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert int(params["payment_intent_data"]["application_fee_amount"]) == fee
    assert params["metadata"]["invoice_number"] == number
    assert stripe_api.session(session_id)["amount_total"] == minor


def check_paid(page: Page, total: Decimal, means: str) -> None:
    expect(status_of(page)).to_have_text("Paid")
    payments = page.get_by_test_id("payments")
    expect(payments.get_by_test_id("amount-paid")).to_have_text(euros(total))
    expect(payments.get_by_test_id("payments-balance-due")).to_contain_text(euros(Decimal(0)))
    expect(payments.get_by_test_id("payment-rows")).to_contain_text(means)


# --- The manual path ---------------------------------------------------------------------


def the_overdue_invoice(page: Page) -> tuple[str, Decimal]:
    """Inês's one issued, unpaid invoice to Northwind: (its number, its total).

    The demo's (billing/demo.py): September's, issued at the start of October and
    overdue by now (the month just invoiced is paid already).
    """
    list_invoices_with(page, NORTHWIND)
    filters = page.get_by_test_id("filters")
    filters.get_by_label("Status").select_option(label="Issued")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=issued"))
    rows = page.get_by_test_id("invoices").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_test_id("overdue")).to_be_visible()
    rows.get_by_role("link").click()
    expect(status_of(page)).to_have_text("Issued")
    expect(page.get_by_test_id("payments").get_by_test_id("overdue")).to_be_visible()
    number = page.get_by_test_id("invoice-number").inner_text().strip()
    return number, amount_of(page.get_by_test_id("gross-total").inner_text())


def record_transfer(page: Page, amount: Decimal, day, reference: str) -> None:
    form = page.get_by_test_id("payment-form")
    form.get_by_label("Received on").fill(day.isoformat())
    form.get_by_label("Amount").fill(str(amount))
    form.get_by_label("Bank reference").fill(reference)
    form.get_by_test_id("record-payment").click()


# --- The journey -------------------------------------------------------------------------


def test_an_accepted_month_is_invoiced_and_paid_through_stripe_and_by_transfer(
    page: Page, browser: Browser, live_server: LiveServer, stripe_api: FakeStripe
):
    today = datetime.now(UTC).date()  # the server's today
    last_month = months_before(today, 1)

    # 1. Paul accepts last month's delivery report: its fees and credit are computed.
    log_in(page, PROCUREMENT)
    report_id, fees, credit = accept_last_month(page, last_month)
    net = fees - credit
    assert net > 0

    with (
        logged_in(browser, live_server, ATLAS_ADMIN) as ines,
        logged_in(browser, live_server, FINANCE) as sophie,
    ):
        # 2. Inês prepares the invoice of that month, checks it, issues it and
        # downloads its PDF (a Factur-X e-invoice, reverse-charged).
        prepare_the_invoice(ines, report_id, last_month, net)
        check_the_draft(ines, net, credit)
        number = issue(ines)
        total = net  # reverse charge: no VAT
        download_and_check_the_pdf(ines, number, total)

        # 3. Before Atlas takes Stripe payments, Sophie is offered none.
        open_invoice(sophie, number, ATLAS)
        expect(status_of(sophie)).to_have_text("Issued")
        expect(sophie.get_by_test_id("stripe-pay")).to_have_count(0)

        # 4. Inês connects Atlas's Stripe account.
        account_id = connect_stripe(ines, stripe_api)

        # 5. Sophie approves the invoice and pays it on Stripe's Checkout page.
        sophie.reload()
        approve(sophie)
        session_id = pay_on_stripe(sophie, stripe_api, total)
        check_the_checkout_request(stripe_api, session_id, account_id, number, total)

        # 6. Stripe confirms the payment to the portal: the invoice is paid, for both.
        stripe_confirms_the_payment(browser, live_server, stripe_api, session_id, account_id)
        sophie.reload()
        check_paid(sophie, total, "Stripe")
        expect(sophie.get_by_test_id("payment-rows").locator("tbody tr")).to_have_count(1)
        expect(sophie.get_by_test_id("stripe-pay")).to_have_count(0)
        open_invoice(ines, number, NORTHWIND)
        check_paid(ines, total, "Stripe")

        # 7. The manual path, on the demo's overdue invoice: Sophie approves it, Inês
        # records a first transfer, then the rest; both see it paid.
        second, second_total = the_overdue_invoice(ines)
        assert second != number
        open_invoice(sophie, second, ATLAS)
        expect(status_of(sophie)).to_have_text("Issued")
        expect(sophie.get_by_test_id("payments").get_by_test_id("overdue")).to_be_visible()
        approve(sophie)

        ines.reload()
        expect(status_of(ines)).to_have_text("Approved")
        part = (second_total / 3).quantize(CENT, rounding=ROUND_HALF_UP)
        # More than the balance is refused, and the form keeps what was typed.
        record_transfer(ines, second_total + CENT, today, "VIR-NW-0001")
        expect(ines.get_by_test_id("payment-form")).to_contain_text(
            f"This is more than the balance due ({euros(second_total)})."
        )
        expect(ines.get_by_test_id("payment-form").get_by_label("Bank reference")).to_have_value(
            "VIR-NW-0001"
        )
        record_transfer(ines, part, today, "VIR-NW-0001")
        expect(alert(ines, "Payment recorded. The client is told.")).to_be_visible()
        expect(status_of(ines)).to_have_text("Approved")
        payments = ines.get_by_test_id("payments")
        expect(payments.get_by_test_id("amount-paid")).to_have_text(euros(part))
        expect(payments.get_by_test_id("payments-balance-due")).to_contain_text(
            euros(second_total - part)
        )
        expect(payments.get_by_test_id("payment-rows")).to_contain_text("VIR-NW-0001")

        sophie.reload()
        expect(status_of(sophie)).to_have_text("Approved")
        expect(sophie.get_by_test_id("payments-balance-due")).to_contain_text(
            euros(second_total - part)
        )

        record_transfer(ines, second_total - part, today, "VIR-NW-0002")
        expect(alert(ines, "Payment recorded: the invoice is paid.")).to_be_visible()
        check_paid(ines, second_total, "Bank transfer")
        expect(ines.get_by_test_id("payment-rows").locator("tbody tr")).to_have_count(2)
        expect(ines.get_by_test_id("payment-form")).to_have_count(0)
        expect(ines.get_by_test_id("overdue")).to_have_count(0)

        sophie.reload()
        check_paid(sophie, second_total, "Bank transfer")

        # 8. In both lists, the two invoices are paid.
        for person, counterparty in ((ines, NORTHWIND), (sophie, ATLAS)):
            invoices = list_invoices_with(person, counterparty)
            for each in (number, second):
                row = invoices.locator("tbody tr").filter(
                    has=person.get_by_role("link", name=each, exact=True)
                )
                expect(row.get_by_test_id("status")).to_have_text("Paid")

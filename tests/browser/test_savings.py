"""Savings end to end: finance reads the organization's savings, audits one month's
actual cost down to its invoices, and exports the PDF reports, which say the same.

One person, on her own computer: Sophie Lefèvre, finance at Northwind Holdings (the
demo client). The demo has three functions delivered by others for a year
(portal/demo.py, billing/demo.py): accounts payable outsourced to Atlas Back Office,
payroll to Clairval Services, the general ledger run by Northwind's captive centre
in Kraków; the IT service desk is still in-house, with a tender closed on three bids.

Other journeys of the session change that demo (test_invoicing invoices last month
of accounts payable, test_contracts awards the IT service desk tender to Meridian),
and the order of the tests is not fixed: no total of the demo is written here. Every
figure is read from a page and checked against another page, against the PDF, or
against the arithmetic the pages print (to the cent).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Expect, Locator, Page
from pypdf import PdfReader

from tests.browser.conftest import PAGE_TIMEOUT, log_in

FINANCE = "finance@northwind.example"  # Sophie Lefèvre: approves the invoices, reads savings

ACCOUNTS_PAYABLE = "Accounts payable"
PAYROLL = "Payroll"
GENERAL_LEDGER = "General ledger"
IT_SERVICE_DESK = "IT service desk"
# (function, how it is delivered, by whom), as the demo has them.
DELIVERED = (
    (ACCOUNTS_PAYABLE, "Outsourced", "Atlas Back Office"),
    (PAYROLL, "Outsourced", "Clairval Services"),
    (GENERAL_LEDGER, "Captive centre", "Northwind Shared Services Kraków"),
)
TENDER = "IT service desk — first- and second-line support"
TENDER_BIDS = 3
PER_UNIT = "Price per unit"

#: Assertions wait as long as actions do (a module's own ``expect``, as in test_contracts).
expect = Expect()
expect.set_options(timeout=PAGE_TIMEOUT)

#: The figures of a totals card, in the order the page and the PDF's table show them.
TOTALS = ("baseline-total", "outsourced-total", "saving-total", "saving-percent")
TOTALS += ("cumulative", "break-even", "npv")


def squeezed(text: str) -> str:
    """``text`` with every space taken out (the PDF may split or space a cell)."""
    return re.sub(r"\s+", "", text)


def amount_of(text: str) -> Decimal:
    """The amount an English page shows ("€1,234.50", "-€12.00", "− €650.00") as a Decimal."""
    match = re.search(r"([-−]?)\s*€\s*([\d,]+(?:\.\d+)?)", text)
    assert match, f"no amount in {text!r}"
    value = Decimal(match.group(2).replace(",", ""))
    return -value if match.group(1) else value


def amounts_in(text: str) -> list[Decimal]:
    """Every amount of ``text``, in order, unsigned ("€61,446.84 − €650.00" → both)."""
    return [Decimal(found.replace(",", "")) for found in re.findall(r"€\s*([\d,]+\.\d+)", text)]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, squeezed (see ``squeezed``)."""
    return squeezed("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def cell(table: Locator, row: Locator, header: str) -> Locator:
    """The cell of ``row`` under the column headed ``header`` (a row's own heading counts)."""
    headers = [text.strip() for text in table.locator("thead th").all_text_contents()]
    assert header in headers, (header, headers)
    return row.locator("th, td").nth(headers.index(header))


def export_pdf(page: Page) -> tuple[str, str]:
    """Click "Export the PDF report": (the file's name, its text squeezed)."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export the PDF report").click()
    download = download_info.value
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    return download.suggested_filename, pdf_text(pdf)


def totals_cards(section: Locator) -> dict[str, Locator]:
    """The totals cards of a page section, by currency."""
    cards = section.locator("[data-testid^='totals-']")
    expect(cards.first).to_be_visible()
    return {card.get_attribute("data-testid").removeprefix("totals-"): card for card in cards.all()}


def totals_in_the_pdf(card: Locator, text: str) -> None:
    """The PDF carries the card's totals as the page shows them, in one row, in order;
    and its section's heading (currency and months)."""
    figures = [card.get_by_test_id(name).inner_text() for name in TOTALS]
    assert all(figures), figures
    row = squeezed("".join(figures))
    assert row in text, (figures, text[:3000])
    heading = squeezed(card.locator("h3").inner_text()).upper()  # the PDF's is upper case
    assert heading in text.upper(), (heading, text[:3000])


# --- The savings pages -------------------------------------------------------------------


def check_the_functions(page: Page, cards: dict[str, Locator]) -> Locator:
    """Every demo function is delivered as it should be, and the functions' cumulative
    savings add up to the organization's, per currency. The functions table."""
    functions = page.get_by_test_id("functions")
    for name, delivery, vendor in DELIVERED:
        row = functions.locator("tbody tr").filter(
            has=page.get_by_role("link", name=name, exact=True)
        )
        expect(row).to_have_count(1)
        expect(cell(functions, row, "Delivered")).to_have_text(delivery)
        expect(cell(functions, row, "Vendor")).to_have_text(vendor)
        expect(cell(functions, row, "Break-even")).not_to_be_empty()

    headers = functions.locator("thead th")
    for currency, card in cards.items():
        cumulative = Decimal(0)
        for row in functions.locator("tbody tr").all():
            cells = row.locator("th, td")
            if cells.count() != headers.count():
                continue  # a function with no month over yet
            if cell(functions, row, "Currency").inner_text().strip() == currency:
                cumulative += amount_of(cell(functions, row, "Cumulative").inner_text())
        assert cumulative == amount_of(card.get_by_test_id("cumulative").inner_text()), currency
    return functions


def the_month_to_audit(page: Page, table: Locator) -> Locator:
    """The latest month with a credit note (the richest to audit), else the latest one."""
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    chosen = rows.last
    for row in rows.all():
        if amount_of(cell(table, row, "Credited").inner_text()):
            chosen = row
    return chosen


def audit_the_month(page: Page, figures: dict[str, Decimal], month: str) -> None:
    """The drill-down of a month: its figures are the table's, its invoices add up to
    what is invoiced, and every formula it prints holds, to the cent."""
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ACCOUNTS_PAYABLE} in {month}")
    summary = page.get_by_test_id("month-summary")
    baseline = amount_of(summary.get_by_test_id("baseline").inner_text())
    outsourced = amount_of(summary.get_by_test_id("outsourced").inner_text())
    saving = amount_of(summary.get_by_test_id("saving").inner_text())
    assert (baseline, outsourced, saving) == (
        figures["Baseline"],
        figures["Outsourced cost"],
        figures["Saving"],
    )
    assert amount_of(summary.get_by_test_id("cumulative").inner_text()) == figures["Cumulative"]

    # The baseline: the register's items add up to the in-house cost, a twelfth a month.
    items = page.get_by_test_id("baseline-items")
    annuals = [
        amount_of(text) for text in items.locator("tbody td:nth-of-type(1)").all_inner_texts()
    ]
    assert annuals, "the register's items are listed"
    annual = amount_of(items.get_by_test_id("in-house-annual").inner_text())
    monthly = amount_of(items.get_by_test_id("in-house-monthly").inner_text())
    assert sum(annuals) == annual
    assert (annual / 12).quantize(Decimal("0.01")) == monthly
    formula = page.get_by_test_id("baseline-formula").inner_text()
    assert formula.startswith("baseline = "), formula
    assert amounts_in(formula)[-1] == baseline, formula

    # The invoices counted: each with its number and net, adding up to the month's invoiced.
    outsourced_detail = page.get_by_test_id("outsourced-detail")
    invoices = outsourced_detail.get_by_test_id("invoices")
    nets = []
    for row in invoices.locator("tbody tr").all():
        number = row.locator("td").nth(0).inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]+-\d{4}-\d+", number), number
        expect(row.get_by_role("link", name=number, exact=True)).to_be_visible()
        nets.append(amount_of(row.locator("td").nth(2).inner_text()))
    assert nets, "the month's invoices are listed"
    invoiced = amount_of(invoices.get_by_test_id("invoiced").inner_text())
    assert sum(nets) == invoiced == figures["Invoiced"], (nets, invoiced, figures)

    # The credit notes on them, if any: they add up to what is credited.
    credit_notes = outsourced_detail.get_by_test_id("credit-notes")
    credited = Decimal(0)
    if figures["Credited"]:
        credits = [
            -amount_of(text)
            for text in credit_notes.locator("tbody td:nth-of-type(3)").all_inner_texts()
        ]
        credited = -amount_of(credit_notes.get_by_test_id("credited").inner_text())
        assert credits and sum(credits) == credited, (credits, credited)
    else:
        expect(credit_notes).to_have_count(0)
    assert credited == figures["Credited"]

    governance = sum(
        amounts_in(text)[0]
        for text in outsourced_detail.get_by_test_id("governance").locator("li").all_inner_texts()
    )
    transition = sum(
        amounts_in(text)[0]
        for text in outsourced_detail.get_by_test_id("transition").locator("li").all_inner_texts()
    )
    assert (governance, transition) == (figures["Governance"], figures["Transition"])

    # outsourced cost = invoiced − credited + governance + transition, as printed.
    formula = outsourced_detail.get_by_test_id("outsourced-formula").inner_text()
    assert formula.startswith("outsourced cost = invoiced − credited + governance + transition")
    assert amounts_in(formula) == [invoiced, credited, governance, transition, outsourced], formula
    assert invoiced - credited + governance + transition == outsourced

    # saving = baseline − outsourced cost.
    formula = page.get_by_test_id("saving-formula").inner_text()
    assert amounts_in(formula) == [baseline, outsourced, abs(saving)], formula
    assert baseline - outsourced == saving


# --- The journeys ------------------------------------------------------------------------


def test_finance_audits_a_month_of_savings_and_exports_reports_that_say_the_same(page: Page):
    log_in(page, FINANCE)

    # 1. The savings page, from the top bar: the organization's totals and its functions.
    page.get_by_test_id("nav-savings").click()
    expect(page).to_have_url(re.compile(r"/savings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Savings")
    organization = totals_cards(page.get_by_test_id("organization-totals"))
    assert "EUR" in organization, list(organization)
    check_the_functions(page, organization)

    # 2. Accounts payable: its months, one of which Sophie opens to audit its actual cost.
    functions = page.get_by_test_id("functions")
    functions.get_by_role("link", name=ACCOUNTS_PAYABLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ACCOUNTS_PAYABLE)
    expect(page.get_by_test_id("contracts")).to_contain_text("Atlas Back Office")
    function_page = page.url
    (currency, card), *_ = totals_cards(page.locator("main")).items()
    months = page.get_by_test_id(f"months-{currency}")
    row = the_month_to_audit(page, months)
    headers = [text.strip() for text in months.locator("thead th").all_text_contents()]
    month = cell(months, row, "Month").inner_text().strip()
    figures = {
        header: amount_of(cell(months, row, header).inner_text())
        for header in headers
        if header not in ("Month", "%", "Volume", "Unit cost")
    }
    # The month's outsourced cost opens how it was computed.
    cell(months, row, "Outsourced cost").get_by_role("link").click()
    expect(page).to_have_url(
        re.compile(rf"/savings/functions/\d+/months\?period=\d{{4}}-\d{{2}}&currency={currency}$")
    )
    audit_the_month(page, figures, month)

    # 3. Back on the function's page, its PDF report carries the same totals.
    page.go_back(wait_until="commit")
    expect(page).to_have_url(function_page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ACCOUNTS_PAYABLE)
    filename, text = export_pdf(page)
    assert re.fullmatch(r"savings-report-function-\d+-\d{4}-\d{2}-\d{2}\.pdf", filename), filename
    assert squeezed(f"Scope: the function {ACCOUNTS_PAYABLE}") in text
    totals_in_the_pdf(card, text)

    # 4. Back on the savings page, the organization's PDF report: the same totals, per
    # currency, and each function's saving, percentage, break-even and NPV.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Savings").click()
    expect(page).to_have_url(re.compile(r"/savings$"))
    organization = totals_cards(page.get_by_test_id("organization-totals"))
    filename, text = export_pdf(page)
    assert re.fullmatch(r"savings-report-all-\d{4}-\d{2}-\d{2}\.pdf", filename), filename
    assert squeezed("Scope: every outsourced function of the organization") in text
    for card in organization.values():
        totals_in_the_pdf(card, text)
    functions = page.get_by_test_id("functions")
    for name, _delivery, _vendor in DELIVERED:
        row = functions.locator("tbody tr").filter(
            has=page.get_by_role("link", name=name, exact=True)
        )
        # In the PDF's functions table: ... saving, %, break-even, NPV; over the months
        # shown, a function's saving is its cumulative saving.
        tail = "".join(
            cell(functions, row, header).inner_text()
            for header in ("Cumulative", "Saving", "Break-even", "NPV")
        )
        assert squeezed(name) in text, name
        assert squeezed(tail) in text, (name, tail, text[:4000])


def test_the_overview_and_the_projection_of_a_tender_with_a_what_if(page: Page):
    log_in(page, FINANCE)

    # 1. The back-office overview: every function, how it is delivered and by whom.
    page.goto("/savings/overview")
    expect(page.get_by_role("heading", level=1)).to_have_text("Back-office overview")
    lines = page.locator("[data-testid^='department-'] tbody tr")
    for name, delivery, vendor in DELIVERED:
        line = lines.filter(has=page.get_by_role("link", name=name, exact=True))
        expect(line).to_have_count(1)
        expect(line.locator("[data-testid^='mode-']")).to_contain_text(delivery)
        expect(line.locator("[data-testid^='by-']")).to_contain_text(vendor)
    expect(page.get_by_test_id("organization-totals")).to_contain_text("Total in EUR")

    # Accounts payable costs, today, what its latest invoiced month cost on its savings page.
    line = lines.filter(has=page.get_by_role("link", name=ACCOUNTS_PAYABLE, exact=True))
    current = line.locator("[data-testid^='current-']").inner_text()
    difference = amount_of(line.locator("[data-testid^='difference-']").inner_text())
    line.get_by_role("link", name=ACCOUNTS_PAYABLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ACCOUNTS_PAYABLE)
    months = page.get_by_test_id("months-EUR")
    latest = months.locator("tbody tr").last
    expect(cell(months, latest, "Month")).to_have_text(current.splitlines()[-1].strip())
    assert amount_of(cell(months, latest, "Outsourced cost").inner_text()) == amount_of(current)
    assert amount_of(cell(months, latest, "Saving").inner_text()) == difference
    page.go_back(wait_until="commit")

    # 2. The IT service desk tender: from the overview while it is under evaluation; once
    # awarded (test_contracts), the overview lists open tenders only, and its projection
    # is found from the tender's own address.
    desk = lines.filter(has=page.get_by_role("link", name=IT_SERVICE_DESK, exact=True))
    tender_link = desk.get_by_role("link", name=TENDER, exact=True)
    if tender_link.count():
        tender_link.click()
    else:
        page.get_by_test_id("nav-tenders").click()
        page.get_by_test_id("tenders").get_by_role("link", name=TENDER).click()
        tender_id = re.search(r"/tenders/(\d+)", page.url).group(1)
        page.goto(f"/savings/tenders/{tender_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Projection of {TENDER}")
    projection = page.get_by_test_id("projection")
    bids = projection.locator("thead th[data-bid]")
    expect(bids).to_have_count(TENDER_BIDS)
    bid_ids = [bid.get_attribute("data-bid") for bid in bids.all()]
    per_unit = [b for b in bid_ids if PER_UNIT in page.get_by_test_id(f"pricing-{b}").inner_text()]
    assert per_unit, "a bid is priced per unit"

    def monthly(bid: str) -> str:
        return page.get_by_test_id(f"monthly-{bid}").inner_text().strip()

    # As tendered, the monthly prices are those of the volume table's "as tendered" row.
    before = {bid: monthly(bid) for bid in bid_ids}
    for bid in bid_ids:
        assert amount_of(page.get_by_test_id(f"step-0-{bid}").inner_text()) == amount_of(
            before[bid]
        )
    at_plus_20 = {
        bid: amount_of(page.get_by_test_id(f"step-20-{bid}").inner_text()) for bid in bid_ids
    }
    volume_at_plus_20 = page.get_by_test_id("step-20").locator("th div").inner_text().strip()

    # 3. What if the volume were 20 % higher: the per-unit price follows, the others do not.
    what_if = page.get_by_test_id("what-if")
    what_if.get_by_label("What if the volume were").select_option(label="+20 %")
    what_if.get_by_role("button", name="Recompute").click()
    expect(page).to_have_url(re.compile(r"[?&]volume=20\b"))
    expect(page.get_by_test_id("volume-changed")).to_contain_text(
        f"Projected at {volume_at_plus_20} a month (+20 % of the tendered volume)"
    )
    expect(what_if.get_by_label("What if the volume were")).to_have_value("20")
    for bid in bid_ids:
        after = amount_of(monthly(bid))
        assert after == at_plus_20[bid], (bid, after, at_plus_20[bid])
        if bid in per_unit:
            assert after > amount_of(before[bid]), (bid, before[bid], after)
        else:
            assert after == amount_of(before[bid]), (bid, before[bid], after)

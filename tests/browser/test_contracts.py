"""Contracts end to end: an award becomes a contract, a month is reported, disputed,
corrected and accepted, and the SLA results show the breach and its service credit.

Three people, each on their own computer (a browser context each): Paul Girard,
procurement at Northwind Holdings (the demo client), and two people of Meridian
Business Services: Priya Raman, its admin, who signs, and Arjun Mehta, its
delivery lead, who reports. The tender is the demo's IT service desk tender,
closed and under evaluation; its award drafts the contract this test follows.

The contract starts on the first day of the month before last (the start is the
client's to set on a draft), so that last month is over and can be reported;
every date is computed from today's date, as the server sees it (UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from babel.dates import format_date
from playwright.sync_api import Browser, Expect, Locator, Page

from tests.browser.conftest import PAGE_TIMEOUT, SCREENSHOTS, LiveServer, log_in

CLIENT = "procurement@northwind.example"  # Paul Girard, procurement at Northwind Holdings
CLIENT_NAME = "Northwind Holdings"
MERIDIAN = "Meridian Business Services"
MERIDIAN_ADMIN = "admin@meridian.example"  # Priya Raman: accepts the contract
MERIDIAN_DELIVERY = "delivery@meridian.example"  # Arjun Mehta: reports each month

TITLE = "IT service desk — first- and second-line support"
TERM = 36  # months, as the tender says

# The rate card drafted from Meridian's bid: fourteen agents at 2,750 a month, and a
# service delivery manager; Paul adds a rate per ticket above the included volume.
AGENTS = "Service desk agents (first and second line): 14 FTE × 2750"
AGENTS_FEE = Decimal("38500")
MANAGER = "Service delivery manager and reporting"
MANAGER_FEE = Decimal("4800")
EXTRA, EXTRA_CODE, EXTRA_UNIT = "Tickets above 4,200 a month", "extra-tickets", "tickets"
EXTRA_RATE = Decimal("11.4375")

# The SLA set drafted from the tender's requirements, with Meridian's commitments:
# (name, code the portal makes from the name, unit, target, better when).
FIRST_RESPONSE = "Ticket first response time"
RESOLVED = "Tickets resolved within target"
FIRST_CONTACT = "First contact resolution"
SATISFACTION = "Internal customer satisfaction"
METRICS = {
    FIRST_RESPONSE: ("ticket-first-response-time", "hours", "6", "lower"),  # Meridian's 6, not 4
    RESOLVED: ("tickets-resolved-within-target", "%", "90", "higher"),
    FIRST_CONTACT: ("first-contact-resolution", "%", "70", "higher"),
    SATISFACTION: ("internal-customer-satisfaction", "%", "85", "higher"),
}
RESOLVED_CODE = METRICS[RESOLVED][0]
# Paul's terms for the resolution rate: critical below 80 %, a breach costs 12 % of the fees;
# every credit of a month together is capped at 10 % of its fees (the draft's default).
CRITICAL, CREDIT_PERCENT, CAP_PERCENT = Decimal("80"), Decimal("12"), Decimal("10")

# Meridian's month: the resolution rate breaches its 90 % target (not critically).
REPORTED_VOLUME, CORRECTED_VOLUME = Decimal("318"), Decimal("296")
VALUES = {
    METRICS[FIRST_RESPONSE][0]: "4.5",
    RESOLVED_CODE: "86.5",
    METRICS[FIRST_CONTACT][0]: "74",
    METRICS[SATISFACTION][0]: "88",
}

#: Assertions wait as long as actions do, not Playwright's default 5 seconds (a module's
#: own ``expect``: setting the shared one would change every other browser test's).
expect = Expect()
expect.set_options(timeout=PAGE_TIMEOUT)

# The labels of the two percentages, by how they start ("Credit, percent of the fees").
CAP_LABEL = re.compile(r"^Cap on service credits")
CREDIT_LABEL = re.compile(r"^Credit\b")

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def euros(amount: Decimal) -> str:
    """How the portal writes an amount of euros in English: €1,234.50."""
    return f"€{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def figure(number) -> re.Pattern:
    """A number as a form shows it back: 5, 5.00 or 5.0000 alike."""
    return re.compile(rf"^{re.escape(str(number))}(\.0+)?$")


def month_key(period: date) -> str:
    return f"{period:%Y-%m}"


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- People ------------------------------------------------------------------------------


@contextmanager
def logged_in(browser: Browser, live_server: LiveServer, email: str) -> Iterator[Page]:
    """Someone else, on their own computer, logged in; a screenshot if the test fails here."""
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
        page.screenshot(path=SCREENSHOTS / f"test_contracts_{email}.png", full_page=True)
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


def open_contract(page: Page) -> None:
    """From the top bar: Contracts, then this contract."""
    page.get_by_test_id("nav-contracts").click()
    row = page.get_by_test_id("contracts").get_by_role("row").filter(has_text=TITLE)
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)


# --- Step by step ------------------------------------------------------------------------


def award_to_meridian(page: Page) -> None:
    """Paul compares the bids of the closed tender and awards it to Meridian."""
    page.get_by_test_id("nav-tenders").click()
    page.get_by_test_id("tenders").get_by_role("link", name=TITLE).click()
    page.get_by_test_id("compare-bids").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Evaluation of {TITLE}")
    award = page.get_by_test_id("award-form")
    award.get_by_label("Winning bid").select_option(label=MERIDIAN)
    reason = "A dedicated pod with a French-speaking shift, at the lowest monthly price."
    award.get_by_label("Reason for the award").fill(reason)
    confirm_and_click(page, award.get_by_role("button", name="Award", exact=True))
    expect(alert(page, f"{TITLE} was awarded to {MERIDIAN}.")).to_be_visible()
    expect(page.get_by_test_id("award")).to_contain_text(f"Awarded to {MERIDIAN}")


def edit_the_draft(page: Page, start: date, end: date) -> None:
    """Paul checks what the award prefilled, adds a unit rate, sets the start and credits."""
    open_contract(page)
    expect(page.get_by_test_id("contract-status")).to_have_text("Draft")
    expect(page.get_by_test_id("status-history")).to_contain_text("from an award")
    page.get_by_test_id("edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit draft contract")
    form = page.get_by_test_id("contract-form")

    # The rate card comes from Meridian's bid: the agents (14 FTE × 2,750) and the manager.
    rates = form.get_by_test_id("rate-lines").locator("tbody tr")
    agents, manager, spare = rates.nth(0), rates.nth(1), rates.nth(2)
    expect(agents.get_by_label("Description", exact=True)).to_have_value(AGENTS)
    expect(agents.get_by_label("Kind", exact=True)).to_have_value("fixed_monthly")
    expect(agents.get_by_label("Rate", exact=True)).to_have_value("38500.00")
    expect(manager.get_by_label("Description", exact=True)).to_have_value(MANAGER)
    expect(manager.get_by_label("Rate", exact=True)).to_have_value("4800.00")
    expect(spare.get_by_label("Description", exact=True)).to_have_value("")
    agents_code = agents.get_by_label("Code", exact=True).input_value()
    assert agents_code, "the drafted line has a code"

    # A rate per ticket above the included volume, typed into the spare row.
    spare.get_by_label("Kind", exact=True).select_option(label="Rate per unit")
    spare.get_by_label("Description", exact=True).fill(EXTRA)
    spare.get_by_label("Unit (per-unit rates)", exact=True).fill(EXTRA_UNIT)
    spare.get_by_label("Rate", exact=True).fill(str(EXTRA_RATE))
    spare.get_by_label("Code", exact=True).fill(EXTRA_CODE)
    expect(form.get_by_label(CAP_LABEL)).to_have_value(figure(CAP_PERCENT))

    # The SLA set comes from the tender, at Meridian's commitment where it made one.
    metric_rows = form.get_by_test_id("metrics").locator("tbody tr")
    for index, (name, (code, unit, target, better)) in enumerate(METRICS.items()):
        row = metric_rows.nth(index)
        expect(row.get_by_label("Metric", exact=True)).to_have_value(name)
        expect(row.get_by_label("Unit", exact=True)).to_have_value(unit)
        expect(row.get_by_label("Target", exact=True)).to_have_value(figure(target))
        expect(row.get_by_label("Better when", exact=True)).to_have_value(better)
        expect(row.get_by_label("Critical threshold", exact=True)).to_have_value("")
        expect(row.get_by_label(CREDIT_LABEL)).to_have_value(figure(5))
        expect(row.get_by_label("Code", exact=True)).to_have_value(code)
    resolved = metric_rows.filter(
        has=page.locator(f'input[aria-label="Code"][value="{RESOLVED_CODE}"]')
    )
    resolved.get_by_label("Critical threshold", exact=True).fill(str(CRITICAL))
    resolved.get_by_label(CREDIT_LABEL).fill(str(CREDIT_PERCENT))

    form.get_by_label("Start date").fill(start.isoformat())
    form.get_by_label("End date").fill(end.isoformat())
    page.get_by_test_id("save").click()

    expect(alert(page, f"Draft contract {TITLE} saved.")).to_be_visible()
    expect(page.get_by_test_id("contract-status")).to_have_text("Draft")
    expect(page.get_by_test_id("rate-line-" + EXTRA_CODE)).to_contain_text(
        f"€{EXTRA_RATE} per {EXTRA_UNIT}"
    )
    expect(page.get_by_test_id("rate-line-" + agents_code)).to_contain_text("€38,500.00 a month")
    expect(page.get_by_test_id("metric-" + RESOLVED_CODE)).to_contain_text("≥ 90 %")
    expect(page.get_by_test_id("metric-" + RESOLVED_CODE)).to_contain_text("< 80 %")
    expect(page.get_by_test_id("metric-" + RESOLVED_CODE)).to_contain_text("12 % of fees")
    expect(page.get_by_test_id("credit-cap")).to_have_text("10 % of the period’s fees")


def send_to_meridian(page: Page) -> None:
    confirm_and_click(page, page.get_by_test_id("send"))
    expect(alert(page, f"{TITLE} is sent to {MERIDIAN}.")).to_be_visible()
    expect(page.get_by_test_id("contract-status")).to_have_text("Awaiting the vendor")
    expect(page.get_by_test_id("awaiting")).to_contain_text(f"Sent to {MERIDIAN}")


def accept_the_contract(page: Page) -> None:
    """Priya finds the contract awaiting her acceptance and accepts it."""
    page.get_by_test_id("nav-contracts").click()
    row = page.get_by_test_id("contracts").get_by_role("row").filter(has_text=TITLE)
    expect(row.get_by_test_id("counterparty")).to_have_text(CLIENT_NAME)
    expect(row.get_by_test_id("status")).to_have_text("Awaiting the vendor")
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_test_id("awaiting")).to_contain_text(f"{CLIENT_NAME} sent you this contract")
    # The client's own figures stay the client's.
    expect(page.get_by_test_id("transition-cost")).to_have_count(0)
    expect(page.get_by_test_id("governance-cost")).to_have_count(0)
    confirm_and_click(page, page.get_by_test_id("accept"))
    expect(alert(page, f"You accepted {TITLE}: it is active.")).to_be_visible()
    expect(page.get_by_test_id("contract-status")).to_have_text("Active")


def report_csv(period: date, volume: str, values: dict[str, str]) -> bytes:
    rows = ["period,code,value,note", f"{month_key(period)},{EXTRA_CODE},{volume},"]
    rows += [f"{month_key(period)},{code},{value}," for code, value in values.items()]
    return ("\r\n".join(rows) + "\r\n").encode()


def upload(page: Page, name: str, content: bytes) -> None:
    form = page.get_by_test_id("upload-form")
    form.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    form.get_by_role("button", name="Upload").click()


def report_last_month(page: Page, start: date, last_month: date) -> None:
    """Arjun downloads the template, has a bad file refused, then uploads and submits."""
    open_contract(page)
    page.get_by_test_id("tab-reports").click()
    periods = page.get_by_test_id("periods")
    row = periods.get_by_test_id(f"period-{month_key(last_month)}")
    expect(row).to_contain_text("Not reported")
    expect(row.get_by_test_id("late")).to_be_visible()  # the month is over

    with page.expect_download() as download_info:
        page.get_by_test_id("template-link").click()
    download = download_info.value
    template = Path(download.path()).read_text(encoding="utf-8")
    assert template.splitlines()[0].lstrip("\ufeff") == "period,code,value,note"
    # The earliest period without a report, every unit-rate line and metric, values empty.
    for code in (EXTRA_CODE, *VALUES):
        assert f"{month_key(start)},{code},," in template, template
    assert "38500" not in template  # fixed fees have no volume to report

    # One bad row (text in a number) refuses the whole file, and nothing is saved.
    bad_values = {**VALUES, METRICS[FIRST_CONTACT][0]: "seventy-four"}
    upload(page, "service-desk-bad.csv", report_csv(last_month, str(REPORTED_VOLUME), bad_values))
    problems = page.get_by_test_id("upload-problems")
    expect(problems).to_contain_text("The file was refused: 1 problem. Nothing was imported.")
    problem = problems.get_by_test_id("problem")
    expect(problem).to_have_count(1)
    bad_row = 2 + list(VALUES).index(METRICS[FIRST_CONTACT][0]) + 1  # header, volume, metrics
    expect(problem.get_by_test_id("problem-row")).to_have_text(str(bad_row))
    expect(problem.get_by_test_id("problem-column")).to_have_text("value")
    expect(problem).to_contain_text("“seventy-four” is not a number.")
    page.get_by_test_id("tab-reports").click()  # the page afresh, from the database
    expect(page.get_by_test_id("upload-problems")).to_have_count(0)
    row = page.get_by_test_id("periods").get_by_test_id(f"period-{month_key(last_month)}")
    expect(row).to_contain_text("Not reported")
    expect(row.get_by_test_id("report-status")).to_have_count(0)

    # The good file: imported as a draft, checked, then submitted.
    upload(page, "service-desk.csv", report_csv(last_month, str(REPORTED_VOLUME), VALUES))
    expect(
        alert(page, f"1 report imported as a draft: {month_key(last_month)}. Check it, then submit")
    ).to_be_visible()
    expect(page.get_by_test_id("report-status")).to_have_text("Draft")
    values = page.get_by_test_id("values")
    expect(values.get_by_test_id(f"value-{EXTRA_CODE}")).to_contain_text(f"318 {EXTRA_UNIT}")
    expect(values.get_by_test_id(f"value-{RESOLVED_CODE}")).to_contain_text("86.5 %")
    page.get_by_test_id("submit-report").click()
    expect(alert(page, "Report submitted: the client reviews it now.")).to_be_visible()
    expect(page.get_by_test_id("report-status")).to_have_text("Submitted")


def dispute_the_volume(page: Page, last_month: date, reason: str) -> None:
    """Paul finds the report awaiting his review and disputes the ticket volume."""
    open_contract(page)
    page.get_by_test_id("tab-reports").click()
    awaiting = page.get_by_test_id("awaiting-review")
    expect(awaiting).to_contain_text("1 report awaits your review")
    awaiting.get_by_role("link", name=format_date(last_month, "MMMM y", locale="en")).click()
    expect(page.get_by_test_id("report-status")).to_have_text("Submitted")
    form = page.get_by_test_id("dispute-form")
    form.get_by_label(EXTRA, exact=True).fill(reason)
    form.get_by_test_id("dispute").click()
    expect(alert(page, "Report disputed. The vendor is asked to correct it.")).to_be_visible()
    expect(page.get_by_test_id("report-status")).to_have_text("Disputed")
    line = page.get_by_test_id(f"value-{EXTRA_CODE}")
    expect(line.get_by_test_id("item-dispute")).to_have_text(reason)
    expect(page.get_by_test_id("item-dispute")).to_have_count(1)  # that line only


def correct_and_resubmit(page: Page, reason: str) -> None:
    """Arjun reads the dispute on the line, corrects the volume in a new version, submits."""
    page.reload()
    expect(page.get_by_test_id("report-status")).to_have_text("Disputed")
    line = page.get_by_test_id(f"value-{EXTRA_CODE}")
    expect(line.get_by_test_id("item-dispute")).to_have_text(reason)
    page.get_by_test_id("correct").click()
    expect(
        alert(page, "A new version is open. Correct the disputed values, then submit it.")
    ).to_be_visible()
    expect(page.get_by_test_id("correcting")).to_contain_text(
        "This version corrects version 1, which the client disputed."
    )
    form = page.get_by_test_id("report-form")
    volume = form.get_by_test_id(f"volume-{EXTRA_CODE}")
    expect(volume.get_by_test_id("item-dispute")).to_have_text(reason)
    field = volume.get_by_label(f"Volume of {EXTRA}")
    expect(field).to_have_value(figure(REPORTED_VOLUME))  # copied from version 1
    field.fill(str(CORRECTED_VOLUME))
    page.get_by_test_id("save-draft").click()
    expect(alert(page, "Draft saved. It is not submitted yet.")).to_be_visible()
    expect(page.get_by_test_id("report-status").first).to_have_text("Draft")
    expect(page.get_by_test_id(f"value-{EXTRA_CODE}")).to_contain_text(f"296 {EXTRA_UNIT}")
    page.get_by_role("main").get_by_test_id("submit-report").click()
    expect(alert(page, "Report submitted: the client reviews it now.")).to_be_visible()
    expect(page.get_by_test_id("report-status").first).to_have_text("Submitted")
    versions = page.get_by_test_id("versions")
    expect(versions.get_by_role("listitem")).to_have_count(2)
    expect(versions.get_by_role("listitem").nth(0)).to_contain_text("Superseded")


# --- The journey -------------------------------------------------------------------------


def test_an_award_becomes_a_contract_reported_disputed_corrected_and_its_breach_credited(
    page: Page, browser: Browser, live_server: LiveServer
):
    today = datetime.now(UTC).date()  # the server's today
    start = months_before(today, 2)
    last_month = months_before(today, 1)
    end = date(start.year + TERM // 12, start.month, 1) - timedelta(days=1)
    reason = "ServiceNow shows 296 tickets above the 4,200 included, not 318."

    # The credit, by hand from the terms typed: fees of the month (fixed fees, and the
    # corrected volume × the rate, to the cent), 12 % of them for the breach, capped at 10 %.
    fees = AGENTS_FEE + MANAGER_FEE + cents(CORRECTED_VOLUME * EXTRA_RATE)
    credit_before_cap = cents(fees * CREDIT_PERCENT / HUNDRED)
    cap = cents(fees * CAP_PERCENT / HUNDRED)
    credit = min(credit_before_cap, cap)
    assert (fees, credit_before_cap, credit) == (
        Decimal("46685.50"),
        Decimal("5602.26"),
        Decimal("4668.55"),
    )

    # 1. Paul awards the tender to Meridian; the award drafts the contract, which he
    # edits and sends.
    log_in(page, CLIENT)
    award_to_meridian(page)
    edit_the_draft(page, start, end)
    send_to_meridian(page)

    with (
        logged_in(browser, live_server, MERIDIAN_ADMIN) as priya,
        logged_in(browser, live_server, MERIDIAN_DELIVERY) as arjun,
    ):
        # 2. Meridian's admin accepts the contract.
        accept_the_contract(priya)
        page.reload()
        expect(page.get_by_test_id("contract-status")).to_have_text("Active")

        # 3. Meridian's delivery lead reports last month by CSV, after a refused file.
        report_last_month(arjun, start, last_month)

        # 4. Paul disputes the ticket volume.
        dispute_the_volume(page, last_month, reason)

        # 5. Meridian corrects it in a new version and resubmits.
        correct_and_resubmit(arjun, reason)

    # 6. Paul accepts the corrected version.
    page.reload()  # the version he disputed
    expect(page.get_by_test_id("report-status").first).to_have_text("Superseded")
    expect(page.get_by_role("main")).to_contain_text(
        "This version was disputed and replaced by a corrected version."
    )
    page.get_by_test_id("tab-reports").click()
    page.get_by_test_id("awaiting-review").get_by_role("link").click()
    expect(page.get_by_role("main")).to_contain_text("version 2")
    expect(page.get_by_test_id(f"value-{EXTRA_CODE}")).to_contain_text(f"296 {EXTRA_UNIT}")
    page.get_by_test_id("review").get_by_test_id("accept").click()
    expect(alert(page, "Report accepted. Its SLA results are computed.")).to_be_visible()
    expect(page.get_by_test_id("report-status").first).to_have_text("Accepted")
    summary = page.get_by_test_id("results-summary")
    expect(summary).to_contain_text("3 of 4 service levels met.")
    expect(summary).to_contain_text(f"Period fees: {euros(fees)}. Service credit: {euros(credit)}.")

    # 7. The SLA results: the breach, its credit before the cap, the month's credit after it.
    page.get_by_test_id("tab-results").click()
    period = page.get_by_test_id("results-table").get_by_test_id(f"period-{month_key(last_month)}")
    cell = period.locator(f'td[data-code="{RESOLVED_CODE}"]')
    expect(cell.locator("[data-outcome]")).to_have_attribute("data-outcome", "breached")
    expect(cell.locator("[data-outcome]")).to_have_text("Breached")
    expect(cell).to_contain_text(f"credit {euros(credit_before_cap)}")
    for code in VALUES:
        if code != RESOLVED_CODE:
            other = period.locator(f'td[data-code="{code}"] [data-outcome]')
            expect(other).to_have_attribute("data-outcome", "met")
    expect(period).to_contain_text("3 / 4")
    expect(period).to_contain_text(euros(fees))
    expect(period.get_by_test_id("credit")).to_contain_text(euros(credit))
    expect(period.get_by_test_id("credit")).to_contain_text("Cap applied")
    expect(period.get_by_test_id("credit")).to_contain_text(
        f"{euros(credit_before_cap)} before the cap"
    )
    expect(page.get_by_test_id("credit-latest")).to_have_text(euros(credit))

    # The chart of the breached metric has loaded, and its SVG names the breach that month.
    chart = page.get_by_test_id(f"chart-{RESOLVED_CODE}").get_by_role("img")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=chart.element_handle()
    )
    response = page.request.get(chart.get_attribute("src"))
    assert response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text()
    month = format_date(last_month, "MMM y", locale="en")  # Paul reads English
    assert f"{month} · Breached" in svg, svg[:2000]
    assert f"{RESOLVED}: actual against target" in svg

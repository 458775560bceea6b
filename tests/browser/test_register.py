"""The register: a client records a function with what it costs in-house today."""

from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_up_client

CENT = Decimal("0.01")


def euros(amount: Decimal) -> str:
    """How en-GB writes an amount of euros: €78,786.04."""
    return f"€{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def test_a_function_added_from_the_catalogue_shows_its_monthly_and_unit_cost(page: Page):
    sign_up_client(page)
    ftes = Decimal("12.5")
    cost_per_fte = Decimal("51234.56")
    overheads = Decimal("84000")
    facilities = Decimal("63000.50")
    technology = Decimal("48000")
    management = Decimal("110000")
    volume = 12345

    page.get_by_role("link", name="Functions", exact=True).click()
    page.get_by_role("link", name="New department").click()
    page.get_by_label("Name").fill("Finance")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Finance")).to_be_visible()

    page.get_by_role("link", name="New function").click()
    page.get_by_role("link", name="Accounts payable").click()
    expect(page.get_by_label("Name")).to_have_value("Accounts payable")
    expect(page.get_by_label("Volume unit")).to_have_value("supplier invoices")
    page.get_by_label("Department").select_option(label="Finance")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("FTEs").fill("12.5")
    page.get_by_label("Annual cost per FTE").fill("51,234.56")
    page.get_by_label("Annual overheads").fill("84,000")
    page.get_by_label("Annual facilities").fill("63,000.50")
    page.get_by_label("Annual technology").fill("48000")
    page.get_by_label("Annual management").fill("110000")
    page.get_by_label("Monthly volume").fill("12,345")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Accounts payable added to the register")

    annual = ftes * cost_per_fte + overheads + facilities + technology + management
    monthly = annual / 12
    unit = monthly / volume
    assert euros(monthly) == "€78,786.04"  # the figures above, worked out by hand
    assert euros(unit) == "€6.38"
    assert euros(annual) == "€945,432.50"

    page.get_by_role("link", name="Functions", exact=True).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Accounts payable"))
    expect(row.get_by_test_id("monthly-cost")).to_have_text(euros(monthly))
    expect(row.get_by_test_id("unit-cost")).to_have_text(euros(unit))
    expect(row).to_contain_text("12,345 supplier invoices")
    totals = page.get_by_test_id("overall-total-EUR")
    expect(totals).to_contain_text(euros(monthly))
    expect(totals).to_contain_text(euros(annual))

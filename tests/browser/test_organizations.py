"""Working for two organizations with one account: the switcher in the topbar."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in


def choose_organization(page: Page, name: str) -> None:
    page.get_by_test_id("org-switcher").click()
    # Each entry reads "<organization> · <role>".
    page.get_by_role("button", name=re.compile(rf"^{re.escape(name)} · ")).click()


def test_the_admin_of_two_organizations_switches_between_them(page: Page):
    log_in(page, "admin@northwind.example")
    expect(page.get_by_test_id("current-organization")).to_have_text("Northwind Holdings")

    choose_organization(page, "Northwind Shared Services Kraków")
    expect(page.get_by_test_id("current-organization")).to_have_text(
        "Northwind Shared Services Kraków"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Shared Services Kraków")
    expect(page.get_by_test_id("side-vendor")).to_be_visible()
    # A vendor has no register of its own functions.
    expect(page.get_by_role("link", name="Functions", exact=True)).to_have_count(0)

    choose_organization(page, "Northwind Holdings")
    expect(page.get_by_test_id("current-organization")).to_have_text("Northwind Holdings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Holdings")
    expect(page.get_by_role("link", name="Functions", exact=True)).to_be_visible()

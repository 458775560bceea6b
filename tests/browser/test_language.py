"""Each person reads the portal in their own language."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_up_client


def test_a_user_who_chooses_french_reads_the_interface_in_french(page: Page):
    sign_up_client(page)

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="My account").click()
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Save the profile").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_role("link", name="Membres")).to_be_visible()
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("logout")).to_have_text("Déconnexion")
    expect(page.get_by_role("link", name=re.compile("^Mon compte$"))).to_be_visible()

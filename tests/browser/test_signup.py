"""Signing up: a person creates their account and their client organization at once."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Client, fill_signup_form, sign_up_client, unique_email

GOOD_PASSWORD = "correct horse battery staple"


def test_a_client_signs_up_and_lands_on_its_dashboard(page: Page):
    client = sign_up_client(page)

    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("current-organization")).to_have_text(client.organization)
    expect(page.get_by_role("heading", level=1)).to_have_text(client.organization)
    expect(page.get_by_test_id("side-client")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_text(client.full_name)


def expect_field_error(page: Page, label: str, name: str, message: str) -> None:
    """The field is marked invalid and its own message sits right under it."""
    field = page.get_by_label(label, exact=True)
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator(f'.invalid-feedback[data-field="{name}"]')).to_have_text(message)


def expect_organization_still_typed(page: Page, organization: str) -> None:
    expect(page.get_by_label("Full name")).to_have_value("Hélène Rousseau")
    expect(page.get_by_label("Organization name")).to_have_value(organization)
    expect(page.get_by_label("A client: we put back-office work out to providers")).to_be_checked()
    expect(page.get_by_label("Legal name")).to_have_value(f"{organization} SAS")
    expect(page.get_by_label("Country")).to_have_value("FR")
    expect(page.get_by_label("VAT number")).to_have_value("FR40303265045")
    expect(page.get_by_label("Company registration number")).to_have_value("303265045")
    expect(page.get_by_label("Address", exact=True)).to_have_value("12 rue de la Chaussée d'Antin")
    expect(page.get_by_label("Postal code")).to_have_value("75009")
    expect(page.get_by_label("City")).to_have_value("Paris")
    expect(page.get_by_label("Default currency")).to_have_value("EUR")


def rejected_signup(page: Page) -> Client:
    """Submit the sign-up with a too-short password and a demo account's e-mail."""
    typed = Client(
        full_name="Hélène Rousseau",
        email="admin@northwind.example",
        password="short",
        organization=f"Rousseau Industrie {unique_email('x')[2:10]}",
    )
    page.goto("/signup")
    fill_signup_form(page, typed)
    page.get_by_role("button", name="Create the account").click()
    return typed


def test_rejected_signup_keeps_what_was_typed_until_it_is_right(page: Page):
    typed = rejected_signup(page)

    expect_field_error(page, "Password", "password", "Use at least 10 characters.")
    expect(page.get_by_label("E-mail")).to_have_value("admin@northwind.example")
    expect_organization_still_typed(page, typed.organization)
    expect(page.get_by_test_id("current-organization")).to_have_count(0)

    # Passwords are never sent back; typed again, the e-mail is what is left.
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("Confirm the password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect_field_error(page, "E-mail", "email", "An account already uses this e-mail address.")
    expect(page.locator('.invalid-feedback[data-field="password"]')).to_have_count(0)
    expect_organization_still_typed(page, typed.organization)

    page.get_by_label("E-mail").fill(unique_email("rousseau"))
    page.get_by_label("Password", exact=True).fill(GOOD_PASSWORD)
    page.get_by_label("Confirm the password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("current-organization")).to_have_text(typed.organization)


def test_rejected_signup_shows_every_error_at_once(page: Page):
    rejected_signup(page)

    expect_field_error(page, "Password", "password", "Use at least 10 characters.")
    # The answer page is all there once the password error shows: read it at once.
    email_errors = page.locator('.invalid-feedback[data-field="email"]').all_inner_texts()
    assert email_errors == ["An account already uses this e-mail address."]
    expect_field_error(page, "E-mail", "email", "An account already uses this e-mail address.")

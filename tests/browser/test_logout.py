"""Logging out ends the session: no page of the organization shows any more."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_up_client

LOGIN_PAGE = re.compile(r"/login(\?next=(/|%2F)dashboard)?$")


def log_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("You are logged out.")


def test_after_logout_the_dashboard_sends_to_the_login_page(page: Page):
    sign_up_client(page)
    log_out(page)

    page.goto("/dashboard")
    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("current-organization")).to_have_count(0)

    page.reload()
    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_test_id("current-organization")).to_have_count(0)


def test_after_logout_back_does_not_show_the_dashboard(page: Page):
    client = sign_up_client(page)
    log_out(page)

    # A page restored from the back/forward cache fires no load event: wait for
    # the navigation to commit. By then the address is settled (a redirect to
    # the login page is followed before the commit), so it is read at once.
    page.go_back(wait_until="commit")
    assert LOGIN_PAGE.search(page.url), f"Back showed {page.url} after logging out"
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text(client.organization)).to_have_count(0)

    page.reload()
    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_test_id("current-organization")).to_have_count(0)

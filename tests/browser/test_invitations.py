"""Inviting a colleague: the e-mailed link makes their account and brings them in."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, sign_up_client, unique_email

INVITATION_LINK = re.compile(r"https?://\S+/invitations/\S+")


def test_an_invited_colleague_creates_an_account_and_joins_as_finance(
    page: Page, browser: Browser, live_server: LiveServer
):
    admin = sign_up_client(page, who="admin")
    colleague = unique_email("colleague")

    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_label("E-mail").fill(colleague)
    page.get_by_label("Role", exact=True).select_option(label="Finance")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_have_text(f"Invitation sent to {colleague} as Finance.")
    expect(page.get_by_test_id("invitations")).to_contain_text(colleague)

    link = INVITATION_LINK.search(live_server.last_mail_to(colleague))
    assert link is not None, "the invitation e-mail has no link"

    # The colleague, on their own computer: nothing shared with the admin's browser.
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Paris"
    )
    try:
        theirs = context.new_page()
        theirs.goto(link.group(0))
        expect(theirs.get_by_role("heading", level=1)).to_have_text(f"Join {admin.organization}")
        expect(theirs.get_by_label("E-mail")).to_have_value(colleague)
        theirs.get_by_label("Full name").fill("Lucas Bernard")
        theirs.get_by_label("Password", exact=True).fill("ledger autumn violin 42")
        theirs.get_by_label("Confirm the password").fill("ledger autumn violin 42")
        theirs.get_by_role("button", name="Create my account and join").click()

        expect(theirs).to_have_url(re.compile(r"/dashboard$"))
        expect(theirs.get_by_test_id("current-organization")).to_have_text(admin.organization)
        expect(theirs.get_by_test_id("user-menu")).to_have_text("Lucas Bernard")

        theirs.get_by_role("link", name="Members", exact=True).click()
        member = theirs.get_by_role("row").filter(has_text=colleague)
        expect(member).to_contain_text("Lucas Bernard")
        expect(member.get_by_role("cell").nth(2)).to_have_text("Finance")
    finally:
        context.close()

    # The admin sees the colleague among the members, no longer among the invitations.
    page.reload()
    member = page.get_by_test_id("members").get_by_role("row").filter(has_text=colleague)
    expect(member.get_by_label("Role of Lucas Bernard")).to_have_value("finance")
    expect(page.get_by_test_id("invitations")).to_have_count(0)

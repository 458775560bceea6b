"""Tendering end to end: a client puts a function out to tender, two vendors bid, one wins.

Three people, each on their own computer (a browser context each): Paul Girard,
procurement at Northwind Holdings (the demo client), and the admins of two demo
vendors, Atlas Back Office and Meridian Business Services. The tender, the
question and the bids are this test's own (a unique title); the demo's tenders
are left alone.

Bids are sealed until the deadline. The journey cannot wait days for it, so
once both bids are in, the test moves this tender's deadline into the past in
the live server's database: the clock moving on, nothing else.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import psycopg
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import PAGE_TIMEOUT, SCREENSHOTS, LiveServer, log_in

CLIENT = "procurement@northwind.example"  # Paul Girard, procurement at Northwind Holdings
ATLAS, ATLAS_ADMIN = "Atlas Back Office", "admin@atlas.example"
MERIDIAN, MERIDIAN_ADMIN = "Meridian Business Services", "admin@meridian.example"

ACCURACY = "Invoice processing accuracy"
CYCLE_TIME = "Invoice processing cycle time"
QUALITY = "Quality of service"
TRANSITION = "Transition plan"

# The tender's terms, as Paul types them.
VOLUME = Decimal("12350")  # supplier invoices a month
TERM = 36  # months
PRICE_WEIGHT, QUALITY_WEIGHT, TRANSITION_WEIGHT = 40, 35, 25

CENT = Decimal("0.01")
PARIS = ZoneInfo("Europe/Paris")  # every demo person's time zone


def euros(amount: Decimal) -> str:
    """How the portal writes an amount of euros in English: €1,536,844.68."""
    return f"€{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def projected_total(fixed_fee: Decimal, unit_price: Decimal, transition: Decimal) -> Decimal:
    """Monthly price (each line rounded to the cent) × term + transition cost."""
    per_unit = (unit_price * VOLUME).quantize(CENT, rounding=ROUND_HALF_UP)
    return (fixed_fee + per_unit) * TERM + transition


def points(weight: int, score: int) -> Decimal:
    """A scored criterion's points: weight × score ÷ 10, to two places."""
    return (Decimal(weight) * score / 10).quantize(CENT, rounding=ROUND_HALF_UP)


# The two bids. Atlas: a fixed fee plus a price per invoice; Meridian: per invoice only,
# cheaper, but one commitment below the tender's accuracy target.
ATLAS_FEE, ATLAS_UNIT, ATLAS_TRANSITION = Decimal("18500"), Decimal("1.8575"), Decimal("45000")
MERIDIAN_UNIT, MERIDIAN_TRANSITION = Decimal("2.9475"), Decimal("60000")
ATLAS_TOTAL = projected_total(ATLAS_FEE, ATLAS_UNIT, ATLAS_TRANSITION)
MERIDIAN_TOTAL = projected_total(Decimal(0), MERIDIAN_UNIT, MERIDIAN_TRANSITION)


# --- People and the clock ---------------------------------------------------------------


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
        page.screenshot(path=SCREENSHOTS / f"test_tendering_{email}.png", full_page=True)
        raise
    finally:
        context.close()


def move_deadline_into_the_past(live_server: LiveServer, title: str) -> None:
    """The clock moves on past the deadline.

    Only this tender's ``bid_deadline`` changes, in the live server's own
    database, to this very moment: after every bid submitted so far, before
    every request still to come. Every rule (sealed bids, closing, award)
    reads it against the server's clock, as when the deadline passes by itself.
    """
    deadline = datetime.now(UTC)
    url = live_server.database_url
    if url.startswith("sqlite:///"):
        # SQLite keeps moments as UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10) as conn:
            updated = conn.execute(
                "UPDATE tenders SET bid_deadline = ? WHERE title = ?",
                (deadline.strftime("%Y-%m-%d %H:%M:%S.%f"), title),
            ).rowcount
        conn.close()
    else:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo) as conn:
            updated = conn.execute(
                "UPDATE tenders SET bid_deadline = %s WHERE title = %s", (deadline, title)
            ).rowcount
    assert updated == 1, f"expected one tender titled {title!r}, updated {updated}"


def alert(page: Page, text: str) -> Locator:
    """The flashed message with ``text`` (a page may show several)."""
    return page.get_by_role("alert").filter(has_text=text)


# --- The client writes and publishes the tender -----------------------------------------


def write_tender(page: Page, title: str) -> str:
    """Paul puts accounts payable out to tender, by invitation; the tender page's path."""
    page.get_by_role("link", name="Functions", exact=True).click()
    page.get_by_role("link", name="Accounts payable", exact=True).click()
    page.get_by_test_id("put-out-to-tender").click()
    expect(page.get_by_role("heading", name="New tender")).to_be_visible()
    expect(page.get_by_label("Function").locator("option:checked")).to_have_text("Accounts payable")
    expect(page.get_by_label("Volume unit")).to_have_value("supplier invoices")

    page.get_by_label("Title").fill(title)
    page.get_by_label("Scope of work").fill(
        "Supplier invoice capture, three-way matching, exception handling and the "
        "weekly payment run, in SAP S/4HANA.\nTreasury and payment approval stay with us."
    )
    page.get_by_label("Monthly volume").fill("12,350")
    page.get_by_label("Contract term (months)").fill(str(TERM))
    page.get_by_label("Contract start date").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_label("Location preference").select_option(label="Any location")
    deadline = datetime.now(PARIS) + timedelta(days=14)  # Paul's time zone
    page.get_by_label("Bid deadline").fill(deadline.strftime("%Y-%m-%dT17:00"))
    page.get_by_label("Invited vendors only").check()

    # SLAs from the library: ticked, then added as rows to review.
    library = page.get_by_test_id("sla-library")
    library.locator("summary").click()
    library.get_by_label(f"{ACCURACY} (≥ 99 %)").check()
    library.get_by_label(f"{CYCLE_TIME} (≤ 3 days)").check()
    library.get_by_role("button", name="Add the ticked SLAs").click()
    requirements = page.get_by_test_id("sla-requirements")
    expect(requirements.get_by_label("Metric").nth(0)).to_have_value(ACCURACY)
    expect(requirements.get_by_label("Target").nth(0)).to_have_value("99")
    expect(requirements.get_by_label("Metric").nth(1)).to_have_value(CYCLE_TIME)
    expect(requirements.get_by_label("Target").nth(1)).to_have_value("3")
    expect(requirements.get_by_label("Better when").nth(1)).to_have_value("lower")
    # What was typed before survives the round trip.
    expect(page.get_by_label("Title")).to_have_value(title)

    criteria = page.get_by_test_id("criteria")
    criteria.get_by_label("Weight of price").fill(str(PRICE_WEIGHT))
    names = criteria.get_by_label("Criterion", exact=True)
    weights = criteria.get_by_label("Weight", exact=True)
    names.nth(0).fill(QUALITY)
    weights.nth(0).fill(str(QUALITY_WEIGHT))
    names.nth(1).fill(TRANSITION)
    weights.nth(1).fill(str(TRANSITION_WEIGHT))
    assert PRICE_WEIGHT + QUALITY_WEIGHT + TRANSITION_WEIGHT == 100
    page.get_by_role("button", name="Save draft").click()

    expect(alert(page, f"Draft tender {title} saved.")).to_be_visible()
    expect(page.get_by_test_id("tender-phase")).to_have_text("Draft")
    # Typed in Paul's time zone (Europe/Paris), shown back in it (5 PM in English).
    expect(page.get_by_test_id("deadline")).to_contain_text(re.compile(r"17:00|5:00:00\sPM"))
    expect(page.get_by_test_id("sla-requirements")).to_contain_text("≥ 99 %")
    expect(page.get_by_test_id("sla-requirements")).to_contain_text("≤ 3 days")
    expect(page.get_by_test_id("criteria").locator("tfoot")).to_contain_text("100")
    return re.sub(r"^https?://[^/]+", "", page.url)


def invite_and_publish(page: Page, title: str) -> None:
    page.get_by_role("link", name="Invitations").click()
    candidates = page.get_by_test_id("candidates")
    candidates.get_by_label(ATLAS).check()
    candidates.get_by_label(MERIDIAN).check()
    page.get_by_role("button", name="Invite the ticked vendors").click()
    expect(alert(page, "2 vendors invited.")).to_be_visible()
    expect(page.get_by_test_id("invited")).to_contain_text(ATLAS)
    expect(page.get_by_test_id("invited")).to_contain_text(MERIDIAN)

    page.get_by_role("link", name="Back to the tender").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish").click()
    expect(alert(page, f"{title} is published: vendors can bid.")).to_be_visible()
    expect(page.get_by_test_id("tender-phase")).to_have_text("Open for bids")


# --- Vendors ------------------------------------------------------------------------------


def open_from_marketplace(page: Page, title: str) -> None:
    page.get_by_test_id("nav-marketplace").click()
    row = page.get_by_test_id("marketplace").get_by_role("row").filter(has_text=title)
    expect(row.get_by_test_id("invited")).to_be_visible()
    expect(row.get_by_test_id("client-name")).to_have_text("Northwind Holdings")
    expect(row.get_by_test_id("time-left")).to_have_text("in 2 weeks")
    row.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def bid(
    page: Page,
    *,
    lines: list[tuple[str, str, str]],
    transition: str,
    commitments: dict[str, str],
    location: str,
    location_kind: str,
    total: Decimal,
    weaker: str | None = None,
) -> None:
    """Prepare the bid as a draft, check its projected price, submit it.

    ``lines``: (pricing model, description, unit price) as typed; ``commitments``:
    metric → level; ``weaker``: the metric whose commitment falls short of its target.
    """
    page.get_by_test_id("prepare-bid").click()
    form = page.get_by_test_id("bid-form")
    rows = form.get_by_test_id("price-lines").locator("tbody tr")
    for index, (kind, description, price) in enumerate(lines):
        if index > 0:
            form.get_by_role("button", name="Add a line").click()
            expect(rows).to_have_count(index + 1)
        row = rows.nth(index)
        row.get_by_label("Pricing model").select_option(label=kind)
        row.get_by_label("Description").fill(description)
        row.get_by_label("Unit price").fill(price)
    form.get_by_label("One-off transition cost").fill(transition)
    for metric, level in commitments.items():
        form.get_by_label(f"Your commitment for {metric}").fill(level)
    form.get_by_label("Delivery location").fill(location)
    form.get_by_label("Location kind").select_option(label=location_kind)
    form.get_by_label("Narrative").fill(
        "A dedicated team of twelve, a four-month transition with a parallel run."
    )
    page.get_by_test_id("save-draft").click()

    expect(alert(page, "Draft saved. It is not submitted yet.")).to_be_visible()
    warning = "commitment is weaker than the tender requires"
    flagged = form.get_by_test_id("commitments").get_by_test_id("weaker")
    if weaker is None:
        expect(alert(page, warning)).to_have_count(0)
        expect(flagged).to_have_count(0)
    else:
        expect(alert(page, f"1 {warning}: {weaker}.")).to_be_visible()
        row = form.get_by_test_id("commitments").get_by_role("row").filter(has_text=weaker)
        expect(row.get_by_test_id("weaker")).to_have_text("Weaker than the required target.")
        expect(flagged).to_have_count(1)
    expect(page.get_by_test_id("projected-total")).to_have_text(euros(total))

    page.get_by_test_id("submit-bid").click()
    expect(alert(page, "Your bid is submitted.")).to_be_visible()
    your_bid = page.get_by_test_id("your-bid")
    expect(your_bid.get_by_test_id("bid-status")).to_have_text("Submitted")
    expect(your_bid).to_contain_text(euros(total))


# --- The journey ----------------------------------------------------------------------------


def test_a_tender_is_published_bid_on_by_two_vendors_evaluated_and_awarded(
    page: Page, browser: Browser, live_server: LiveServer
):
    title = f"Accounts payable outsourcing {uuid.uuid4().hex[:8]}"
    question = "Are credit notes part of the 12,350 invoices a month, or counted apart?"
    answer = "Counted apart: about 400 credit notes a month, priced like invoices."

    # 1. Paul writes the tender, invites Atlas and Meridian, and publishes it.
    log_in(page, CLIENT)
    tender_path = write_tender(page, title)
    invite_and_publish(page, title)
    assert title in live_server.last_mail_to(ATLAS_ADMIN)  # "You are invited to bid: …"

    with (
        logged_in(browser, live_server, ATLAS_ADMIN) as atlas,
        logged_in(browser, live_server, MERIDIAN_ADMIN) as meridian,
    ):
        # 2. Atlas finds the tender and asks a question; Paul answers; Meridian reads it.
        open_from_marketplace(atlas, title)
        expect(atlas.get_by_test_id("no-answers")).to_be_visible()
        atlas.get_by_label("Your question").fill(question)
        atlas.get_by_role("button", name="Ask the question").click()
        expect(alert(atlas, "Your question was sent.")).to_be_visible()
        expect(atlas.get_by_test_id("pending-question")).to_contain_text(question)

        page.reload()
        card = page.get_by_test_id("questions").locator(".card").filter(has_text=question)
        expect(card).to_contain_text(f"Asked by {ATLAS}")  # the client may know who asked
        card.get_by_label("Answer", exact=True).fill(answer)
        card.get_by_role("button", name="Publish the answer").click()
        expect(alert(page, "Answer published to every eligible bidder.")).to_be_visible()

        open_from_marketplace(meridian, title)
        answered = meridian.get_by_test_id("answered-question")
        expect(answered).to_contain_text(question)
        expect(answered).to_contain_text(answer)
        expect(answered).not_to_contain_text("asked by your organization")
        expect(meridian.get_by_role("main")).not_to_contain_text("Atlas")

        atlas.reload()
        expect(atlas.get_by_test_id("answered-question")).to_contain_text(answer)
        expect(atlas.get_by_test_id("answered-question")).to_contain_text(
            "asked by your organization"
        )

        # 3. Both vendors bid, at different prices; Meridian commits 98.5 % accuracy
        # where 99 % is required, and is warned.
        bid(
            atlas,
            lines=[
                ("Fixed monthly fee", "Team and SAP licences", "18,500"),
                ("Price per unit", "Per supplier invoice", "1.8575"),
            ],
            transition="45,000",
            commitments={ACCURACY: "99.5", CYCLE_TIME: "3"},
            location="Lisbon, Portugal",
            location_kind="Nearshore",
            total=ATLAS_TOTAL,
        )
        bid(
            meridian,
            lines=[("Price per unit", "Per supplier invoice", "2.9475")],
            transition="60,000",
            commitments={ACCURACY: "98.5", CYCLE_TIME: "2"},
            location="Pune, India",
            location_kind="Offshore",
            total=MERIDIAN_TOTAL,
            weaker=ACCURACY,
        )

        # 4. Before the deadline the bids are sealed, even to the client.
        page.goto(f"{tender_path}/evaluation")
        expect(page.get_by_test_id("sealed")).to_contain_text("Bids are sealed until")
        expect(page.get_by_test_id("matrix")).to_have_count(0)
        expect(page.get_by_role("main")).not_to_contain_text(ATLAS)
        expect(page.get_by_role("main")).not_to_contain_text(MERIDIAN)

        # 5. The clock moves on past the deadline.
        move_deadline_into_the_past(live_server, title)

        # 6. Paul compares the bids, scores them and awards the tender to Atlas.
        page.goto(tender_path)
        expect(page.get_by_test_id("tender-phase")).to_have_text("Closed")
        page.get_by_test_id("compare-bids").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Evaluation of {title}")
        matrix = page.get_by_test_id("matrix")
        atlas_bid = matrix.locator("th[data-bid]").filter(has_text=ATLAS).get_attribute("data-bid")
        meridian_bid = (
            matrix.locator("th[data-bid]").filter(has_text=MERIDIAN).get_attribute("data-bid")
        )
        assert euros(ATLAS_TOTAL) == "€1,536,844.68"  # worked out by hand: see projected_total
        assert euros(MERIDIAN_TOTAL) == "€1,370,458.68"
        expect(page.get_by_test_id(f"total-{atlas_bid}")).to_have_text(euros(ATLAS_TOTAL))
        expect(page.get_by_test_id(f"total-{meridian_bid}")).to_have_text(euros(MERIDIAN_TOTAL))
        accuracy_row = matrix.get_by_role("row").filter(has_text=ACCURACY)
        expect(accuracy_row.locator(f'[data-testid^="sla-{meridian_bid}-"]')).to_contain_text(
            "98.5 % weaker"
        )
        expect(accuracy_row.locator(f'[data-testid^="sla-{atlas_bid}-"]')).to_contain_text(
            "99.5 % met"
        )

        scores = page.get_by_test_id("scores-form")
        for vendor, quality, transition in ((ATLAS, 9, 8), (MERIDIAN, 6, 7)):
            scores.get_by_label(f"Score of {vendor} on {QUALITY}").fill(str(quality))
            scores.get_by_label(f"Score of {vendor} on {TRANSITION}").fill(str(transition))
        scores.get_by_label(f"Comment on {ATLAS}, {QUALITY}").fill("Strong SAP references.")
        scores.get_by_role("button", name="Save my scores").click()
        expect(alert(page, "Your scores were saved.")).to_be_visible()

        # Price points: the cheapest (Meridian) gets the full weight, Atlas weight × cheapest
        # ÷ its own total; Atlas's better scores outweigh its higher price.
        atlas_price = (PRICE_WEIGHT * MERIDIAN_TOTAL / ATLAS_TOTAL).quantize(CENT, ROUND_HALF_UP)
        atlas_points = atlas_price + points(QUALITY_WEIGHT, 9) + points(TRANSITION_WEIGHT, 8)
        meridian_points = PRICE_WEIGHT + points(QUALITY_WEIGHT, 6) + points(TRANSITION_WEIGHT, 7)
        assert (atlas_points, meridian_points) == (Decimal("87.17"), Decimal("78.50"))
        expect(page.get_by_test_id(f"total-points-{atlas_bid}")).to_have_text(f"{atlas_points}")
        expect(page.get_by_test_id(f"total-points-{meridian_bid}")).to_have_text(
            f"{meridian_points}"
        )
        expect(page.get_by_test_id(f"rank-{atlas_bid}")).to_have_text("1")
        expect(page.get_by_test_id(f"rank-{meridian_bid}")).to_have_text("2")

        award = page.get_by_test_id("award-form")
        award.get_by_label("Winning bid").select_option(label=ATLAS)
        reason = "Best quality score; the price gap is offset by the stronger SLAs."
        award.get_by_label("Reason for the award").fill(reason)
        page.once("dialog", lambda dialog: dialog.accept())
        award.get_by_role("button", name="Award", exact=True).click()
        expect(alert(page, f"{title} was awarded to {ATLAS}.")).to_be_visible()
        expect(page.get_by_test_id("award")).to_contain_text(f"Awarded to {ATLAS}")
        expect(page.get_by_test_id("award-reason")).to_have_text(reason)
        expect(page.get_by_test_id("tender-status")).to_have_text("Awarded")

        # 7. Atlas learns it won; Meridian only that it did not, nothing about Atlas's bid.
        atlas.reload()
        expect(atlas.get_by_test_id("outcome")).to_have_text("Awarded: the client chose your bid.")
        atlas.get_by_test_id("nav-my-bids").click()
        row = atlas.get_by_test_id("my-bids").get_by_role("row").filter(has_text=title)
        expect(row.get_by_test_id("outcome")).to_have_text("Awarded")

        meridian.reload()
        expect(meridian.get_by_test_id("outcome")).to_have_text("Not awarded.")
        main = meridian.get_by_role("main")
        expect(main).not_to_contain_text("Atlas")
        expect(main).not_to_contain_text(euros(ATLAS_TOTAL))
        meridian.get_by_test_id("nav-my-bids").click()
        row = meridian.get_by_test_id("my-bids").get_by_role("row").filter(has_text=title)
        expect(row.get_by_test_id("outcome")).to_have_text("Not awarded")
        row.get_by_role("link", name=re.compile("version 1")).click()
        expect(meridian.get_by_test_id("outcome")).to_have_text("Not awarded.")
        expect(meridian.get_by_test_id("history").get_by_test_id("bid-status")).to_have_text(
            "Not awarded"
        )
        expect(meridian.get_by_role("main")).not_to_contain_text("Atlas")

        mail = live_server.last_mail_to(MERIDIAN_ADMIN)
        assert f"{title}: your bid was not selected" in mail
        assert "Atlas" not in mail

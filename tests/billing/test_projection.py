"""The projection before award: each opened bid against the in-house cost over the term, with
the savings pages' measures, and the what-if on volume.

Figures are worked out by hand. The function costs 70,000 a month in-house
(10 FTEs × 60,000 + 60,000 + 36,000 + 24,000 + 120,000 a year, ÷ 12) for
10,000 supplier invoices a month. Atlas asks 30,000 a month + 2.00 per
invoice (50,000 a month at 10,000) and 60,000 of transition; Birch a fixed
52,000 a month and 24,000 of transition. They cost the same a month at
11,000 invoices (30,000 + 2 × 11,000 = 52,000), i.e. +10 %.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest

from billing.models import SavingsSettings
from portal import db
from portal.db import utcnow
from portal.tenancy import organization_context
from tests.statements import counting_statements
from vendors.models import PriceLineKind

FIXED, PER_UNIT = PriceLineKind.FIXED_MONTHLY, PriceLineKind.PER_UNIT


def _tender(
    make, client_org, *, term=12, deadline=None, vendors=("Atlas", "Birch"), name="Accounts payable"
):
    function = make.function(client_org, name=name, monthly_volume=10000)
    vendor_orgs = [make.organization(name=name, kind="vendor") for name in vendors]
    tender = make.tender(
        client_org,
        function,
        status="published",
        invite=vendor_orgs,
        term_months=term,
        bid_deadline=deadline or (utcnow() - timedelta(hours=1)).replace(microsecond=0),
    )
    priced = {
        "Atlas": ([(FIXED, None, D("30000")), (PER_UNIT, None, D("2.00"))], D("60000")),
        "Birch": ([(FIXED, None, D("52000"))], D("24000")),
        "Delta": ([(FIXED, None, D("70000"))], D("0")),
    }
    bids = {
        vendor.name: make.bid(
            vendor,
            tender,
            lines=priced.get(vendor.name, priced["Atlas"])[0],
            transition_cost=priced.get(vendor.name, priced["Atlas"])[1],
        )
        for vendor in vendor_orgs
    }
    return tender, bids


def _settings(client_org, **values):
    with organization_context(client_org.id):
        db.session.add(SavingsSettings(**values))
        db.session.flush()


def _cell(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    start = html.index(">", start) + 1
    return html[start : html.index("<", start)].strip()


def _page(test_client, tender, query=""):
    response = test_client.get(f"/savings/tenders/{tender.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_bid_is_set_against_the_baseline_over_the_term(as_client_finance, make, client_org):
    tender, bids = _tender(make, client_org)
    atlas, birch = bids["Atlas"].id, bids["Birch"].id
    html = _page(as_client_finance, tender)

    # Atlas: 50,000 a month + 60,000 ÷ 12 = 5,000 of transition = 55,000 a month
    # against 70,000: 15,000 saved a month, 15,000 ÷ 70,000 = 21.4 %, 180,000 over 12 months.
    assert _cell(html, f"monthly-{atlas}") == "€50,000.00"
    assert _cell(html, f"first-month-{atlas}") == "€55,000.00"
    assert _cell(html, f"total-{atlas}") == "€660,000.00"
    assert _cell(html, f"baseline-total-{atlas}") == "€840,000.00"
    assert _cell(html, f"saving-month-{atlas}") == "€15,000.00"
    assert _cell(html, f"saving-percent-{atlas}") == "21.4 %"
    assert _cell(html, f"cumulative-{atlas}") == "€180,000.00"
    assert _cell(html, f"break-even-{atlas}") == "month 1"
    # NPV at 8 % a year: Σ 15,000 ÷ 1.08^(t/12), t = 1 … 12 = 172,692.87.
    assert _cell(html, f"npv-{atlas}") == "€172,692.87"

    # Birch: 52,000 + 24,000 ÷ 12 = 54,000 a month; 16,000 saved, 22.9 %, 192,000.
    assert _cell(html, f"first-month-{birch}") == "€54,000.00"
    assert _cell(html, f"total-{birch}") == "€648,000.00"
    assert _cell(html, f"saving-percent-{birch}") == "22.9 %"
    assert _cell(html, f"cumulative-{birch}") == "€192,000.00"
    # Σ 16,000 ÷ 1.08^(t/12), t = 1 … 12 = 184,205.73.
    assert _cell(html, f"npv-{birch}") == "€184,205.73"


def test_transition_up_front_and_inflation_follow_the_clients_settings(
    as_client_finance, make, client_org
):
    _settings(
        client_org,
        yearly_inflation_percent=D("3"),
        discount_rate_percent=D("0"),
        transition_amortised=False,
    )
    tender, bids = _tender(make, client_org, term=24, vendors=("Atlas",))
    atlas = bids["Atlas"].id
    html = _page(as_client_finance, tender)

    # Month 1: 50,000 + 60,000 = 110,000 against 70,000: −40,000; months 2–12 save
    # 20,000 each, so the cumulative saving is −20,000 after month 2 and 0 after month 3.
    assert _cell(html, f"first-month-{atlas}") == "€110,000.00"
    assert _cell(html, f"break-even-{atlas}") == "month 3"
    # Year 2's in-house cost is indexed by 3 %: 72,100 a month, 22,100 saved a month.
    # In-house: 12 × 70,000 + 12 × 72,100 = 1,705,200; projected 50,000 × 24 + 60,000.
    assert _cell(html, f"baseline-total-{atlas}") == "€1,705,200.00"
    assert _cell(html, f"total-{atlas}") == "€1,260,000.00"
    # −40,000 + 11 × 20,000 + 12 × 22,100 = 445,200; ÷ 1,705,200 = 26.1 %.
    assert _cell(html, f"cumulative-{atlas}") == "€445,200.00"
    assert _cell(html, f"saving-percent-{atlas}") == "26.1 %"
    # At a discount rate of 0 the NPV is the plain sum of the savings.
    assert _cell(html, f"npv-{atlas}") == "€445,200.00"


def test_what_if_on_volume_reprices_per_unit_lines_only(as_client_finance, make, client_org):
    tender, bids = _tender(make, client_org)
    atlas, birch = bids["Atlas"].id, bids["Birch"].id
    html = _page(as_client_finance, tender, "?volume=-20")

    assert 'data-testid="volume-changed"' in html
    # 8,000 invoices: Atlas 30,000 + 2 × 8,000 = 46,000; Birch's fixed fee does not move.
    assert _cell(html, f"monthly-{atlas}") == "€46,000.00"
    assert _cell(html, f"monthly-{birch}") == "€52,000.00"
    # The in-house cost stays 70,000: Atlas saves 70,000 − 46,000 − 5,000 = 19,000 a month.
    assert _cell(html, f"baseline-total-{atlas}") == "€840,000.00"
    assert _cell(html, f"saving-month-{atlas}") == "€19,000.00"
    assert '<option value="-20" selected>' in html


def test_an_unknown_volume_change_projects_the_tendered_volume(as_client_finance, make, client_org):
    tender, bids = _tender(make, client_org)
    html = _page(as_client_finance, tender, "?volume=37")
    assert 'data-testid="volume-changed"' not in html
    assert _cell(html, f"monthly-{bids['Atlas'].id}") == "€50,000.00"


def test_volume_steps_mark_the_cheapest_and_say_where_the_ranking_changes(
    as_client_finance, make, client_org
):
    tender, bids = _tender(make, client_org)
    atlas, birch = bids["Atlas"].id, bids["Birch"].id
    html = _page(as_client_finance, tender)

    for change in range(-20, 25, 5):
        assert f'data-testid="step-{change}"' in html
    # −20 %: 46,000 against 52,000, Atlas is the cheaper.
    assert _cell(html, f"step--20-{atlas}") == "€46,000.00"
    assert (
        'data-testid="cheapest"'
        in html.split(f'data-testid="step--20-{atlas}"')[1].split("</td>")[0]
    )
    # +10 %: both at 52,000, both marked; +20 %: Atlas 54,000, Birch the cheaper.
    assert _cell(html, f"step-10-{atlas}") == "€52,000.00"
    assert _cell(html, f"step-20-{atlas}") == "€54,000.00"
    row_20 = html.split('data-testid="step-20"')[1].split("</tr>")[0]
    assert row_20.count('data-testid="cheapest"') == 1
    assert row_20.split(f'data-testid="step-20-{birch}"')[1].count('data-testid="cheapest"') == 1
    row_10 = html.split('data-testid="step-10"')[1].split("</tr>")[0]
    assert row_10.count('data-testid="cheapest"') == 2

    ranking = " ".join(html.split('data-testid="ranking"')[1].split("</div>")[0].split())
    assert (
        "Between +5 % and +15 % of the volume, Birch becomes cheaper a month than Atlas "
        "and the cheapest of all (they cost the same at about 11,000 supplier invoices a month)."
    ) in ranking


def test_one_ranking_throughout_is_said_so(as_client_finance, make, client_org):
    tender, _bids = _tender(make, client_org, vendors=("Atlas", "Cedar"))
    # Cedar is priced as Atlas: equal at every step, nobody overtakes anybody.
    html = _page(as_client_finance, tender)
    assert "The ranking by monthly price stays the same" in html


def test_a_crossing_beyond_the_steps_is_said_too(as_client_finance, make, client_org):
    # Atlas (30,000 + 2.00 per invoice) meets Delta's fixed 70,000 at 20,000 invoices: +100 %.
    tender, _bids = _tender(make, client_org, vendors=("Atlas", "Delta"))
    html = _page(as_client_finance, tender)
    assert "The ranking by monthly price stays the same" in html
    far = " ".join(html.split('data-testid="far-crossing">')[1].split("</p>")[0].split())
    assert far == (
        "Beyond that range, Atlas and Delta would cost the same a month at about 20,000 "
        "supplier invoices (+100 % of the tendered volume): Atlas is the cheaper of the two "
        "below it, Delta above it."
    )


def test_bids_are_sealed_before_the_deadline(as_client_finance, make, client_org):
    tender, _bids = _tender(make, client_org, deadline=utcnow() + timedelta(days=3))
    html = _page(as_client_finance, tender)
    assert 'data-testid="sealed"' in html
    assert "Atlas" not in html
    assert "Birch" not in html
    assert "€50,000.00" not in html


@pytest.mark.parametrize("who", ["as_vendor_admin", "as_other_client_admin"])
def test_nobody_but_the_tenders_client_reaches_the_projection(request, who, make, client_org):
    tender, _bids = _tender(make, client_org)
    response = request.getfixturevalue(who).get(f"/savings/tenders/{tender.id}")
    assert response.status_code == 404


def test_a_bidder_gets_404_on_the_projection(login, make, client_org):
    tender, bids = _tender(make, client_org)
    bidder = bids["Atlas"].vendor
    person = make.member(bidder, "admin")
    response = login(person, bidder).get(f"/savings/tenders/{tender.id}")
    assert response.status_code == 404


def test_the_statement_count_does_not_grow_with_bids_or_months(
    app, as_client_finance, make, client_org
):
    small, _ = _tender(make, client_org, term=12, vendors=("Atlas",))
    large, _ = _tender(
        make,
        client_org,
        term=48,
        vendors=("Birch", "Cedar", "Delta", "Echo", "Foxtrot"),
        name="Payroll",
    )

    counts = []
    for tender in (small, large):
        as_client_finance.get(f"/savings/tenders/{tender.id}")  # warm the caches
        with counting_statements(app) as statements:
            assert as_client_finance.get(f"/savings/tenders/{tender.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]

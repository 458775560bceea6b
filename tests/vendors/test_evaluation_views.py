"""The evaluation pages: the matrix, scoring, the client's view of one bid, the award.

Who may see them (the tender's own client, after the deadline, never a draft
bid), what a viewer may not do, bad input kept and named, duplicates applied once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.models import OrganizationKind
from tests.statements import counting_statements
from tests.vendors.test_evaluation_operations import (
    _people,
    events,
    notifications_of,
    read,
    scenario,
)
from vendors.models import Bid, BidScore, BidStatus, Tender, TenderStatus


@pytest.fixture
def case(make, client_org):
    return scenario(make, client_org)


@pytest.fixture
def sealed(make, client_org):
    return scenario(make, client_org, deadline=utcnow() + timedelta(days=3))


def _url(case, suffix=""):
    return f"/tenders/{case.tender.id}{suffix}"


def _scores_form(case, cells):
    """The score sheet as the browser sends it: ``cells`` is [(bid, score, comment)]."""
    data = {}
    for index, (bid, score, comment) in enumerate(cells):
        data[f"scores-{index}-bid_id"] = str(bid.id)
        data[f"scores-{index}-criterion_id"] = str(case.quality.id)
        data[f"scores-{index}-score"] = score
        data[f"scores-{index}-comment"] = comment
    return data


def _tender(case):
    [tender] = read(case.client, select(Tender).where(Tender.id == case.tender.id))
    return tender


def _statuses(case):
    bids = read(case.client, select(Bid).where(Bid.tender_id == case.tender.id))
    return {bid.vendor.name: bid.status for bid in bids}


# --- The matrix -----------------------------------------------------------------------


def test_the_matrix_compares_every_submitted_bid(as_client_admin, case):
    response = as_client_admin.get(_url(case, "/evaluation"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("Atlas", "Birch", "Cedar"):
        assert name in html
    assert f'data-testid="total-{case.atlas.id}">€2,000,000.00<' in html
    assert f'data-testid="total-{case.cedar.id}">€4,000,000.00<' in html
    assert f'data-testid="points-{case.birch.id}-{case.price.id}">' in html
    assert "48.00" in html
    assert f'data-testid="saving-month-{case.atlas.id}">€14,444.44<' in html
    assert f'data-testid="saving-percent-{case.cedar.id}">-58.7 %<' in html
    assert "weaker" in html
    assert 'data-testid="scores-form"' in html
    assert f'action="/tenders/{case.tender.id}/award"' in html


def test_before_the_deadline_the_page_says_sealed_and_shows_no_bid(as_client_admin, sealed):
    response = as_client_admin.get(_url(sealed, "/evaluation"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="sealed"' in html
    assert "Bids are sealed until" in html
    for name in ("Atlas", "Birch", "Cedar"):
        assert name not in html
    assert f"/bids/{sealed.atlas.id}" not in html
    assert 'data-testid="matrix"' not in html
    assert "scores-form" not in html


def test_a_viewer_reads_the_matrix_without_forms(as_client_viewer, case):
    html = as_client_viewer.get(_url(case, "/evaluation")).get_data(as_text=True)
    assert 'data-testid="matrix"' in html
    assert "scores-form" not in html
    assert "/award" not in html


def test_finance_scores_but_does_not_award(as_client_finance, case):
    html = as_client_finance.get(_url(case, "/evaluation")).get_data(as_text=True)
    assert 'data-testid="scores-form"' in html
    assert "/award" not in html
    response = as_client_finance.post(
        _url(case, "/award"), data={"bid_id": case.atlas.id, "reason": "Cheapest"}
    )
    assert response.status_code == 403


def test_viewer_cannot_score_or_award(as_client_viewer, case):
    assert (
        as_client_viewer.post(
            _url(case, "/evaluation/scores"), data=_scores_form(case, [(case.atlas, "8", "")])
        ).status_code
        == 403
    )
    response = as_client_viewer.post(
        _url(case, "/award"), data={"bid_id": case.atlas.id, "reason": "Cheapest"}
    )
    assert response.status_code == 403
    assert _tender(case).status == TenderStatus.PUBLISHED


def _client_pages(case):
    attachment_bid = case.atlas
    return [
        ("GET", _url(case, "/evaluation")),
        ("POST", _url(case, "/evaluation/scores")),
        ("GET", _url(case, f"/bids/{attachment_bid.id}")),
        ("POST", _url(case, "/award")),
    ]


def test_a_vendor_gets_404_on_the_client_pages(make, login, case):
    # Even the bidder itself, and even a vendor that is a client too.
    for kind in ("vendor", "both"):
        vendor = case.atlas.vendor
        vendor.kind = OrganizationKind(kind)
        browser = login(make.member(vendor, "admin"), vendor)
        attachment = make.attachment(case.atlas)
        pages = [
            *_client_pages(case),
            ("GET", _url(case, f"/bids/{case.atlas.id}/attachments/{attachment.id}")),
        ]
        for method, url in pages:
            response = browser.open(url, method=method, data={"bid_id": case.atlas.id})
            assert response.status_code == 404, (kind, method, url)


def test_another_client_gets_404(as_other_client_admin, make, case):
    attachment = make.attachment(case.atlas)
    pages = [
        *_client_pages(case),
        ("GET", _url(case, f"/bids/{case.atlas.id}/attachments/{attachment.id}")),
    ]
    for method, url in pages:
        response = as_other_client_admin.open(url, method=method, data={"bid_id": case.atlas.id})
        assert response.status_code == 404, (method, url)


def test_the_matrix_statements_do_not_grow_with_bids(app, make, login, client_org, client_admin):
    def page_statements(count: int) -> int:
        names = ("Atlas", "Birch", "Cedar", *(f"Vendor {count}-{n}" for n in range(count - 3)))
        names = names[:count]
        case = scenario(make, client_org, vendor_names=names)
        evaluator = make.member(client_org, "finance")
        browser = login(client_admin, client_org)
        for bid in read(client_org, select(Bid).where(Bid.tender_id == case.tender.id)):
            make.attachment(bid)
        browser.post(
            _url(case, "/evaluation/scores"),
            data=_scores_form(case, [(case.atlas, "7", "ok"), (case.birch, "6", "")]),
        )
        login(evaluator, client_org).post(
            _url(case, "/evaluation/scores"), data=_scores_form(case, [(case.atlas, "5", "")])
        )
        browser.get(_url(case, "/evaluation"))  # warm caches (templates, sessions)
        with counting_statements(app) as statements:
            response = browser.get(_url(case, "/evaluation"))
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('scope="col" data-bid=') == count
        return len(statements)

    assert page_statements(2) == page_statements(12)


# --- Scoring --------------------------------------------------------------------------


def test_scoring_saves_and_shows_the_evaluators_own_scores(as_client_admin, case):
    response = as_client_admin.post(
        _url(case, "/evaluation/scores"),
        data=_scores_form(case, [(case.atlas, "8", "Clear plan"), (case.birch, "6", "")]),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(case, "/evaluation"))
    html = as_client_admin.get(_url(case, "/evaluation")).get_data(as_text=True)
    assert "Your scores were saved." in html
    assert f'data-testid="own-{case.atlas.id}-{case.quality.id}">your score: 8<' in html
    assert "Clear plan" in html
    assert "1 evaluator has scored" in html
    # 40 × 8 ÷ 10 = 32.
    assert f'data-testid="points-{case.atlas.id}-{case.quality.id}">\n' in html or "32.00" in html


def test_the_same_scores_posted_twice_are_saved_once(as_client_admin, case):
    data = _scores_form(case, [(case.atlas, "8", "Clear plan")])
    assert as_client_admin.post(_url(case, "/evaluation/scores"), data=data).status_code == 302
    assert as_client_admin.post(_url(case, "/evaluation/scores"), data=data).status_code == 302
    assert len(read(case.client, select(BidScore))) == 1
    assert len(events(case.client, "tender.scored")) == 1


@pytest.mark.parametrize("typed", ["11", "lots", "7.5"])
def test_a_bad_score_keeps_what_was_typed_and_names_the_cell(as_client_admin, case, typed):
    response = as_client_admin.post(
        _url(case, "/evaluation/scores"),
        data=_scores_form(case, [(case.atlas, typed, "Kept comment"), (case.birch, "6", "")]),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'value="{typed}"' in html
    assert "Kept comment" in html
    assert 'data-field="scores-0-score"' in html
    assert 'data-field="scores-1-score"' not in html
    assert read(case.client, select(BidScore)) == []


def test_a_comment_without_a_score_is_named(as_client_admin, case):
    response = as_client_admin.post(
        _url(case, "/evaluation/scores"),
        data=_scores_form(case, [(case.atlas, "", "Kept comment")]),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="scores-0-comment"' in html
    assert "Give a score with the comment." in html


def test_a_score_for_another_tenders_bid_is_refused(as_client_admin, make, client_org, case):
    other = scenario(make, client_org, vendor_names=("Delta", "Echo", "Fox"))
    response = as_client_admin.post(
        _url(case, "/evaluation/scores"), data=_scores_form(case, [(other.atlas, "9", "")])
    )
    assert response.status_code == 400
    assert "Score only the bids of this tender" in response.get_data(as_text=True)
    assert read(case.client, select(BidScore)) == []


def test_scoring_before_the_deadline_is_refused(as_client_admin, sealed):
    response = as_client_admin.post(
        _url(sealed, "/evaluation/scores"), data=_scores_form(sealed, [(sealed.atlas, "9", "")])
    )
    assert response.status_code == 302
    html = as_client_admin.get(_url(sealed, "/evaluation")).get_data(as_text=True)
    assert "Bids stay sealed until" in html
    assert read(sealed.client, select(BidScore)) == []


# --- One bid, as the client reads it --------------------------------------------------


def test_the_client_reads_a_submitted_bid_after_the_deadline(as_client_admin, make, case):
    make.attachment(case.cedar, filename="approach.pdf")
    response = as_client_admin.get(_url(case, f"/bids/{case.cedar.id}"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bid of Cedar" in html
    # 5.00 × 12,000 units = 60,000 a month.
    assert "€60,000.00" in html
    assert 'data-testid="projected-total">€4,000,000.00<' in html
    assert "Invoice processing accuracy" in html
    assert "We run this for twenty clients." in html
    assert "Lisbon, Portugal" in html
    assert "approach.pdf" in html


def test_the_attachment_downloads_as_a_pdf(as_client_admin, make, case):
    attachment = make.attachment(case.atlas, filename="approach.pdf")
    response = as_client_admin.get(_url(case, f"/bids/{case.atlas.id}/attachments/{attachment.id}"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "approach.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF")


def test_an_attachment_of_another_bid_is_404_through_this_bid(as_client_admin, make, case):
    attachment = make.attachment(case.birch)
    response = as_client_admin.get(_url(case, f"/bids/{case.atlas.id}/attachments/{attachment.id}"))
    assert response.status_code == 404


def test_a_bid_of_another_tender_is_404_through_this_tender(
    as_client_admin, make, client_org, case
):
    other = scenario(make, client_org, vendor_names=("Delta", "Echo", "Fox"))
    assert as_client_admin.get(_url(case, f"/bids/{other.atlas.id}")).status_code == 404


def test_the_client_gets_404_on_a_bid_before_the_deadline(as_client_admin, make, sealed):
    attachment = make.attachment(sealed.atlas)
    assert as_client_admin.get(_url(sealed, f"/bids/{sealed.atlas.id}")).status_code == 404
    response = as_client_admin.get(
        _url(sealed, f"/bids/{sealed.atlas.id}/attachments/{attachment.id}")
    )
    assert response.status_code == 404


def test_a_draft_bid_is_never_visible_even_after_the_deadline(as_client_admin, make, case):
    late = make.organization(name="Drafty", kind="vendor")
    draft = make.bid(late, case.tender, status="draft")
    attachment = make.attachment(draft)
    assert as_client_admin.get(_url(case, f"/bids/{draft.id}")).status_code == 404
    response = as_client_admin.get(_url(case, f"/bids/{draft.id}/attachments/{attachment.id}"))
    assert response.status_code == 404
    assert "Drafty" not in as_client_admin.get(_url(case, "/evaluation")).get_data(as_text=True)
    response = as_client_admin.post(
        _url(case, "/award"), data={"bid_id": draft.id, "reason": "Sneaky"}
    )
    assert response.status_code == 404
    assert _tender(case).status == TenderStatus.PUBLISHED


# --- The award ------------------------------------------------------------------------


def test_award_from_the_page_then_the_page_shows_it(as_client_admin, client_admin, case):
    response = as_client_admin.post(
        _url(case, "/award"), data={"bid_id": str(case.birch.id), "reason": "Best service."}
    )
    assert response.status_code == 302
    assert _statuses(case) == {
        "Atlas": BidStatus.NOT_AWARDED,
        "Birch": BidStatus.AWARDED,
        "Cedar": BidStatus.NOT_AWARDED,
    }
    html = as_client_admin.get(_url(case, "/evaluation")).get_data(as_text=True)
    assert "was awarded to Birch" in html
    assert 'data-testid="award"' in html
    assert "Awarded to Birch" in html
    assert 'data-testid="award-reason">Best service.<' in html
    assert client_admin.full_name in html
    # The matrix stays readable; the forms are gone.
    assert 'data-testid="matrix"' in html
    assert "scores-form" not in html
    assert f'action="/tenders/{case.tender.id}/award"' not in html
    # The bids stay readable too.
    assert as_client_admin.get(_url(case, f"/bids/{case.atlas.id}")).status_code == 200


def test_the_vendors_audit_log_does_not_keep_the_clients_address(as_client_admin, case):
    as_client_admin.post(_url(case, "/award"), data={"bid_id": case.atlas.id, "reason": "Best"})
    [client_event] = events(case.client, "tender.awarded")
    [vendor_event] = events(case.atlas.vendor, "bid.awarded")
    assert client_event.ip_address is not None
    assert vendor_event.ip_address is None
    assert vendor_event.api_token_id is None


def test_the_same_award_posted_twice_is_applied_once(as_client_admin, case):
    data = {"bid_id": str(case.atlas.id), "reason": "Cheapest and strong."}
    assert as_client_admin.post(_url(case, "/award"), data=data).status_code == 302
    response = as_client_admin.post(_url(case, "/award"), data=data)
    assert response.status_code == 302
    html = as_client_admin.get(_url(case, "/evaluation")).get_data(as_text=True)
    assert "This tender has already been awarded." in html
    assert len(events(case.client, "tender.awarded")) == 1
    winner_admin, _viewer = _people(case.atlas.vendor)
    assert len(notifications_of(winner_admin)) == 1


def test_a_second_award_of_another_bid_is_refused(as_client_admin, case):
    as_client_admin.post(_url(case, "/award"), data={"bid_id": case.atlas.id, "reason": "First"})
    as_client_admin.post(_url(case, "/award"), data={"bid_id": case.birch.id, "reason": "Second"})
    tender = _tender(case)
    assert tender.awarded_bid_id == case.atlas.id
    assert tender.award_reason == "First"
    assert _statuses(case)["Birch"] == BidStatus.NOT_AWARDED


def test_award_without_a_reason_keeps_the_choice_and_names_the_field(as_client_admin, case):
    response = as_client_admin.post(
        _url(case, "/award"), data={"bid_id": str(case.cedar.id), "reason": "  "}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="reason"' in html
    assert f'<option selected value="{case.cedar.id}">' in html
    assert _tender(case).status == TenderStatus.PUBLISHED


def test_award_without_a_bid_names_the_field(as_client_admin, case):
    response = as_client_admin.post(_url(case, "/award"), data={"bid_id": "", "reason": "Kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="bid_id"' in html
    assert "Kept</textarea>" in html


def test_award_before_the_deadline_finds_no_bid(as_client_admin, sealed):
    response = as_client_admin.post(
        _url(sealed, "/award"), data={"bid_id": sealed.atlas.id, "reason": "Too early"}
    )
    assert response.status_code == 404
    assert _tender(sealed).status == TenderStatus.PUBLISHED
    with_vendor = read(sealed.atlas.vendor, select(Bid).where(Bid.id == sealed.atlas.id))
    assert with_vendor[0].status == BidStatus.SUBMITTED

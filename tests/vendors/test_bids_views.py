"""The vendor side's pages: marketplace, tender, questions, the bid form, attachments,
our bids; and what another vendor or a client can never reach through them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import AuditEvent
from portal.tenancy import organization_context
from tests.statements import counting_statements
from vendors.models import (
    Bid,
    BidStatus,
    ClarificationQuestion,
    TenderAddendum,
    TenderInvitation,
)


@pytest.fixture
def tender(make, client_org, vendor_org):
    function = make.function(client_org, name="Payables", catalogue_key="accounts_payable")
    return make.tender(
        client_org,
        function,
        status="published",
        invite=[vendor_org],
        title="Payables for Northwind",
        bid_deadline=(utcnow() + timedelta(days=10)).replace(microsecond=0),
    )


@pytest.fixture
def rival(make):
    return make.organization(name="Meridian Services", kind="vendor")


@pytest.fixture
def as_rival(make, login, rival):
    return login(make.member(rival, "admin"), rival)


@pytest.fixture
def as_vendor_viewer(make, login, vendor_org):
    return login(make.member(vendor_org, "viewer"), vendor_org)


def form_data(tender, **overrides) -> dict:
    data = {
        "price_lines-0-kind": "fixed_monthly",
        "price_lines-0-description": "Run the function",
        "price_lines-0-quantity": "",
        "price_lines-0-unit_price": "40000",
        "price_lines-1-kind": "per_fte",
        "price_lines-1-description": "Specialists",
        "price_lines-1-quantity": "2.5",
        "price_lines-1-unit_price": "3000",
        "price_lines-2-kind": "fixed_monthly",
        "price_lines-2-description": "",
        "price_lines-2-quantity": "",
        "price_lines-2-unit_price": "",
        "transition_cost": "60000",
        "commitments-0": "99.5",
        "delivery_location": "Porto, Portugal",
        "location_kind": "nearshore",
        "narrative": "Our team has run payables for twenty clients.",
    }
    data.update(overrides)
    return data


def vendor_bids(org, tender) -> list[Bid]:
    db.session.expire_all()
    with organization_context(org.id):
        statement = select(Bid).where(Bid.tender_id == tender.id).order_by(Bid.version)
        return list(db.session.scalars(statement))


def vendor_actions(org, action: str) -> int:
    with organization_context(org.id):
        statement = select(AuditEvent).where(AuditEvent.action == action)
        return len(db.session.scalars(statement).all())


# --- The marketplace ------------------------------------------------------------------


def test_the_marketplace_shows_what_the_vendor_may_bid_on(
    make, as_vendor_admin, client_org, other_client_org, vendor_org, rival, tender
):
    open_tender = make.tender(other_client_org, status="published", visibility="open")
    invited_elsewhere = make.tender(client_org, status="published", invite=[rival])
    draft = make.tender(client_org, visibility="open", invite=[vendor_org])
    make.bid(vendor_org, tender, status="draft")

    page = as_vendor_admin.get("/marketplace")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-testid="tender-{tender.id}"' in html
    assert f'data-testid="tender-{open_tender.id}"' in html
    assert f'data-testid="tender-{invited_elsewhere.id}"' not in html
    assert f'data-testid="tender-{draft.id}"' not in html
    assert "Northwind Holdings" in html
    assert 'data-testid="invited"' in html
    assert 'data-status="draft"' in html
    assert 'data-testid="time-left"' in html


def test_the_marketplace_lists_open_tenders_first_and_filters(
    make, as_vendor_admin, client_org, vendor_org, tender
):
    soon = make.tender(
        client_org,
        make.function(client_org, name="Payroll", catalogue_key="payroll"),
        status="published",
        visibility="open",
        location_preference="offshore",
        bid_deadline=utcnow() + timedelta(days=3),
    )
    closed = make.tender(
        client_org,
        status="published",
        visibility="open",
        bid_deadline=utcnow() - timedelta(days=1),
    )

    def listed(query: str = "") -> list[int]:
        html = as_vendor_admin.get("/marketplace" + query).get_data(as_text=True)
        ids = [soon.id, tender.id, closed.id]
        positions = {i: html.find(f'data-testid="tender-{i}"') for i in ids}
        return [i for i in sorted(ids, key=positions.get) if positions[i] >= 0]

    assert listed() == [soon.id, tender.id]
    assert listed("?deadline=all") == [soon.id, tender.id, closed.id]
    assert listed("?deadline=7") == [soon.id]
    assert listed("?deadline=30") == [soon.id, tender.id]
    assert listed("?function=accounts_payable") == [tender.id]
    assert listed("?location=offshore") == [soon.id]
    assert listed("?invited=y") == [tender.id]
    # Values outside the choices are ignored, not errors.
    assert listed("?deadline=forever&function=nonsense") == [soon.id, tender.id]


def test_the_marketplace_does_not_grow_statements_with_tenders(
    app, make, as_vendor_admin, client_org, vendor_org
):
    def statements_for(count: int) -> int:
        for _ in range(count):
            tender = make.tender(client_org, status="published", invite=[vendor_org])
            make.bid(vendor_org, tender, status="draft")
        as_vendor_admin.get("/marketplace")  # warm up
        with counting_statements(app) as statements:
            assert as_vendor_admin.get("/marketplace").status_code == 200
        return len(statements)

    few = statements_for(3)
    many = statements_for(27)
    assert many == few


def test_our_bids_does_not_grow_statements_with_bids(
    app, make, as_vendor_admin, client_org, vendor_org
):
    def statements_for(count: int) -> int:
        for _ in range(count):
            tender = make.tender(client_org, status="published", invite=[vendor_org])
            make.bid(vendor_org, tender)
        with counting_statements(app) as statements:
            assert as_vendor_admin.get("/bids").status_code == 200
        return len(statements)

    assert statements_for(3) == statements_for(27)


# --- The tender page and questions ----------------------------------------------------


def test_the_tender_page_shows_terms_addenda_and_answers_without_askers(
    make, as_vendor_admin, client_org, vendor_org, rival, tender
):
    rival_question = make.question(rival, tender, "Rival asks about volumes?", answer="Stable.")
    own_answered = make.question(vendor_org, tender, "Is VAT included?", answer="No.")
    own_pending = make.question(vendor_org, tender, "Can we visit the site?")
    rival_pending = make.question(rival, tender, "Rival secret question?")
    db.session.add(
        TenderAddendum(
            tender_id=tender.id,
            number=1,
            summary="Volumes revised",
            changes={"monthly_volume": ["12000", "14000"]},
        )
    )
    page = as_vendor_admin.get(f"/marketplace/{tender.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Invoice processing accuracy" in html
    assert "Quality of approach" in html
    assert "Addendum 1" in html and "14,000" in html
    assert rival_question.question in html
    assert own_answered.question in html
    assert own_pending.question in html
    assert rival_pending.question not in html
    assert html.count("asked by your organization") == 1
    assert rival.name not in html


def test_the_outcome_says_awarded_or_not_and_nothing_else(
    make, login, client_org, vendor_org, rival, tender
):
    db.session.add(
        TenderInvitation(
            organization_id=client_org.id, tender_id=tender.id, vendor_organization_id=rival.id
        )
    )
    winner = make.bid(rival, tender, status="awarded")
    loser = make.bid(vendor_org, tender, status="not_awarded")
    tender.status = "awarded"
    tender.awarded_bid_id = winner.id
    tender.award_reason = "Best value by far"
    browser = login(make.member(vendor_org, "viewer"), vendor_org)
    html = browser.get(f"/marketplace/{tender.id}").get_data(as_text=True)
    assert 'data-testid="outcome"' in html
    assert "Not awarded" in html
    assert rival.name not in html
    assert "Best value by far" not in html
    assert f"/bids/{winner.id}" not in html
    assert f"/bids/{loser.id}" in html
    rival_html = (
        login(make.member(rival, "viewer"), rival)
        .get(f"/marketplace/{tender.id}")
        .get_data(as_text=True)
    )
    assert "Awarded: the client chose your bid." in rival_html
    assert vendor_org.name not in rival_html


def test_ask_a_question_once_even_when_sent_twice(as_vendor_admin, vendor_org, tender):
    response = as_vendor_admin.post(
        f"/marketplace/{tender.id}/questions", data={"question": "Is VAT included?"}
    )
    assert response.status_code == 302
    again = as_vendor_admin.post(
        f"/marketplace/{tender.id}/questions",
        data={"question": "Is VAT included?"},
        follow_redirects=True,
    )
    assert again.status_code == 200
    assert "already asked this question" in again.get_data(as_text=True)
    with organization_context(vendor_org.id):
        questions = db.session.scalars(select(ClarificationQuestion)).all()
    assert [q.question for q in questions] == ["Is VAT included?"]


def test_an_empty_question_keeps_the_page_and_names_the_error(as_vendor_admin, tender):
    response = as_vendor_admin.post(f"/marketplace/{tender.id}/questions", data={"question": ""})
    assert response.status_code == 400
    assert 'data-field="question"' in response.get_data(as_text=True)


def test_a_question_after_the_deadline_is_refused_and_kept(as_vendor_admin, tender):
    with freeze_time(tender.bid_deadline):
        response = as_vendor_admin.post(
            f"/marketplace/{tender.id}/questions", data={"question": "Still there?"}
        )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Still there?" in html
    assert "Questions close with the bids, at the deadline." in html


# --- The bid form ---------------------------------------------------------------------


def test_a_new_bid_form_is_empty_and_shows_the_required_target(as_vendor_admin, tender):
    page = as_vendor_admin.get(f"/marketplace/{tender.id}/bid")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "≥ 99" in html
    assert "higher is better" in html
    assert 'name="price_lines-0-unit_price"' in html


def test_saving_creates_the_draft_and_shows_the_projection(as_vendor_admin, vendor_org, tender):
    response = as_vendor_admin.post(f"/marketplace/{tender.id}/bid", data=form_data(tender))
    assert response.status_code == 302
    [bid] = vendor_bids(vendor_org, tender)
    assert bid.status == BidStatus.DRAFT
    assert [(line.kind.value, line.quantity) for line in bid.price_lines] == [
        ("fixed_monthly", None),
        ("per_fte", Decimal("2.50")),
    ]
    assert bid.transition_cost == Decimal("60000")
    page = as_vendor_admin.get(f"/marketplace/{tender.id}/bid").get_data(as_text=True)
    # 40,000 + 2.5 × 3,000 = 47,500 a month; × 36 + 60,000 = 1,770,000.
    assert "47,500.00" in page
    assert "1,770,000.00" in page
    assert "Our team has run payables" in page


def test_form_errors_keep_what_was_typed(as_vendor_admin, vendor_org, tender):
    data = form_data(
        tender,
        **{"price_lines-1-quantity": "", "transition_cost": "lots", "narrative": "Kept text"},
    )
    response = as_vendor_admin.post(f"/marketplace/{tender.id}/bid", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-field="price_lines-1-quantity"' in html
    assert "Enter the number of FTEs." in html
    assert 'data-field="transition_cost"' in html
    assert 'value="lots"' in html
    assert "Kept text" in html
    assert 'value="Specialists"' in html
    assert vendor_bids(vendor_org, tender) == []


def test_a_weaker_commitment_is_saved_with_a_warning(as_vendor_admin, vendor_org, tender):
    response = as_vendor_admin.post(
        f"/marketplace/{tender.id}/bid",
        data=form_data(tender, **{"commitments-0": "97"}),
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "weaker than the tender requires" in html
    assert 'data-testid="weaker"' in html
    [bid] = vendor_bids(vendor_org, tender)
    assert bid.sla_commitments[0].committed == Decimal("97")


def test_submit_then_a_second_click_is_applied_once(as_vendor_admin, vendor_org, tender):
    as_vendor_admin.post(f"/marketplace/{tender.id}/bid", data=form_data(tender))
    first = as_vendor_admin.post(f"/marketplace/{tender.id}/bid/submit")
    second = as_vendor_admin.post(f"/marketplace/{tender.id}/bid/submit", follow_redirects=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "already submitted" in second.get_data(as_text=True)
    [bid] = vendor_bids(vendor_org, tender)
    assert bid.status == BidStatus.SUBMITTED
    assert vendor_actions(vendor_org, "bid.submitted") == 1


def test_a_submitted_bid_form_redirects_to_the_tender(as_vendor_admin, make, vendor_org, tender):
    make.bid(vendor_org, tender)
    response = as_vendor_admin.get(f"/marketplace/{tender.id}/bid")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/marketplace/{tender.id}")
    refused = as_vendor_admin.post(f"/marketplace/{tender.id}/bid", data=form_data(tender))
    assert refused.status_code == 400
    assert "Replace it" in refused.get_data(as_text=True)


def test_replace_then_submit_keeps_history(as_vendor_admin, make, vendor_org, tender):
    first = make.bid(vendor_org, tender)
    response = as_vendor_admin.post(f"/marketplace/{tender.id}/bid/replace")
    assert response.headers["Location"].endswith(f"/marketplace/{tender.id}/bid")
    page = as_vendor_admin.get(f"/marketplace/{tender.id}/bid").get_data(as_text=True)
    assert 'data-testid="replacing"' in page
    as_vendor_admin.post(
        f"/marketplace/{tender.id}/bid", data=form_data(tender, narrative="Second thoughts")
    )
    as_vendor_admin.post(f"/marketplace/{tender.id}/bid/submit")
    bids = vendor_bids(vendor_org, tender)
    assert [(b.version, b.status) for b in bids] == [
        (1, BidStatus.SUPERSEDED),
        (2, BidStatus.SUBMITTED),
    ]
    history = as_vendor_admin.get(f"/bids/{bids[1].id}").get_data(as_text=True)
    assert f'href="/bids/{first.id}"' in history
    assert "Second thoughts" in history


def test_withdraw_from_the_tender_page(as_vendor_admin, make, vendor_org, tender):
    bid = make.bid(vendor_org, tender)
    response = as_vendor_admin.post(
        f"/marketplace/{tender.id}/bid/withdraw", data={"bid_id": bid.id}
    )
    assert response.status_code == 302
    again = as_vendor_admin.post(
        f"/marketplace/{tender.id}/bid/withdraw", data={"bid_id": bid.id}, follow_redirects=True
    )
    assert "already withdrawn" in again.get_data(as_text=True)
    assert [b.status for b in vendor_bids(vendor_org, tender)] == [BidStatus.WITHDRAWN]


def test_an_addendum_reopened_bid_shows_the_banner_until_submitted_again(
    as_vendor_admin, make, vendor_org, tender
):
    addendum = TenderAddendum(tender_id=tender.id, number=2, summary="New volumes", changes={})
    db.session.add(addendum)
    db.session.flush()
    make.bid(vendor_org, tender, status="draft", reopened_by_addendum_id=addendum.id)
    html = as_vendor_admin.get(f"/marketplace/{tender.id}").get_data(as_text=True)
    assert "Addendum 2 changed the terms: review and submit again." in html
    assert as_vendor_admin.post(f"/marketplace/{tender.id}/bid/submit").status_code == 302
    html = as_vendor_admin.get(f"/marketplace/{tender.id}").get_data(as_text=True)
    assert "review and submit again" not in html


def test_after_the_deadline_the_bid_is_read_only(as_vendor_admin, make, vendor_org, tender):
    bid = make.bid(vendor_org, tender, status="draft")
    with freeze_time(tender.bid_deadline + timedelta(seconds=1)):
        page = as_vendor_admin.get(f"/marketplace/{tender.id}/bid")
        assert page.status_code == 302
        tender_page = as_vendor_admin.get(f"/marketplace/{tender.id}").get_data(as_text=True)
        assert 'data-testid="frozen"' in tender_page
        assert 'data-testid="submit-bid"' not in tender_page
        refused = as_vendor_admin.post(f"/marketplace/{tender.id}/bid", data=form_data(tender))
        assert refused.status_code == 400
        assert "deadline has passed" in refused.get_data(as_text=True)
        submit = as_vendor_admin.post(f"/marketplace/{tender.id}/bid/submit", follow_redirects=True)
        assert "deadline has passed" in submit.get_data(as_text=True)
    assert vendor_bids(vendor_org, tender)[0].status == BidStatus.DRAFT
    assert bid.id


# --- Attachments ----------------------------------------------------------------------


def _upload(browser, bid, content: bytes, name: str = "approach.pdf", mimetype="application/pdf"):
    import io

    return browser.post(
        f"/bids/{bid.id}/attachments",
        data={"file": (io.BytesIO(content), name, mimetype)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_upload_download_and_delete_a_pdf(as_vendor_admin, make, vendor_org, tender):
    bid = make.bid(vendor_org, tender, status="draft")
    content = make.minimal_pdf()
    response = _upload(as_vendor_admin, bid, content, name="../Our offer.pdf")
    assert response.status_code == 200
    assert "Our_offer.pdf is attached." in response.get_data(as_text=True)
    db.session.expire_all()
    [attachment] = bid.attachments
    download = as_vendor_admin.get(f"/bids/{bid.id}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == content
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Our_offer.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    delete = as_vendor_admin.post(f"/bids/{bid.id}/attachments/{attachment.id}/delete")
    assert delete.status_code == 302
    db.session.expire_all()
    assert bid.attachments == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "picture.pdf"),
        (b"plain text", "notes.pdf"),
        (b"", "empty.pdf"),
    ],
    ids=["renamed PNG", "text file", "empty file"],
)
def test_an_upload_that_is_not_a_pdf_is_refused(
    as_vendor_admin, make, vendor_org, tender, content, name
):
    bid = make.bid(vendor_org, tender, status="draft")
    response = _upload(as_vendor_admin, bid, content, name=name)
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    db.session.expire_all()
    assert bid.attachments == []


def test_an_oversized_upload_is_refused(
    app, monkeypatch, as_vendor_admin, make, vendor_org, tender
):
    bid = make.bid(vendor_org, tender, status="draft")
    content = make.minimal_pdf()
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", len(content) - 1)
    response = _upload(as_vendor_admin, bid, content)
    assert "too large" in response.get_data(as_text=True)
    db.session.expire_all()
    assert bid.attachments == []


def test_a_request_larger_than_the_limit_is_refused_unread(
    app, monkeypatch, as_vendor_admin, make, vendor_org, tender
):
    # The request limit sits just above the attachment limit.
    assert 0 < app.config["MAX_CONTENT_LENGTH"] - app.config["MAX_ATTACHMENT_BYTES"] <= 2**20
    bid = make.bid(vendor_org, tender, status="draft")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = _upload(as_vendor_admin, bid, make.minimal_pdf() + b" " * 4000)
    assert response.status_code == 413
    db.session.expire_all()
    assert bid.attachments == []


def test_attachments_of_a_submitted_bid_are_fixed(as_vendor_admin, make, vendor_org, tender):
    bid = make.bid(vendor_org, tender)
    kept = make.attachment(bid)
    response = _upload(as_vendor_admin, bid, make.minimal_pdf("Another"))
    assert "draft" in response.get_data(as_text=True)
    as_vendor_admin.post(f"/bids/{bid.id}/attachments/{kept.id}/delete")
    db.session.expire_all()
    assert [a.id for a in bid.attachments] == [kept.id]


# --- Our bids -------------------------------------------------------------------------


def test_our_bids_lists_the_latest_version_per_tender_with_its_outcome(
    as_vendor_admin, make, client_org, vendor_org, tender
):
    first = make.bid(vendor_org, tender, status="superseded")
    latest = make.bid(vendor_org, tender, version=2, supersedes_id=first.id)
    decided = make.tender(client_org, status="awarded", invite=[vendor_org])
    make.bid(vendor_org, decided, status="not_awarded")
    html = as_vendor_admin.get("/bids").get_data(as_text=True)
    assert f'href="/bids/{latest.id}"' in html
    assert f'href="/bids/{first.id}"' not in html
    assert "Not awarded" in html


# --- Who may do what ------------------------------------------------------------------


def test_a_viewer_reads_but_changes_nothing(as_vendor_viewer, make, vendor_org, tender):
    bid = make.bid(vendor_org, tender, status="draft")
    assert as_vendor_viewer.get("/marketplace").status_code == 200
    assert as_vendor_viewer.get(f"/marketplace/{tender.id}").status_code == 200
    assert as_vendor_viewer.get("/bids").status_code == 200
    assert as_vendor_viewer.get(f"/bids/{bid.id}").status_code == 200
    for url in (
        f"/marketplace/{tender.id}/bid",
        f"/marketplace/{tender.id}/bid/submit",
        f"/marketplace/{tender.id}/questions",
        f"/bids/{bid.id}/attachments",
    ):
        assert as_vendor_viewer.post(url, data={}).status_code == 403, url


def test_a_client_only_organization_gets_404_on_vendor_pages(as_client_admin, make, tender):
    for url in ("/marketplace", f"/marketplace/{tender.id}", "/bids"):
        assert as_client_admin.get(url).status_code == 404, url


def test_an_organization_does_not_bid_on_its_own_tender(make, login):
    both = make.organization(kind="both")
    own = make.tender(both, status="published", visibility="open")
    browser = login(make.member(both, "admin"), both)
    assert browser.get(f"/marketplace/{own.id}").status_code == 404
    assert browser.get(f"/marketplace/{own.id}/bid").status_code == 404
    assert f'data-testid="tender-{own.id}"' not in browser.get("/marketplace").get_data(
        as_text=True
    )


# --- Isolation between vendors --------------------------------------------------------


def test_another_vendor_cannot_reach_a_bid_by_id_or_attachment(
    as_rival, make, vendor_org, rival, tender
):
    bid = make.bid(vendor_org, tender, status="draft", narrative="Atlas secret approach")
    attachment = make.attachment(bid)
    assert as_rival.get(f"/bids/{bid.id}").status_code == 404
    assert as_rival.get(f"/bids/{bid.id}/attachments/{attachment.id}").status_code == 404
    assert as_rival.post(f"/bids/{bid.id}/attachments/{attachment.id}/delete").status_code == 404
    assert (
        as_rival.post(f"/bids/{bid.id}/attachments", data={}, content_type="multipart/form-data")
    ).status_code == 404


def test_another_vendor_gets_its_own_empty_form_on_an_open_tender(
    as_rival, make, client_org, vendor_org, rival
):
    tender = make.tender(client_org, status="published", visibility="open")
    make.bid(vendor_org, tender, narrative="Atlas secret approach")
    form = as_rival.get(f"/marketplace/{tender.id}/bid")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Atlas secret approach" not in html
    page = as_rival.get(f"/marketplace/{tender.id}").get_data(as_text=True)
    assert "Atlas secret approach" not in page
    assert "You have not bid on this tender." in page


def test_an_uninvited_vendor_gets_404_on_an_invited_only_tender(as_rival, tender):
    assert as_rival.get(f"/marketplace/{tender.id}").status_code == 404
    assert as_rival.get(f"/marketplace/{tender.id}/bid").status_code == 404
    assert (
        as_rival.post(f"/marketplace/{tender.id}/questions", data={"question": "?"}).status_code
        == 404
    )


def test_a_client_cannot_read_a_bid_through_the_vendor_pages(
    make, login, client_org, vendor_org, tender
):
    both = make.organization(kind="both")
    own = make.tender(
        both, status="published", invite=[vendor_org], bid_deadline=utcnow() + timedelta(hours=1)
    )
    bid = make.bid(vendor_org, own)
    browser = login(make.member(both, "admin"), both)
    with freeze_time(own.bid_deadline + timedelta(minutes=1)):
        # Past the deadline the client's wall opens the bid, but not on the vendor's pages.
        assert browser.get(f"/bids/{bid.id}").status_code == 404


# --- Time left ------------------------------------------------------------------------


def test_time_left_reads_in_the_users_language_and_says_closed_when_past(app):
    from flask_babel import force_locale

    from portal.i18n import time_left

    deadline = utcnow().replace(microsecond=0) + timedelta(days=3)
    with app.test_request_context(), force_locale("en"):
        with freeze_time(deadline - timedelta(days=3)):
            assert time_left(deadline) == "in 3 days"
        with freeze_time(deadline - timedelta(seconds=1)):
            assert time_left(deadline) == "in 1 second"
        for moment in (deadline, deadline + timedelta(seconds=1)):
            with freeze_time(moment):
                assert time_left(deadline) == "closed"
    with app.test_request_context(), force_locale("fr"), freeze_time(deadline - timedelta(days=3)):
        assert time_left(deadline) == "dans 3 jours"

"""The rules of a vendor's bid and questions: drafts, submission to the second,
replacement with history, withdrawal, the freeze at the deadline, PDF checks."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal import db
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context
from vendors.models import Bid, BidStatus, ClarificationQuestion, PriceLineKind
from vendors.operations import bids as ops
from vendors.operations.bids import AlreadyDone, BidRuleError


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "admin")


@pytest.fixture
def deadline():
    # Whole seconds, so "one second before" is exact on both databases.
    return (utcnow() + timedelta(days=10)).replace(microsecond=0)


@pytest.fixture
def tender(make, client_org, vendor_org, deadline):
    return make.tender(client_org, status="published", invite=[vendor_org], bid_deadline=deadline)


@pytest.fixture(autouse=True)
def _request(app):
    """Operations run inside a request (links, audit, lazy messages read by assertions)."""
    with app.test_request_context():
        yield


@pytest.fixture
def acting():
    """``with acting(org):`` runs an operation as a member of ``org``."""

    @contextmanager
    def _acting(org):
        with organization_context(org.id):
            yield
            db.session.flush()

    return _acting


def bid_data(tender, **overrides) -> dict:
    data = {
        "price_lines": [
            {
                "kind": "fixed_monthly",
                "description": "Run",
                "quantity": None,
                "unit_price": Decimal("40000"),
            },
            {
                "kind": "per_unit",
                "description": "Per invoice",
                "quantity": None,
                "unit_price": Decimal("1.25"),
            },
        ],
        "transition_cost": Decimal("50000"),
        "commitments": {req.id: req.target for req in tender.sla_requirements},
        "delivery_location": "Porto, Portugal",
        "location_kind": "nearshore",
        "narrative": "We have done this before.",
    }
    data.update(overrides)
    return data


def own_bids(org, tender) -> list[Bid]:
    with organization_context(org.id):
        statement = select(Bid).where(Bid.tender_id == tender.id).order_by(Bid.version)
        return list(db.session.scalars(statement))


def actions(org) -> list[str]:
    with organization_context(org.id):
        statement = select(AuditEvent.action).order_by(AuditEvent.id)
        return list(db.session.scalars(statement))


def draft(acting, actor, org, tender, **overrides) -> Bid:
    with acting(org):
        return ops.save_bid_draft(actor, tender, bid_data(tender, **overrides))


def submitted(acting, actor, org, tender) -> Bid:
    bid = draft(acting, actor, org, tender)
    with acting(org):
        return ops.submit_bid(actor, bid)


# --- Drafts ---------------------------------------------------------------------------


def test_the_first_save_creates_the_draft_and_the_next_edits_it(
    acting, vendor_admin, vendor_org, tender
):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    assert bid.status == BidStatus.DRAFT
    assert bid.version == 1
    assert bid.currency == tender.currency
    assert [line.kind for line in bid.price_lines] == [
        PriceLineKind.FIXED_MONTHLY,
        PriceLineKind.PER_UNIT,
    ]
    again = draft(acting, vendor_admin, vendor_org, tender, narrative="Better words.")
    assert again.id == bid.id
    assert again.narrative == "Better words."
    assert len(own_bids(vendor_org, tender)) == 1
    assert actions(vendor_org) == ["bid.draft_created", "bid.draft_saved"]


def test_a_per_fte_line_needs_its_ftes(acting, vendor_admin, vendor_org, tender):
    lines = [{"kind": "per_fte", "description": "Team", "quantity": None, "unit_price": 4000}]
    with pytest.raises(BidRuleError, match="FTEs"):
        draft(acting, vendor_admin, vendor_org, tender, price_lines=lines)
    lines[0]["quantity"] = Decimal("8.5")
    bid = draft(acting, vendor_admin, vendor_org, tender, price_lines=lines)
    assert bid.price_lines[0].quantity == Decimal("8.5")


def test_a_quantity_on_a_line_that_is_not_per_fte_is_ignored(
    acting, vendor_admin, vendor_org, tender
):
    lines = [{"kind": "fixed_monthly", "description": "", "quantity": 3, "unit_price": 100}]
    bid = draft(acting, vendor_admin, vendor_org, tender, price_lines=lines)
    assert bid.price_lines[0].quantity is None


def test_a_weaker_commitment_is_saved_not_refused(acting, vendor_admin, vendor_org, tender):
    from vendors.queries.bids import commitment_rows

    requirement = tender.sla_requirements[0]  # accuracy ≥ 99 %
    bid = draft(
        acting, vendor_admin, vendor_org, tender, commitments={requirement.id: Decimal("97.5")}
    )
    rows = commitment_rows(bid, tender)
    assert rows[0].committed == Decimal("97.5")
    assert rows[0].weaker is True


def test_a_commitment_to_another_tenders_sla_is_refused(
    acting, make, client_org, vendor_admin, vendor_org, tender
):
    other = make.tender(client_org, status="published", invite=[vendor_org])
    with pytest.raises(BidRuleError):
        draft(
            acting,
            vendor_admin,
            vendor_org,
            tender,
            commitments={other.sla_requirements[0].id: Decimal(99)},
        )


def test_a_submitted_bid_is_not_edited(acting, vendor_admin, vendor_org, tender):
    submitted(acting, vendor_admin, vendor_org, tender)
    with pytest.raises(BidRuleError, match="Replace"):
        draft(acting, vendor_admin, vendor_org, tender, narrative="Sneaky change")


def test_a_client_cannot_bid_on_its_own_tender(acting, make, client_org, vendor_org):
    both = make.organization(kind="both")
    admin = make.member(both, "admin")
    own = make.tender(both, status="published", visibility="open")
    with pytest.raises(BidRuleError, match="own tender"):
        draft(acting, admin, both, own)


# --- Submission -----------------------------------------------------------------------


def test_submit_marks_the_bid_submitted_by_the_actor(acting, vendor_admin, vendor_org, tender):
    bid = submitted(acting, vendor_admin, vendor_org, tender)
    assert bid.status == BidStatus.SUBMITTED
    assert bid.submitted_by_id == vendor_admin.id
    assert bid.submitted_at is not None
    assert "bid.submitted" in actions(vendor_org)


def test_submit_needs_a_price_line(acting, vendor_admin, vendor_org, tender):
    bid = draft(acting, vendor_admin, vendor_org, tender, price_lines=[])
    with acting(vendor_org), pytest.raises(BidRuleError, match="pricing line"):
        ops.submit_bid(vendor_admin, bid)
    assert bid.status == BidStatus.DRAFT


def test_submit_needs_a_commitment_for_every_sla(acting, vendor_admin, vendor_org, tender):
    bid = draft(acting, vendor_admin, vendor_org, tender, commitments={})
    with acting(vendor_org), pytest.raises(BidRuleError, match="Invoice processing accuracy"):
        ops.submit_bid(vendor_admin, bid)


def test_submit_does_not_tell_the_client(acting, vendor_admin, vendor_org, client_org, tender):
    submitted(acting, vendor_admin, vendor_org, tender)
    statement = across_tenants(
        select(Notification).where(Notification.organization_id == client_org.id)
    )
    assert db.session.scalars(statement).all() == []
    with organization_context(client_org.id):
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_a_second_submit_is_applied_once(acting, vendor_admin, vendor_org, tender):
    bid = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org), pytest.raises(AlreadyDone):
        ops.submit_bid(vendor_admin, bid)
    assert actions(vendor_org).count("bid.submitted") == 1


def test_a_racing_twin_submit_changes_nothing(acting, vendor_admin, vendor_org, tender):
    """The twin read the draft before the first request committed: its update finds no draft."""
    bid = draft(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        ops.submit_bid(vendor_admin, bid)
    # What the twin's copy, read before the first one committed, still says.
    set_committed_value(bid, "status", BidStatus.DRAFT)
    with acting(vendor_org), pytest.raises(AlreadyDone):
        ops.submit_bid(vendor_admin, bid)
    db.session.expire_all()
    assert [b.status for b in own_bids(vendor_org, tender)] == [BidStatus.SUBMITTED]
    assert actions(vendor_org).count("bid.submitted") == 1


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [(timedelta(seconds=-1), True), (timedelta(0), False), (timedelta(seconds=1), False)],
    ids=["one second before", "at the deadline", "one second after"],
)
def test_submit_is_refused_from_the_deadlines_second(
    acting, vendor_admin, vendor_org, tender, deadline, offset, allowed
):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    with freeze_time(deadline + offset), acting(vendor_org):
        if allowed:
            ops.submit_bid(vendor_admin, bid)
        else:
            with pytest.raises(BidRuleError, match="deadline has passed"):
                ops.submit_bid(vendor_admin, bid)
    assert bid.status == (BidStatus.SUBMITTED if allowed else BidStatus.DRAFT)


def test_a_cancelled_tender_takes_no_bid(acting, make, client_org, vendor_admin, vendor_org):
    tender = make.tender(client_org, status="cancelled", invite=[vendor_org])
    with pytest.raises(BidRuleError, match="not open"):
        draft(acting, vendor_admin, vendor_org, tender)


# --- Replacement ----------------------------------------------------------------------


def test_replace_opens_a_new_version_with_a_copy_and_the_old_one_stands(
    acting, make, vendor_admin, vendor_org, tender
):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    make.attachment(first)
    with acting(vendor_org):
        second = ops.replace_bid(vendor_admin, first)
    assert second.status == BidStatus.DRAFT
    assert second.version == 2
    assert second.supersedes_id == first.id
    assert [(line.kind, line.unit_price) for line in second.price_lines] == [
        (line.kind, line.unit_price) for line in first.price_lines
    ]
    assert {c.requirement_id: c.committed for c in second.sla_commitments} == {
        c.requirement_id: c.committed for c in first.sla_commitments
    }
    assert [a.sha256 for a in second.attachments] == [a.sha256 for a in first.attachments]
    assert first.status == BidStatus.SUBMITTED


def test_submitting_the_replacement_supersedes_the_old_version(
    acting, vendor_admin, vendor_org, tender
):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        second = ops.replace_bid(vendor_admin, first)
    draft(acting, vendor_admin, vendor_org, tender, narrative="Sharper offer.")
    with acting(vendor_org):
        ops.submit_bid(vendor_admin, second)
    db.session.expire_all()
    history = own_bids(vendor_org, tender)
    assert [(b.version, b.status) for b in history] == [
        (1, BidStatus.SUPERSEDED),
        (2, BidStatus.SUBMITTED),
    ]
    assert history[1].narrative == "Sharper offer."
    assert "bid.superseded" in actions(vendor_org)


def test_replace_twice_opens_one_draft(acting, vendor_admin, vendor_org, tender):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        ops.replace_bid(vendor_admin, first)
    with acting(vendor_org), pytest.raises(AlreadyDone):
        ops.replace_bid(vendor_admin, first)
    assert len(own_bids(vendor_org, tender)) == 2


def test_only_a_submitted_bid_is_replaced(acting, vendor_admin, vendor_org, tender):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org), pytest.raises(BidRuleError):
        ops.replace_bid(vendor_admin, bid)


def test_submitting_a_bid_reopened_by_an_addendum_clears_the_flag(
    acting, make, client_org, vendor_admin, vendor_org, tender
):
    from vendors.models import TenderAddendum

    bid = submitted(acting, vendor_admin, vendor_org, tender)
    addendum = TenderAddendum(tender_id=tender.id, number=1, summary="Volumes up", changes={})
    db.session.add(addendum)
    db.session.flush()
    bid.status = BidStatus.DRAFT
    bid.reopened_by_addendum_id = addendum.id
    db.session.flush()
    with acting(vendor_org):
        ops.submit_bid(vendor_admin, bid)
    assert bid.status == BidStatus.SUBMITTED
    assert bid.reopened_by_addendum_id is None


# --- Withdrawal -----------------------------------------------------------------------


def test_withdraw_a_submitted_bid(acting, vendor_admin, vendor_org, tender):
    bid = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        ops.withdraw_bid(vendor_admin, bid)
    assert bid.status == BidStatus.WITHDRAWN
    assert bid.withdrawn_at is not None
    with acting(vendor_org), pytest.raises(AlreadyDone):
        ops.withdraw_bid(vendor_admin, bid)


def test_withdraw_a_draft(acting, vendor_admin, vendor_org, tender):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        ops.withdraw_bid(vendor_admin, bid)
    assert bid.status == BidStatus.WITHDRAWN


def test_withdrawing_the_submitted_version_drops_its_replacement_draft(
    acting, vendor_admin, vendor_org, tender
):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        second = ops.replace_bid(vendor_admin, first)
        ops.withdraw_bid(vendor_admin, first)
    assert (first.status, second.status) == (BidStatus.WITHDRAWN, BidStatus.WITHDRAWN)


def test_discarding_a_replacement_draft_leaves_the_submitted_version(
    acting, vendor_admin, vendor_org, tender
):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        second = ops.replace_bid(vendor_admin, first)
        ops.withdraw_bid(vendor_admin, second)
    assert (first.status, second.status) == (BidStatus.SUBMITTED, BidStatus.WITHDRAWN)


def test_after_withdrawing_a_vendor_may_bid_again_as_a_new_version(
    acting, vendor_admin, vendor_org, tender
):
    first = submitted(acting, vendor_admin, vendor_org, tender)
    with acting(vendor_org):
        ops.withdraw_bid(vendor_admin, first)
    again = draft(acting, vendor_admin, vendor_org, tender)
    assert again.id != first.id
    assert again.version == 2


# --- The freeze -----------------------------------------------------------------------


def test_after_the_deadline_every_operation_refuses(
    acting, make, vendor_admin, vendor_org, tender, deadline
):
    bid = submitted(acting, vendor_admin, vendor_org, tender)
    open_draft_tender_bid = bid
    attachment = make.attachment(bid)
    with freeze_time(deadline), acting(vendor_org):
        calls = [
            lambda: ops.save_bid_draft(vendor_admin, tender, bid_data(tender)),
            lambda: ops.withdraw_bid(vendor_admin, open_draft_tender_bid),
            lambda: ops.replace_bid(vendor_admin, bid),
            lambda: ops.ask_question(vendor_admin, tender, "Too late?"),
        ]
        for call in calls:
            with pytest.raises(BidRuleError):
                call()
    assert bid.status == BidStatus.SUBMITTED
    # Documents of a draft freeze too.
    other = make.tender(tender.organization, status="published", invite=[vendor_org])
    draft_bid = make.bid(vendor_org, other, status="draft")
    with freeze_time(other.bid_deadline), acting(vendor_org):
        with pytest.raises(BidRuleError, match="deadline"):
            ops.add_attachment(vendor_admin, draft_bid, "late.pdf", make.minimal_pdf())
        kept = make.attachment(draft_bid)
        with pytest.raises(BidRuleError, match="deadline"):
            ops.delete_attachment(vendor_admin, draft_bid, kept)
    assert attachment.bid_id == bid.id


def test_a_closed_stored_status_freezes_even_before_the_deadline(
    acting, vendor_admin, vendor_org, tender
):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    tender.status = "closed"
    db.session.flush()
    with acting(vendor_org), pytest.raises(BidRuleError, match="deadline"):
        ops.submit_bid(vendor_admin, bid)


# --- Questions ------------------------------------------------------------------------


def test_ask_question_notifies_tender_managers_without_naming_the_vendor(
    acting, make, client_org, vendor_admin, vendor_org, tender
):
    manager = make.member(client_org, "procurement")
    viewer = make.member(client_org, "viewer")
    with acting(vendor_org):
        question = ops.ask_question(vendor_admin, tender, "  Is VAT included?  ")
    assert question.question == "Is VAT included?"
    assert question.organization_id == vendor_org.id
    statement = across_tenants(
        select(Notification).where(Notification.organization_id == client_org.id)
    )
    notifications = db.session.scalars(statement).all()
    recipients = {n.user_id for n in notifications}
    assert manager.id in recipients
    assert viewer.id not in recipients
    for notification in notifications:
        assert vendor_org.name not in notification.title + notification.body
    assert "question.asked" in actions(vendor_org)


def test_an_empty_question_is_refused(acting, vendor_admin, vendor_org, tender):
    with acting(vendor_org), pytest.raises(BidRuleError) as refused:
        ops.ask_question(vendor_admin, tender, "   ")
    assert refused.value.field == "question"
    with organization_context(vendor_org.id):
        assert db.session.scalars(select(ClarificationQuestion)).all() == []


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [(timedelta(seconds=-1), True), (timedelta(0), False)],
    ids=["one second before", "at the deadline"],
)
def test_questions_close_at_the_deadline(
    acting, vendor_admin, vendor_org, tender, deadline, offset, allowed
):
    with freeze_time(deadline + offset), acting(vendor_org):
        if allowed:
            ops.ask_question(vendor_admin, tender, "In time?")
        else:
            with pytest.raises(BidRuleError):
                ops.ask_question(vendor_admin, tender, "Too late?")


# --- Attachments ----------------------------------------------------------------------


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_real_pdf_is_accepted(make):
    ops.check_pdf(make.minimal_pdf(), 10 * 1024 * 1024)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_png(), id="a PNG renamed .pdf"),
        pytest.param(b"Just some text pretending.\n", id="a text file"),
        pytest.param(b"", id="an empty file"),
        pytest.param(b"%PDF-1.7\nnot really a pdf\n%%EOF\n", id="a PDF header on junk"),
    ],
)
def test_what_is_not_a_pdf_is_refused(content):
    with pytest.raises(BidRuleError) as refused:
        ops.check_pdf(content, 10 * 1024 * 1024)
    assert refused.value.field == "file"


def test_a_truncated_pdf_is_refused(make):
    content = make.minimal_pdf()
    for cut in (len(content) // 2, len(content) - 10):
        with pytest.raises(BidRuleError):
            ops.check_pdf(content[:cut], 10 * 1024 * 1024)


def test_an_oversized_pdf_is_refused(make):
    content = make.minimal_pdf()
    with pytest.raises(BidRuleError, match="too large"):
        ops.check_pdf(content, len(content) - 1)
    ops.check_pdf(content, len(content))


def test_a_password_protected_pdf_is_refused():
    with pytest.raises(BidRuleError, match="password"):
        ops.check_pdf(_encrypted_pdf(), 10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Our approach.pdf", "Our_approach.pdf"),
        ("../../etc/passwd", "etc_passwd.pdf"),
        ("offer.PDF", "offer.pdf"),
        ("scan.png", "scan.png.pdf"),
        ("", "document.pdf"),
        ("..", "document.pdf"),
    ],
)
def test_the_file_name_is_sanitised_and_ends_in_pdf(given, stored):
    assert ops.attachment_filename(given) == stored


def test_add_attachment_stores_bytes_size_and_hash_once(
    acting, make, vendor_admin, vendor_org, tender
):
    import hashlib

    bid = draft(acting, vendor_admin, vendor_org, tender)
    content = make.minimal_pdf()
    with acting(vendor_org):
        attachment = ops.add_attachment(vendor_admin, bid, "approach.pdf", content)
    assert attachment.content == content
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with acting(vendor_org), pytest.raises(AlreadyDone):
        ops.add_attachment(vendor_admin, bid, "approach again.pdf", content)
    assert len(bid.attachments) == 1
    assert "bid.attachment_added" in actions(vendor_org)


def test_attachments_change_only_on_a_draft(acting, make, vendor_admin, vendor_org, tender):
    bid = submitted(acting, vendor_admin, vendor_org, tender)
    kept = make.attachment(bid)
    with acting(vendor_org):
        with pytest.raises(BidRuleError, match="draft"):
            ops.add_attachment(vendor_admin, bid, "more.pdf", make.minimal_pdf("More"))
        with pytest.raises(BidRuleError, match="draft"):
            ops.delete_attachment(vendor_admin, bid, kept)


def test_delete_attachment_from_a_draft(acting, make, vendor_admin, vendor_org, tender):
    bid = draft(acting, vendor_admin, vendor_org, tender)
    attachment = make.attachment(bid)
    with acting(vendor_org):
        ops.delete_attachment(vendor_admin, bid, attachment)
    assert bid.attachments == []
    assert "bid.attachment_deleted" in actions(vendor_org)

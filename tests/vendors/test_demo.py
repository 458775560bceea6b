"""The demo's tendering story: a tender in every state, loaded once, behind the wall."""

from __future__ import annotations

import ast
import hashlib
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import portal.demo
from portal import db
from portal.db import utcnow
from portal.demo import ORGANIZATIONS, describe_logins, find_demo_organization, load_demo
from portal.functions.baseline import baseline_of
from portal.models import AuditEvent, BackOfficeFunction, Organization, User
from portal.tenancy import across_tenants, organization_context
from vendors import demo as vendors_demo
from vendors import rules
from vendors.models import (
    Bid,
    BidAttachment,
    BidScore,
    BidStatus,
    ClarificationQuestion,
    PriceLineKind,
    Tender,
    TenderInvitation,
    TenderStatus,
    TenderVisibility,
    VendorCertification,
    VendorProfile,
)
from vendors.sla_library import library_sla

#: The tendering story alone (contracts and billing build on it in their own tests).
TENDERING = ("vendors",)

COUNTED = (
    Organization,
    User,
    BackOfficeFunction,
    VendorProfile,
    VendorCertification,
    Tender,
    TenderInvitation,
    ClarificationQuestion,
    Bid,
    BidScore,
    BidAttachment,
    AuditEvent,
)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(across_tenants(select(func.count()).select_from(model)))
        for model in COUNTED
    }


def _ids(model, organization: Organization, *where) -> set[int]:
    with organization_context(organization.id):
        return set(db.session.scalars(select(model.id).where(*where)))


@pytest.fixture
def demo(app) -> dict[str, Organization]:
    assert load_demo(TENDERING) is True
    return {
        demo.key: find_demo_organization(demo)
        for demo in (*ORGANIZATIONS, *vendors_demo.ORGANIZATIONS)
    }


def _tenders(northwind: Organization) -> dict[TenderStatus, list[Tender]]:
    now = utcnow()
    with organization_context(northwind.id):
        tenders = db.session.scalars(
            select(Tender).options(
                selectinload(Tender.criteria),
                selectinload(Tender.sla_requirements),
                selectinload(Tender.invitations),
                selectinload(Tender.function),
            )
        ).all()
    by_phase: dict[TenderStatus, list[Tender]] = {}
    for tender in tenders:
        by_phase.setdefault(tender.phase(now), []).append(tender)
    return by_phase


def _bids(organization: Organization, tender: Tender) -> list[Bid]:
    with organization_context(organization.id):
        return list(
            db.session.scalars(
                select(Bid)
                .where(Bid.tender_id == tender.id)
                .options(selectinload(Bid.price_lines), selectinload(Bid.sla_commitments))
                .order_by(Bid.id)
            )
        )


def test_northwind_has_a_tender_in_every_state(demo):
    now = utcnow()
    tenders = _tenders(demo["northwind"])
    assert set(tenders) == set(TenderStatus)
    assert {phase: len(found) for phase, found in tenders.items()} == {
        TenderStatus.DRAFT: 1,
        TenderStatus.PUBLISHED: 2,
        TenderStatus.CLOSED: 1,
        TenderStatus.AWARDED: 1,
        TenderStatus.CANCELLED: 1,
    }

    live = tenders[TenderStatus.PUBLISHED]
    assert {tender.visibility for tender in live} == {
        TenderVisibility.OPEN,
        TenderVisibility.INVITED,
    }
    for tender in live:
        assert tender.is_open_for_bids(now)
        days_left = (tender.bid_deadline - now) / timedelta(days=1)
        expected = 10 if tender.visibility == TenderVisibility.OPEN else 5
        assert expected - 1 < days_left < expected + 1  # at 16:00 UTC that day
    invited = next(tender for tender in live if tender.visibility == TenderVisibility.INVITED)
    assert {invitation.vendor_organization_id for invitation in invited.invitations} == {
        demo["atlas"].id,
        demo["meridian"].id,
    }

    draft = tenders[TenderStatus.DRAFT][0]
    assert draft.published_at is None

    closed = tenders[TenderStatus.CLOSED][0]
    assert closed.status == TenderStatus.CLOSED
    assert timedelta(days=1) < now - closed.bid_deadline < timedelta(days=3)

    awarded = tenders[TenderStatus.AWARDED][0]
    assert awarded.award_reason
    bids = _bids(demo["northwind"], awarded)
    winner = next(bid for bid in bids if bid.id == awarded.awarded_bid_id)
    assert winner.organization_id == demo["atlas"].id
    assert winner.status == BidStatus.AWARDED
    assert {bid.status for bid in bids if bid is not winner} == {BidStatus.NOT_AWARDED}

    cancelled = tenders[TenderStatus.CANCELLED][0]
    assert cancelled.cancel_reason
    assert cancelled.cancelled_at < cancelled.bid_deadline


def test_the_tenders_tell_the_savings_story(demo):
    """Issue 6's story: AP awarded a year ago, GL to the captive centre, the desk in evaluation."""
    tenders = _tenders(demo["northwind"])
    keys = {phase: found[0].function.catalogue_key for phase, found in tenders.items()}
    assert keys[TenderStatus.AWARDED] == "accounts_payable"
    assert keys[TenderStatus.CANCELLED] == "general_ledger"
    assert keys[TenderStatus.CLOSED] == "it_service_desk"
    awarded = tenders[TenderStatus.AWARDED][0]
    assert 330 < (utcnow().date() - awarded.start_date).days < 400
    assert "Kraków" in tenders[TenderStatus.CANCELLED][0].cancel_reason
    # Payroll is left for a contract made without a tender.
    assert "payroll" not in keys.values()


def test_every_tender_weighs_price_first_and_to_100(demo):
    for found in _tenders(demo["northwind"]).values():
        tender = found[0]
        assert rules.weights_sum_to_100(criterion.weight for criterion in tender.criteria)
        assert [criterion.is_price for criterion in tender.criteria].count(True) == 1
        assert 50 <= tender.price_criterion.weight <= 60
        for requirement in tender.sla_requirements:
            if requirement.library_key is not None:
                sla = library_sla(requirement.library_key)
                assert (requirement.target, requirement.better) == (sla.target, sla.better)
                with force_locale("en"):
                    assert requirement.metric == str(sla.metric)


def test_the_tender_under_evaluation_compares_three_pricing_models(demo):
    northwind = demo["northwind"]
    tender = _tenders(northwind)[TenderStatus.CLOSED][0]
    bids = _bids(northwind, tender)
    assert len(bids) == 3
    assert {bid.status for bid in bids} == {BidStatus.SUBMITTED}
    assert sorted(tuple(rules.pricing_models(bid.price_lines)) for bid in bids) == sorted(
        [
            (PriceLineKind.FIXED_MONTHLY,),
            (PriceLineKind.PER_UNIT,),
            (PriceLineKind.FIXED_MONTHLY, PriceLineKind.PER_FTE),
        ]
    )

    baseline = baseline_of(tender.function).monthly
    savings = []
    for bid in bids:
        total = rules.projected_total(
            bid.price_lines,
            tender.monthly_volume,
            tender.term_months,
            bid.transition_cost,
            tender.currency,
        )
        savings.append(
            rules.against_baseline(baseline, total, tender.term_months, "EUR").saving_percent
        )
    cheaper = [saving for saving in savings if saving > 0]
    assert len(cheaper) == 2
    assert all(Decimal(15) <= saving <= Decimal(35) for saving in cheaper)

    requirements = {requirement.id: requirement for requirement in tender.sla_requirements}
    weaker = [
        bid
        for bid in bids
        if any(
            rules.is_weaker(
                requirements[commitment.requirement_id].better,
                requirements[commitment.requirement_id].target,
                commitment.committed,
            )
            for commitment in bid.sla_commitments
        )
    ]
    assert len(weaker) == 1

    with organization_context(northwind.id):
        scores = db.session.scalars(
            select(BidScore).where(BidScore.bid_id.in_([bid.id for bid in bids]))
        ).all()
    assert {score.evaluator.email for score in scores} == {"procurement@northwind.example"}
    scored_bids = {score.bid_id for score in scores}
    assert 0 < len(scored_bids) < 3  # partly scored: the evaluation is under way


def test_the_invited_tender_has_bids_and_questions_in_progress(demo):
    northwind, atlas, meridian = demo["northwind"], demo["atlas"], demo["meridian"]
    with organization_context(northwind.id):
        tender = db.session.scalars(
            select(Tender).where(
                Tender.status == TenderStatus.PUBLISHED,
                Tender.visibility == TenderVisibility.INVITED,
            )
        ).one()
        questions = db.session.scalars(
            select(ClarificationQuestion).where(ClarificationQuestion.tender_id == tender.id)
        ).all()
    assert sorted(question.answer is not None for question in questions) == [False, True]
    assert [bid.status for bid in _bids(atlas, tender)] == [BidStatus.SUBMITTED]
    assert [bid.status for bid in _bids(meridian, tender)] == [BidStatus.DRAFT]
    # Sealed: the client sees neither before the deadline.
    assert _bids(northwind, tender) == []


def test_the_wall_holds_on_the_demo(demo):
    atlas, meridian = demo["atlas"], demo["meridian"]
    meridians = _ids(Bid, meridian)
    atlas_sees = _ids(Bid, atlas)
    assert meridians and atlas_sees
    assert atlas_sees == _ids(Bid, atlas, Bid.organization_id == atlas.id)
    assert not atlas_sees & meridians
    assert not _ids(Bid, demo["baltica"]) & (meridians | atlas_sees)

    # Atlas sees no draft and no tender it was not invited to, and of the
    # questions only its own and the answered ones of tenders it sees.
    visible = _ids(Tender, atlas)
    tenders = _tenders(demo["northwind"])
    assert tenders[TenderStatus.DRAFT][0].id not in visible
    assert tenders[TenderStatus.CLOSED][0].id not in visible
    with organization_context(atlas.id):
        questions = db.session.scalars(select(ClarificationQuestion)).all()
    assert all(q.organization_id == atlas.id or q.answered_at is not None for q in questions)
    with organization_context(meridian.id):
        unanswered = db.session.scalars(
            select(ClarificationQuestion.id).where(ClarificationQuestion.answered_at.is_(None))
        ).all()
    assert unanswered and not set(unanswered) & {q.id for q in questions}


def test_loading_twice_creates_nothing_twice(demo):
    before = _counts()
    assert load_demo(TENDERING) is False
    assert _counts() == before


def test_a_database_loaded_before_tendering_gains_it_on_the_next_load(app, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(portal.demo, "package_demos", lambda _packages=None: [])
        assert load_demo(TENDERING) is True
    assert _counts()["Tender"] == 0
    organizations = _counts()["Organization"]

    assert load_demo(TENDERING) is True
    counts = _counts()
    assert counts["Tender"] == 6
    assert counts["Organization"] == organizations + len(vendors_demo.ORGANIZATIONS)
    assert load_demo(TENDERING) is False


def test_the_directory_lists_every_demo_vendor(demo):
    profiles = db.session.scalars(
        select(VendorProfile).options(selectinload(VendorProfile.certifications))
    ).all()
    by_org = {profile.organization_id: profile for profile in profiles}
    vendors = [key for key in demo if key != "northwind"]
    assert all(by_org[demo[key].id].listed for key in vendors)
    assert demo["northwind-shared"].captive_of_id == demo["northwind"].id

    today = utcnow().date()
    expired = [
        certification.standard
        for certification in by_org[demo["meridian"].id].certifications
        if certification.expires_on < today
    ]
    assert expired == ["iso_9001"]
    for key in vendors:
        if key != "meridian":
            assert all(c.expires_on > today for c in by_org[demo[key].id].certifications)
    atlas = by_org[demo["atlas"].id]
    assert [language.code for language in atlas.languages] == ["en", "es", "fr", "pt"]
    assert {location.city for location in atlas.locations} == {"Lisbon", "Porto"}


def test_the_demo_attachment_is_a_real_pdf(demo):
    attachment = db.session.scalars(select(BidAttachment)).one()
    assert attachment.size == len(attachment.content)
    assert attachment.sha256 == hashlib.sha256(attachment.content).hexdigest()
    text = PdfReader(io.BytesIO(attachment.content)).pages[0].extract_text()
    assert "transition plan" in text
    assert "Vilnius" in text


def test_the_logins_name_the_new_vendors(demo):
    logins = describe_logins()
    for organization in vendors_demo.ORGANIZATIONS:
        assert organization.people[0][0] in logins
        assert organization.api_token in logins


def test_portal_demo_does_not_import_the_packages_built_on_it():
    source = Path(portal.demo.__file__).read_text()
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.split(".")[0] in {"vendors"}]

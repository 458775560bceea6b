"""Evaluation and award: the comparison matrix, scoring and the award, below the views.

Figures are computed by hand. The tender's function is the factory's: 10 FTEs ×
60,000 + 60,000 + 36,000 + 24,000 + 120,000 = 840,000 a year, so 70,000 a
month, 2,520,000 over the 36-month term. The three bids cost, over the term:
Atlas 55,000 × 36 + 20,000 = 2,000,000; Birch 65,000 × 36 + 160,000 =
2,500,000; Cedar 5.00 × 12,000 × 36 + 1,840,000 = 4,000,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal import db, tenancy
from portal.db import utcnow
from portal.models import AuditEvent, Notification, Role
from portal.notifications.service import members_of
from portal.rules import RuleError
from portal.tenancy import organization_context
from vendors.models import Bid, BidScore, BidStatus, PriceLineKind, Tender, TenderStatus
from vendors.operations import evaluation as operations
from vendors.queries import evaluation as queries

D = Decimal


@dataclass
class Scenario:
    client: object
    tender: object
    atlas: object
    birch: object
    cedar: object
    quality: object
    price: object

    @property
    def vendors(self):
        return [self.atlas.vendor, self.birch.vendor, self.cedar.vendor]


def scenario(make, client_org, *, deadline=None, vendor_names=("Atlas", "Birch", "Cedar")):
    """A published tender whose deadline passed an hour ago (or at ``deadline``), three bids."""
    vendors = [make.organization(name=name, kind="vendor") for name in vendor_names]
    for vendor in vendors:
        make.member(vendor, "admin", email=f"bids@{vendor.slug.lower()}.test")
        make.member(vendor, "viewer", email=f"viewer@{vendor.slug.lower()}.test")
    tender = make.tender(
        client_org,
        status="published",
        invite=vendors,
        bid_deadline=deadline or (utcnow() - timedelta(hours=1)).replace(microsecond=0),
    )
    fixed, per_unit = PriceLineKind.FIXED_MONTHLY, PriceLineKind.PER_UNIT
    priced = [
        ([(fixed, None, D("55000"))], D("20000")),
        ([(fixed, None, D("65000"))], D("160000")),
        ([(per_unit, None, D("5.00"))], D("1840000")),
    ]
    bids = []
    for index, vendor in enumerate(vendors):
        # Vendors past the third bid the factory's default price.
        lines, transition = priced[index] if index < len(priced) else (None, None)
        extra = {"lines": lines, "transition_cost": transition} if lines else {}
        bids.append(make.bid(vendor, tender, **extra))
    atlas, birch, cedar = [*bids, None, None, None][:3]
    atlas.sla_commitments[0].committed = D("99.5")
    birch.sla_commitments[0].committed = D("98")
    db.session.flush()
    price, quality = tender.criteria
    return Scenario(client_org, tender, atlas, birch, cedar, quality, price)


def in_client(case, function, *args, **kwargs):
    with organization_context(case.client.id):
        return function(*args, **kwargs)


def matrix_of(case, evaluator=None):
    return in_client(
        case, queries.comparison_matrix, case.tender, evaluator.id if evaluator else None, utcnow()
    )


def score(case, evaluator, cells):
    """``cells``: {bid: score or (score, comment)} on the quality criterion."""
    items = []
    for bid, value in cells.items():
        value, comment = value if isinstance(value, tuple) else (value, "")
        items.append(
            {
                "bid_id": bid.id,
                "criterion_id": case.quality.id,
                "score": value,
                "comment": comment,
            }
        )
    return in_client(case, operations.score_bids, evaluator, case.tender, items)


def award(case, actor, bid, reason="Best value for money."):
    return in_client(case, operations.award_tender, actor, case.tender, bid, reason)


def read(org, statement):
    with organization_context(org.id):
        db.session.expire_all()
        return list(db.session.scalars(statement))


def events(org, action):
    return read(org, select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))


def notifications_of(user):
    statement = tenancy.across_tenants(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return list(db.session.scalars(statement))


@pytest.fixture(autouse=True)
def _request(app):
    # Messages are lazy strings read in the reader's language: a request is needed to read them.
    with app.test_request_context():
        yield


@pytest.fixture
def case(make, client_org):
    return scenario(make, client_org)


@pytest.fixture
def finance(make, client_org):
    return make.member(client_org, "finance", email="finance@northwind.test")


@pytest.fixture
def manager(make, client_org):
    return make.member(client_org, "procurement", email="procurement@northwind.test")


# --- The matrix -----------------------------------------------------------------------


def test_matrix_prices_each_bid_over_the_term_and_scores_price(case):
    matrix = matrix_of(case)
    by_vendor = {column.vendor_name: column for column in matrix.bids}
    assert [column.vendor_name for column in matrix.bids] == ["Atlas", "Birch", "Cedar"]
    assert by_vendor["Atlas"].monthly_price == D("55000.00")
    assert by_vendor["Cedar"].monthly_price == D("60000.00")
    assert [by_vendor[v].projected_total for v in ("Atlas", "Birch", "Cedar")] == [
        D("2000000.00"),
        D("2500000.00"),
        D("4000000.00"),
    ]
    assert by_vendor["Cedar"].pricing_models == [PriceLineKind.PER_UNIT]
    # Price weight 60: 60 × 2,000,000 ÷ 2,500,000 = 48; ÷ 4,000,000 = 30.
    price_points = [
        by_vendor[v].score_for(case.price.id).points for v in ("Atlas", "Birch", "Cedar")
    ]
    assert price_points == [D("60.00"), D("48.00"), D("30.00")]


def test_matrix_sets_each_commitment_against_the_requirement(case):
    matrix = matrix_of(case)
    [requirement] = matrix.sla
    weaker = {column.vendor_name: column.sla[0].weaker for column in matrix.bids}
    # ≥ 99 %: 99.5 meets it, 98 is weaker, exactly 99 meets it.
    assert weaker == {"Atlas": False, "Birch": True, "Cedar": False}
    assert matrix.bids[1].sla[0].committed == D("98.0000")
    assert requirement.target == D("99")


def test_matrix_averages_evaluators_and_ranks_by_total_points(case, client_admin, finance):
    score(case, client_admin, {case.atlas: 8, case.birch: 6, case.cedar: 9})
    score(case, finance, {case.atlas: 7, case.birch: 6})
    matrix = matrix_of(case, client_admin)
    by_vendor = {column.vendor_name: column for column in matrix.bids}
    quality = {v: by_vendor[v].score_for(case.quality.id) for v in by_vendor}
    # Weight 40: Atlas (8 + 7) ÷ 2 = 7.5 → 30; Birch 6 → 24; Cedar 9 (one evaluator) → 36.
    assert [quality[v].points for v in ("Atlas", "Birch", "Cedar")] == [
        D("30.00"),
        D("24.00"),
        D("36.00"),
    ]
    assert quality["Atlas"].average == D("7.50")
    assert quality["Atlas"].evaluators == 2
    assert quality["Cedar"].evaluators == 1
    # Totals: 60 + 30 = 90; 48 + 24 = 72; 30 + 36 = 66.
    assert [by_vendor[v].total_points for v in ("Atlas", "Birch", "Cedar")] == [
        D("90.00"),
        D("72.00"),
        D("66.00"),
    ]
    assert [by_vendor[v].rank for v in ("Atlas", "Birch", "Cedar")] == [1, 2, 3]
    assert all(column.complete for column in matrix.bids)
    assert matrix.evaluator_count == 2
    # Each evaluator reads back their own scores only.
    assert quality["Atlas"].own_score == 8
    assert matrix_of(case, finance).bids[0].score_for(case.quality.id).own_score == 7
    assert matrix_of(case, finance).bids[2].score_for(case.quality.id).own_score is None


def test_an_unscored_criterion_leaves_the_total_incomplete(case):
    matrix = matrix_of(case)
    atlas = matrix.bids[0]
    assert atlas.score_for(case.quality.id).points is None
    assert atlas.total_points == D("60.00")
    assert not atlas.complete
    assert matrix.evaluator_count == 0


def test_matrix_sets_each_bid_against_the_in_house_baseline(case):
    matrix = matrix_of(case)
    # 840,000 a year ÷ 12 = 70,000 a month; × 36 = 2,520,000.
    assert matrix.baseline_monthly == D("70000.00")
    atlas, birch, cedar = (column.against_baseline for column in matrix.bids)
    assert atlas.baseline_term == D("2520000.00")
    # Atlas: 2,520,000 − 2,000,000 = 520,000; ÷ 36 = 14,444.44; ÷ 2,520,000 = 20.63 %.
    assert (atlas.saving_per_term, atlas.saving_per_month, atlas.saving_percent) == (
        D("520000.00"),
        D("14444.44"),
        D("20.6"),
    )
    # Birch: 20,000; 555.56 a month; 0.79 %.
    assert (birch.saving_per_term, birch.saving_per_month, birch.saving_percent) == (
        D("20000.00"),
        D("555.56"),
        D("0.8"),
    )
    # Cedar costs more: −1,480,000; −41,111.11 a month; −58.73 %.
    assert (cedar.saving_per_term, cedar.saving_per_month, cedar.saving_percent) == (
        D("-1480000.00"),
        D("-41111.11"),
        D("-58.7"),
    )


def test_no_baseline_comparison_when_the_function_costs_nothing(make, client_org):
    function = make.function(
        client_org,
        name="Free function",
        ftes=D("0"),
        annual_overheads=D("0"),
        annual_facilities=D("0"),
        annual_technology=D("0"),
        annual_management=D("0"),
    )
    vendor = make.organization(kind="vendor")
    tender = make.tender(
        client_org, function, status="published", bid_deadline=utcnow() - timedelta(hours=1)
    )
    make.bid(vendor, tender)
    with organization_context(client_org.id):
        matrix = queries.comparison_matrix(tender, None, utcnow())
    assert matrix.baseline_monthly is None
    assert matrix.bids[0].against_baseline is None


def test_the_matrix_is_none_while_bids_are_sealed(make, client_org):
    deadline = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    case = scenario(make, client_org, deadline=deadline)
    with freeze_time(deadline - timedelta(seconds=1)):
        assert matrix_of(case) is None
    with freeze_time(deadline):
        assert len(matrix_of(case).bids) == 3


@pytest.mark.parametrize("status", ["draft", "withdrawn", "superseded"])
def test_the_matrix_never_shows_a_bid_that_is_not_submitted(make, case, status):
    late = make.organization(name="Late", kind="vendor")
    make.bid(late, case.tender, status=status)
    assert [column.vendor_name for column in matrix_of(case).bids] == ["Atlas", "Birch", "Cedar"]


# --- Scoring --------------------------------------------------------------------------


def _scores_of(case, evaluator=None):
    statement = select(BidScore).order_by(BidScore.bid_id)
    if evaluator is not None:
        statement = statement.where(BidScore.evaluator_id == evaluator.id)
    return [(s.bid_id, s.score, s.comment) for s in read(case.client, statement)]


def test_scoring_again_replaces_the_evaluators_own_scores_only(case, client_admin, finance):
    assert score(case, client_admin, {case.atlas: (8, "Strong plan"), case.birch: 6}) == 2
    score(case, finance, {case.atlas: 5})
    assert score(case, client_admin, {case.atlas: (9, "Even better"), case.birch: 6}) == 1
    assert _scores_of(case, client_admin) == [
        (case.atlas.id, 9, "Even better"),
        (case.birch.id, 6, ""),
    ]
    assert _scores_of(case, finance) == [(case.atlas.id, 5, "")]


def test_a_blank_score_withdraws_the_evaluators_score(case, client_admin):
    score(case, client_admin, {case.atlas: 8, case.birch: 6})
    assert score(case, client_admin, {case.atlas: None}) == 1
    assert _scores_of(case, client_admin) == [(case.birch.id, 6, "")]


def test_scoring_is_audited_with_before_and_after(case, client_admin):
    score(case, client_admin, {case.atlas: 8})
    score(case, client_admin, {case.atlas: 8})  # no change: no second event
    score(case, client_admin, {case.atlas: 9})
    first, second = events(case.client, "tender.scored")
    key = f"{case.atlas.id}/{case.quality.id}"
    assert first.before == {key: None}
    assert first.after == {key: {"score": 8, "comment": ""}}
    assert second.before == {key: {"score": 8, "comment": ""}}
    assert second.actor_id == client_admin.id
    assert second.target_id == case.tender.id


def test_scoring_is_refused_before_the_deadline(make, client_org, client_admin):
    deadline = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    case = scenario(make, client_org, deadline=deadline)
    with freeze_time(deadline - timedelta(seconds=1)), pytest.raises(RuleError, match="sealed"):
        score(case, client_admin, {case.atlas: 8})
    with freeze_time(deadline):
        assert score(case, client_admin, {case.atlas: 8}) == 1


def test_scoring_is_refused_after_the_award(case, client_admin):
    award(case, client_admin, case.atlas)
    with pytest.raises(RuleError, match="already been awarded"):
        score(case, client_admin, {case.atlas: 8})


def test_scoring_is_refused_once_cancelled(case, client_admin):
    case.tender.status = TenderStatus.CANCELLED
    db.session.flush()
    with pytest.raises(RuleError, match="cancelled"):
        score(case, client_admin, {case.atlas: 8})


def test_a_score_for_another_tenders_bid_or_criterion_is_refused(
    make, client_org, case, client_admin
):
    other = scenario(make, client_org, vendor_names=("Delta", "Echo", "Fox"))
    foreign_bid = {"bid_id": other.atlas.id, "criterion_id": case.quality.id, "score": 5}
    foreign_criterion = {"bid_id": case.atlas.id, "criterion_id": other.quality.id, "score": 5}
    price = {"bid_id": case.atlas.id, "criterion_id": case.price.id, "score": 5}
    for item in (foreign_bid, foreign_criterion, price):
        with pytest.raises(RuleError) as refused:
            in_client(case, operations.score_bids, client_admin, case.tender, [item])
        assert refused.value.field == "scores"
    assert _scores_of(case) == []


@pytest.mark.parametrize("value", [11, -1, "7.5", "lots"])
def test_a_score_is_a_whole_number_from_0_to_10(case, client_admin, value):
    with pytest.raises(RuleError, match="whole number from 0 to 10"):
        score(case, client_admin, {case.atlas: value})


def test_a_comment_needs_a_score(case, client_admin):
    with pytest.raises(RuleError, match="score with each comment"):
        score(case, client_admin, {case.atlas: (None, "Looks good")})


# --- The award ------------------------------------------------------------------------


def test_award_makes_one_winner_and_tells_every_bidder_its_own_outcome(case, manager):
    award(case, manager, case.birch, "Best service levels for the price.")
    [tender] = read(case.client, select(Tender).where(Tender.id == case.tender.id))
    assert tender.status == TenderStatus.AWARDED
    assert tender.awarded_bid_id == case.birch.id
    assert tender.award_reason == "Best service levels for the price."
    assert tender.awarded_by_id == manager.id
    assert tender.awarded_at is not None
    assert tender.closed_at == tender.awarded_at

    statuses = {
        bid.vendor.name: bid.status
        for bid in read(case.client, select(Bid).where(Bid.tender_id == case.tender.id))
    }
    assert statuses == {
        "Atlas": BidStatus.NOT_AWARDED,
        "Birch": BidStatus.AWARDED,
        "Cedar": BidStatus.NOT_AWARDED,
    }


def test_award_keeps_a_closing_time_already_recorded(case, manager):
    closed_at = case.tender.bid_deadline + timedelta(minutes=5)
    case.tender.status = TenderStatus.CLOSED
    case.tender.closed_at = closed_at
    db.session.flush()
    award(case, manager, case.atlas)
    assert case.tender.closed_at == closed_at
    assert case.tender.status == TenderStatus.AWARDED


def test_award_notifies_bid_managers_of_their_own_outcome_only(make, case, manager):
    award(case, manager, case.birch)
    winner_admin, winner_viewer = _people(case.birch.vendor)
    loser_admin, loser_viewer = _people(case.atlas.vendor)
    [won] = notifications_of(winner_admin)
    assert won.kind == "bid.awarded"
    assert won.organization_id == case.birch.vendor.id
    assert case.tender.title in won.title
    assert won.link == f"/bids/{case.birch.id}"
    [lost] = notifications_of(loser_admin)
    assert lost.kind == "bid.not_awarded"
    assert lost.link == f"/bids/{case.atlas.id}"
    # Nothing about the winner or any price.
    for text in (lost.title, lost.body):
        assert "Birch" not in text
        assert "65" not in text and "2,500,000" not in text
    assert notifications_of(winner_viewer) == [] and notifications_of(loser_viewer) == []


def _people(vendor):
    admin = members_of(vendor.id, [Role.ADMIN])[0]
    viewer = members_of(vendor.id, [Role.VIEWER])[0]
    return admin, viewer


def test_award_is_audited_in_the_client_and_in_each_vendor(case, manager):
    award(case, manager, case.atlas, "Cheapest and strong.")
    [event] = events(case.client, "tender.awarded")
    assert event.actor_id == manager.id
    assert event.before["status"] == "published"
    assert event.after["status"] == "awarded"
    assert event.after["awarded_bid_id"] == case.atlas.id
    assert event.after["award_reason"] == "Cheapest and strong."
    [won] = events(case.atlas.vendor, "bid.awarded")
    assert (won.target_id, won.before, won.after) == (
        case.atlas.id,
        {"status": "submitted"},
        {"status": "awarded"},
    )
    [lost] = events(case.birch.vendor, "bid.not_awarded")
    assert lost.target_id == case.birch.id
    assert events(case.birch.vendor, "tender.awarded") == []
    assert events(case.client, "bid.awarded") == []


def test_award_sends_the_tender_awarded_signal_once(case, manager):
    received = []

    def listener(tender, **extra):
        received.append((tender.id, extra["bid"].id, extra["actor"].id))

    with operations.tender_awarded.connected_to(listener):
        award(case, manager, case.cedar)
    assert received == [(case.tender.id, case.cedar.id, manager.id)]


def test_award_is_refused_before_the_deadline_to_the_second(make, client_org, manager):
    deadline = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    case = scenario(make, client_org, deadline=deadline)
    with freeze_time(deadline - timedelta(seconds=1)), pytest.raises(RuleError, match="sealed"):
        award(case, manager, case.atlas)
    assert case.tender.status == TenderStatus.PUBLISHED
    assert case.atlas.status == BidStatus.SUBMITTED
    with freeze_time(deadline):
        award(case, manager, case.atlas)
    assert case.tender.status == TenderStatus.AWARDED


@pytest.mark.parametrize("status", ["draft", "withdrawn", "superseded"])
def test_only_a_submitted_bid_can_be_awarded(make, case, manager, status):
    late = make.organization(name="Late", kind="vendor")
    bid = make.bid(late, case.tender, status=status)
    with pytest.raises(RuleError, match="Only a submitted bid") as refused:
        award(case, manager, bid)
    assert refused.value.field == "bid_id"
    assert case.tender.status == TenderStatus.PUBLISHED


def test_a_bid_of_another_tender_cannot_be_awarded(make, client_org, case, manager):
    other = scenario(make, client_org, vendor_names=("Delta", "Echo", "Fox"))
    with pytest.raises(RuleError, match="this tender's bids"):
        award(case, manager, other.atlas)


def test_one_winner_per_tender(case, manager):
    award(case, manager, case.atlas)
    with pytest.raises(RuleError, match="already been awarded"):
        award(case, manager, case.birch)
    # Two requests at once both read the tender before either awarded it: the
    # second one's stale copy passes the checks, and the guarded update refuses.
    set_committed_value(case.tender, "status", TenderStatus.CLOSED)
    set_committed_value(case.tender, "awarded_bid_id", None)
    set_committed_value(case.birch, "status", BidStatus.SUBMITTED)
    with pytest.raises(RuleError, match="already been awarded"):
        in_client(case, operations.award_tender, manager, case.tender, case.birch, "Again")
    assert len(events(case.client, "tender.awarded")) == 1
    assert case.tender.awarded_bid_id == case.atlas.id


def test_award_needs_a_reason(case, manager):
    with pytest.raises(RuleError) as refused:
        award(case, manager, case.atlas, "   ")
    assert refused.value.field == "reason"


@pytest.mark.parametrize(
    ("status", "message"), [("cancelled", "cancelled"), ("draft", "not been published")]
)
def test_a_cancelled_or_unpublished_tender_cannot_be_awarded(case, manager, status, message):
    case.tender.status = TenderStatus(status)
    db.session.flush()
    with pytest.raises(RuleError, match=message):
        award(case, manager, case.atlas)

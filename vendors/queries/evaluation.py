"""Read-only queries of evaluation: the comparison matrix of sealed bids, and one bid.

The client reads a tender's bids only through the wall, which opens them at
the deadline's second and only once submitted (``Bid.visible_to``); these
queries rely on it and never cross it. They also name the sealed statuses
themselves, so that an organization that is a vendor too never finds one of
its own drafts among the bids it evaluates.

``comparison_matrix`` hands out plain dataclasses (ids, names, Decimals), so
the page and the API show the same figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import db, tenancy
from portal.functions.baseline import baseline_of
from portal.models import User
from vendors import rules
from vendors.forms.profiles import LOCATION_KIND_LABELS  # noqa: F401 - the one list of labels
from vendors.models import (
    BID_SEALED_STATUSES,
    Better,
    Bid,
    BidAttachment,
    BidPriceLine,
    BidScore,
    BidStatus,
    LocationKind,
    PriceLineKind,
    Tender,
    TenderStatus,
)
from vendors.queries import bids as bid_queries

PRICING_MODEL_LABELS = {
    PriceLineKind.FIXED_MONTHLY: _l("Fixed monthly fee"),
    PriceLineKind.PER_UNIT: _l("Price per unit"),
    PriceLineKind.PER_FTE: _l("Price per FTE"),
}

BID_STATUS_LABELS = {
    BidStatus.SUBMITTED: _l("Submitted"),
    BidStatus.AWARDED: _l("Awarded"),
    BidStatus.NOT_AWARDED: _l("Not awarded"),
}


def pricing_model_label(kind: PriceLineKind | str) -> str:
    return str(PRICING_MODEL_LABELS[PriceLineKind(kind)])


def is_opened(tender: Tender, now: datetime) -> bool:
    """Whether the tender's bids are open to its client: published and the deadline reached.

    The same instant as the wall's (``bid_deadline <= now``).
    """
    return tender.status != TenderStatus.DRAFT and tender.bid_deadline <= now


# --- The comparison matrix ------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    id: int
    name: str
    weight: int
    is_price: bool


@dataclass(frozen=True)
class SlaRow:
    id: int
    metric: str
    unit: str
    target: Decimal
    better: Better


@dataclass(frozen=True)
class SlaCell:
    """A bid's committed level against one requirement."""

    requirement_id: int
    #: None when the bid commits nothing for it (counted as falling short).
    committed: Decimal | None
    weaker: bool

    @property
    def met(self) -> bool:
        return not self.weaker


@dataclass(frozen=True)
class ScoreCell:
    """A bid's points on one criterion."""

    criterion_id: int
    #: None until somebody scores it (never shown as zero).
    points: Decimal | None
    #: The evaluators' average score out of 10; None for price (computed, never scored).
    average: Decimal | None = None
    #: How many evaluators scored this bid on this criterion.
    evaluators: int = 0
    #: The current evaluator's own score and comment.
    own_score: int | None = None
    own_comment: str = ""


@dataclass
class BidColumn:
    bid_id: int
    vendor_id: int
    vendor_name: str
    #: The vendor is a captive shared-services centre (of whichever client).
    captive: bool
    status: BidStatus
    version: int
    submitted_at: datetime | None
    delivery_location: str
    location_kind: LocationKind | None
    pricing_models: list[PriceLineKind]
    monthly_price: Decimal
    transition_cost: Decimal
    projected_total: Decimal
    sla: list[SlaCell]
    scores: list[ScoreCell]
    total_points: Decimal
    #: Every criterion has points (price always does; others once scored).
    complete: bool
    rank: int = 0
    against_baseline: rules.AgainstBaseline | None = None

    def score_for(self, criterion_id: int) -> ScoreCell | None:
        return next((cell for cell in self.scores if cell.criterion_id == criterion_id), None)

    @property
    def weaker_commitments(self) -> int:
        return sum(1 for cell in self.sla if cell.weaker)


@dataclass(frozen=True)
class Award:
    bid_id: int
    vendor_name: str
    reason: str
    awarded_at: datetime | None
    awarded_by: str | None


@dataclass
class Matrix:
    tender_id: int
    currency: str
    term_months: int
    monthly_volume: Decimal
    volume_unit: str
    criteria: list[CriterionRow]
    sla: list[SlaRow]
    bids: list[BidColumn]
    #: How many different evaluators have scored at least one bid.
    evaluator_count: int
    #: The function's in-house cost a month, when it has one in the tender's currency.
    baseline_monthly: Decimal | None
    award: Award | None
    #: The current evaluator's own scores: (bid id, criterion id) → (score, comment).
    own_scores: dict[tuple[int, int], tuple[int, str]] = field(default_factory=dict)

    @property
    def scored_criteria(self) -> list[CriterionRow]:
        return [criterion for criterion in self.criteria if not criterion.is_price]

    @property
    def submitted_bids(self) -> list[BidColumn]:
        """Bids still in the running (before the award, every bid)."""
        return [bid for bid in self.bids if bid.status == BidStatus.SUBMITTED]

    def score_sheet(self) -> list[tuple[int, int, int | None, str]]:
        """The current evaluator's sheet: (bid id, criterion id, score, comment) per cell."""
        return [
            (bid.bid_id, criterion.id, *self.own_scores.get((bid.bid_id, criterion.id), (None, "")))
            for bid in self.submitted_bids
            for criterion in self.scored_criteria
        ]


def _falls_short(requirement, committed: Decimal | None) -> bool:
    """A commitment weaker than the requirement; committing nothing falls short too."""
    if committed is None:
        return True
    return rules.is_weaker(requirement.better, requirement.target, committed)


def _ranks(totals: dict[int, Decimal]) -> dict[int, int]:
    """1 for the most points; equal totals share a rank (1, 1, 3)."""
    ordered = sorted(totals.values(), reverse=True)
    return {bid_id: ordered.index(total) + 1 for bid_id, total in totals.items()}


def sealed_bids(tender: Tender) -> list[Bid]:
    """The tender's bids the client may compare, with what the matrix shows of them.

    Four statements whatever the number of bids: the bids with their vendor,
    then their lines and their commitments.
    """
    statement = (
        select(Bid)
        .where(Bid.tender_id == tender.id, Bid.status.in_(BID_SEALED_STATUSES))
        .options(
            joinedload(Bid.vendor),
            selectinload(Bid.price_lines),
            selectinload(Bid.sla_commitments),
        )
        .order_by(Bid.id)
    )
    return list(db.session.scalars(statement).unique())


def _scores(bid_ids: list[int], criterion_ids: set[int]) -> list[BidScore]:
    if not bid_ids:
        return []
    statement = select(BidScore).where(
        BidScore.bid_id.in_(bid_ids), BidScore.criterion_id.in_(criterion_ids)
    )
    return list(db.session.scalars(statement))


def _award(tender: Tender, bids: list[Bid]) -> Award | None:
    if tender.awarded_bid_id is None:
        return None
    winner = next((bid for bid in bids if bid.id == tender.awarded_bid_id), None)
    awarded_by = None
    if tender.awarded_by_id is not None:
        statement = select(User.full_name).where(User.id == tender.awarded_by_id)
        awarded_by = db.session.scalar(statement)
    return Award(
        bid_id=tender.awarded_bid_id,
        vendor_name=winner.vendor.name if winner is not None else "",
        reason=tender.award_reason or "",
        awarded_at=tender.awarded_at,
        awarded_by=awarded_by,
    )


def _baseline_monthly(tender: Tender) -> Decimal | None:
    """The in-house monthly cost to compare bids with, if the function has one.

    Only in the tender's own currency: amounts in two currencies are never compared.
    """
    function = tender.function
    if function is None or function.currency != tender.currency:
        return None
    monthly = baseline_of(function).monthly
    return monthly if monthly > 0 else None


def comparison_matrix(tender: Tender, evaluator_id: int | None, now: datetime) -> Matrix | None:
    """The comparison of a tender's sealed bids, or None while they are sealed.

    A constant number of statements whatever the number of bids (bids,
    lines, commitments, scores, plus the tender's criteria, requirements,
    function and, once awarded, who awarded it).
    """
    if not is_opened(tender, now):
        return None
    criteria = [CriterionRow(c.id, c.name, c.weight, c.is_price) for c in tender.criteria]
    requirements = [
        SlaRow(r.id, r.metric, r.unit, r.target, Better(r.better)) for r in tender.sla_requirements
    ]
    bids = sealed_bids(tender)
    bid_ids = [bid.id for bid in bids]
    scored_ids = {criterion.id for criterion in criteria if not criterion.is_price}
    scores = _scores(bid_ids, scored_ids)

    by_cell: dict[tuple[int, int], list[int]] = defaultdict(list)
    own: dict[tuple[int, int], tuple[int, str]] = {}
    for score in scores:
        by_cell[(score.bid_id, score.criterion_id)].append(score.score)
        if score.evaluator_id == evaluator_id:
            own[(score.bid_id, score.criterion_id)] = (score.score, score.comment)

    totals = {
        bid.id: rules.projected_total(
            bid.price_lines,
            tender.monthly_volume,
            tender.term_months,
            bid.transition_cost,
            tender.currency,
        )
        for bid in bids
    }
    price = next((criterion for criterion in criteria if criterion.is_price), None)
    price_points = rules.price_points(totals, price.weight) if price else {}
    baseline_monthly = _baseline_monthly(tender)

    columns = []
    for bid in bids:
        committed = {c.requirement_id: c.committed for c in bid.sla_commitments}
        sla = [
            SlaCell(r.id, committed.get(r.id), _falls_short(r, committed.get(r.id)))
            for r in requirements
        ]
        cells = []
        for criterion in criteria:
            if criterion.is_price:
                cells.append(ScoreCell(criterion.id, price_points.get(bid.id)))
                continue
            values = by_cell.get((bid.id, criterion.id), [])
            own_score, own_comment = own.get((bid.id, criterion.id), (None, ""))
            cells.append(
                ScoreCell(
                    criterion.id,
                    rules.criterion_points(values, criterion.weight),
                    rules.average_score(values),
                    len(values),
                    own_score,
                    own_comment,
                )
            )
        points = [cell.points for cell in cells]
        columns.append(
            BidColumn(
                bid_id=bid.id,
                vendor_id=bid.organization_id,
                vendor_name=bid.vendor.name,
                captive=bid.vendor.is_captive,
                status=BidStatus(bid.status),
                version=bid.version,
                submitted_at=bid.submitted_at,
                delivery_location=bid.delivery_location,
                location_kind=bid.location_kind,
                pricing_models=rules.pricing_models(bid.price_lines),
                monthly_price=rules.monthly_price(
                    bid.price_lines, tender.monthly_volume, tender.currency
                ),
                transition_cost=bid.transition_cost,
                projected_total=totals[bid.id],
                sla=sla,
                scores=cells,
                total_points=sum((p for p in points if p is not None), start=Decimal("0.00")),
                complete=all(p is not None for p in points),
                against_baseline=(
                    rules.against_baseline(
                        baseline_monthly, totals[bid.id], tender.term_months, tender.currency
                    )
                    if baseline_monthly is not None
                    else None
                ),
            )
        )
    ranks = _ranks({column.bid_id: column.total_points for column in columns})
    for column in columns:
        column.rank = ranks[column.bid_id]
    columns.sort(key=lambda column: (column.vendor_name.casefold(), column.bid_id))

    return Matrix(
        tender_id=tender.id,
        currency=tender.currency,
        term_months=tender.term_months,
        monthly_volume=tender.monthly_volume,
        volume_unit=tender.volume_unit,
        criteria=criteria,
        sla=requirements,
        bids=columns,
        evaluator_count=len({score.evaluator_id for score in scores}),
        baseline_monthly=baseline_monthly,
        award=_award(tender, bids),
        own_scores=own,
    )


# --- One bid, as the client reads it --------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    line: BidPriceLine
    monthly_amount: Decimal


@dataclass
class BidDetail:
    bid: Bid
    lines: list[LineRow]
    monthly_price: Decimal
    projected_total: Decimal
    commitments: list[bid_queries.CommitmentRow]
    attachments: list[BidAttachment]


def opened_bid_or_404(tender: Tender, bid_id: int, now: datetime) -> Bid:
    """One of the tender's sealed bids, once opened; anything else is a 404.

    The wall already hides a bid before the deadline and any bid not
    submitted; the check is repeated here so that a page never depends on
    one line of SQL alone.
    """
    bid = tenancy.child_or_404(tender, "bids", bid_id)
    if not is_opened(tender, now) or bid.status not in BID_SEALED_STATUSES:
        abort(404)
    return bid


def bid_detail(tender: Tender, bid: Bid) -> BidDetail:
    """A submitted bid as the client reads it: the vendor's own pricing and commitments."""
    pricing = bid_queries.pricing(bid, tender)
    return BidDetail(
        bid=bid,
        lines=[LineRow(line, amount) for line, amount in pricing.lines],
        monthly_price=pricing.monthly,
        projected_total=pricing.total,
        commitments=bid_queries.commitment_rows(bid, tender),
        attachments=list(bid.attachments),
    )

"""Read-only queries of the vendor side: the marketplace, a tender as a vendor sees it,
and the vendor's own bids.

Everything here runs as the current (vendor) organization, behind the wall. The
wall already hides what the vendor may not see; the queries still name the
vendor's own organization on bids, so an organization that is also a client
never finds its own tenders' bids here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.sql import Select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import BackOfficeFunction
from portal.pagination import Page, paginate
from vendors import rules
from vendors.models import (
    TENDER_PUBLIC_STATUSES,
    Bid,
    BidStatus,
    ClarificationQuestion,
    Tender,
    TenderInvitation,
    TenderSlaRequirement,
    TenderStatus,
)

#: A bid that stands for the vendor on a tender (submitted, or decided).
LIVE_STATUSES = (BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED)


@dataclass
class BidState:
    """Every version of the current vendor's bid on one tender, oldest first."""

    versions: list[Bid] = field(default_factory=list)

    @property
    def draft(self) -> Bid | None:
        return next((bid for bid in self.versions if bid.status == BidStatus.DRAFT), None)

    @property
    def live(self) -> Bid | None:
        """The submitted (or awarded / not awarded) version, if any."""
        return next((bid for bid in self.versions if bid.status in LIVE_STATUSES), None)

    @property
    def latest(self) -> Bid | None:
        return self.versions[-1] if self.versions else None

    @property
    def current(self) -> Bid | None:
        """The version the vendor works on or stands by."""
        return self.draft or self.live or self.latest

    @property
    def is_replacing(self) -> bool:
        """A new draft is open while the submitted version still stands."""
        return self.draft is not None and self.live is not None


def _own_bids():
    return select(Bid).where(Bid.organization_id == tenancy.require_organization_id())


def bid_state(tender: Tender) -> BidState:
    """The current vendor's bid versions on ``tender``, with what the pages show of them."""
    statement = (
        _own_bids()
        .where(Bid.tender_id == tender.id)
        .options(
            selectinload(Bid.price_lines),
            selectinload(Bid.sla_commitments),
            selectinload(Bid.attachments),
            joinedload(Bid.reopened_by_addendum),
        )
        .order_by(Bid.version, Bid.id)
    )
    return BidState(list(db.session.scalars(statement)))


def bid_history(bid: Bid) -> list[Bid]:
    """Every version of this bid's vendor on its tender, oldest first."""
    statement = _own_bids().where(Bid.tender_id == bid.tender_id).order_by(Bid.version, Bid.id)
    return list(db.session.scalars(statement))


def function_key(tender: Tender) -> str | None:
    """The catalogue key of the tendered function.

    The function is the client's record, behind the wall for a vendor; only its
    catalogue key is public, read here through the table itself.
    """
    return function_keys([tender]).get(tender.function_id)


def function_keys(tenders: list[Tender]) -> dict[int, str | None]:
    ids = {tender.function_id for tender in tenders}
    if not ids:
        return {}
    functions = BackOfficeFunction.__table__
    statement = select(functions.c.id, functions.c.catalogue_key).where(functions.c.id.in_(ids))
    return dict(db.session.execute(statement).tuples().all())


def _invited_tender_ids(tender_ids: list[int]) -> set[int]:
    if not tender_ids:
        return set()
    invitations = TenderInvitation.__table__
    statement = select(invitations.c.tender_id).where(
        invitations.c.tender_id.in_(tender_ids),
        invitations.c.vendor_organization_id == tenancy.require_organization_id(),
    )
    return set(db.session.scalars(statement))


def _states_by_tender(tender_ids: list[int]) -> dict[int, BidState]:
    states: dict[int, BidState] = defaultdict(BidState)
    if tender_ids:
        statement = _own_bids().where(Bid.tender_id.in_(tender_ids)).order_by(Bid.version, Bid.id)
        for bid in db.session.scalars(statement):
            states[bid.tender_id].versions.append(bid)
    return states


# --- The marketplace ------------------------------------------------------------------


@dataclass
class MarketplaceRow:
    tender: Tender
    function_key: str | None
    invited: bool
    bids: BidState


def marketplace_statement(filters: dict[str, Any]) -> Select:
    """Tenders the current vendor may bid on or has seen, open ones first.

    ``filters``: ``function`` (catalogue key), ``location`` (preference),
    ``deadline`` (``open``, ``7``, ``30`` days, or ``all``), ``invited_only``.
    """
    organization_id = tenancy.require_organization_id()
    now = utcnow()
    is_open = and_(Tender.status == TenderStatus.PUBLISHED, Tender.bid_deadline > now)
    statement = (
        select(Tender)
        # The wall shows an organization that is also a client its own tenders, drafts
        # included: the marketplace is only other clients' published ones.
        .where(
            Tender.organization_id != organization_id,
            Tender.status.in_(TENDER_PUBLIC_STATUSES),
        )
        .options(joinedload(Tender.organization))
    )
    deadline = filters.get("deadline") or "open"
    if deadline != "all":
        statement = statement.where(is_open)
    if deadline in ("7", "30"):
        statement = statement.where(Tender.bid_deadline <= now + timedelta(days=int(deadline)))
    if filters.get("function"):
        functions = BackOfficeFunction.__table__
        statement = statement.where(
            Tender.function_id.in_(
                select(functions.c.id).where(functions.c.catalogue_key == filters["function"])
            )
        )
    if filters.get("location"):
        statement = statement.where(Tender.location_preference == filters["location"])
    if filters.get("invited_only"):
        invitations = TenderInvitation.__table__
        statement = statement.where(
            Tender.id.in_(
                select(invitations.c.tender_id).where(
                    invitations.c.vendor_organization_id == organization_id
                )
            )
        )
    statement = statement.order_by(
        case((is_open, 0), else_=1),
        # Open: the soonest deadline first; closed: the most recent first.
        case((is_open, Tender.bid_deadline), else_=None),
        Tender.bid_deadline.desc(),
        Tender.id,
    )
    return statement


def marketplace(filters: dict[str, Any], page: int | None = 1) -> Page:
    """A page of ``marketplace_statement`` with what each row shows of the vendor's side."""
    result = paginate(marketplace_statement(filters), page)
    tenders = result.items
    ids = [tender.id for tender in tenders]
    keys = function_keys(tenders)
    invited = _invited_tender_ids(ids)
    states = _states_by_tender(ids)
    result.items = [
        MarketplaceRow(
            tender, keys.get(tender.function_id), tender.id in invited, states[tender.id]
        )
        for tender in tenders
    ]
    return result


def is_invited(tender: Tender) -> bool:
    return tender.id in _invited_tender_ids([tender.id])


# --- A tender as the vendor sees it ---------------------------------------------------


@dataclass
class TenderQuestions:
    #: Answered questions, each with whether the current organization asked it.
    answered: list[tuple[ClarificationQuestion, bool]]
    #: The current organization's questions still waiting for an answer.
    pending: list[ClarificationQuestion]


def tender_questions(tender: Tender) -> TenderQuestions:
    """Answered questions (any asker, never named) and the vendor's own pending ones."""
    organization_id = tenancy.require_organization_id()
    statement = (
        select(ClarificationQuestion)
        .where(ClarificationQuestion.tender_id == tender.id)
        .order_by(ClarificationQuestion.asked_at, ClarificationQuestion.id)
    )
    answered, pending = [], []
    for question in db.session.scalars(statement):
        own = question.organization_id == organization_id
        if question.answered_at is not None:
            answered.append((question, own))
        elif own:
            pending.append(question)
    return TenderQuestions(answered, pending)


# --- One bid --------------------------------------------------------------------------


@dataclass
class Pricing:
    """A bid's price as the tender's volume and term make it, computed by ``vendors.rules``."""

    currency: str
    #: Each line with what it costs a month.
    lines: list[tuple[Any, Decimal]]
    monthly: Decimal
    total: Decimal
    transition_cost: Decimal


def pricing(bid: Bid, tender: Tender) -> Pricing:
    volume = Decimal(tender.monthly_volume)
    lines = [
        (line, rules.line_monthly_amount(line, volume, bid.currency)) for line in bid.price_lines
    ]
    transition = Decimal(bid.transition_cost or 0)
    return Pricing(
        currency=bid.currency,
        lines=lines,
        monthly=rules.monthly_price(bid.price_lines, volume, bid.currency),
        total=rules.projected_total(
            bid.price_lines, volume, tender.term_months, transition, bid.currency
        ),
        transition_cost=transition,
    )


@dataclass
class CommitmentRow:
    requirement: TenderSlaRequirement
    committed: Decimal | None

    @property
    def weaker(self) -> bool:
        return self.committed is not None and rules.is_weaker(
            self.requirement.better, self.requirement.target, self.committed
        )


def commitment_rows(bid: Bid | None, tender: Tender) -> list[CommitmentRow]:
    """Each SLA requirement of the tender with the bid's commitment (None: not given)."""
    committed = {c.requirement_id: c.committed for c in bid.sla_commitments} if bid else {}
    return [
        CommitmentRow(requirement, committed.get(requirement.id))
        for requirement in tender.sla_requirements
    ]


def bid_form_data(bid: Bid, tender: Tender) -> dict[str, Any]:
    """A saved draft as the bid form's initial data."""
    return {
        "price_lines": [
            {
                "kind": line.kind.value,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in bid.price_lines
        ],
        "transition_cost": bid.transition_cost,
        "commitments": [row.committed for row in commitment_rows(bid, tender)],
        "delivery_location": bid.delivery_location,
        "location_kind": bid.location_kind.value if bid.location_kind else "",
        "narrative": bid.narrative,
    }


# --- The vendor's bids ----------------------------------------------------------------


@dataclass
class BidRow:
    #: The newest version (a replacement draft, while one is open).
    latest: Bid
    #: The version that stands for the vendor, if any (may be ``latest`` itself).
    live: Bid | None


def my_bids(page: int | None = 1) -> Page:
    """The current vendor's latest bid version per tender, most recently changed first."""
    newer = aliased(Bid)
    latest_version = (
        select(func.max(newer.version))
        .where(newer.tender_id == Bid.tender_id, newer.organization_id == Bid.organization_id)
        .scalar_subquery()
    )
    statement = (
        _own_bids()
        .where(Bid.version == latest_version)
        .options(joinedload(Bid.tender).joinedload(Tender.organization))
        .order_by(Bid.updated_at.desc(), Bid.id.desc())
    )
    result = paginate(statement, page)
    tender_ids = [bid.tender_id for bid in result.items]
    live = {}
    if tender_ids:
        statement = _own_bids().where(Bid.tender_id.in_(tender_ids), Bid.status.in_(LIVE_STATUSES))
        live = {bid.tender_id: bid for bid in db.session.scalars(statement)}
    result.items = [BidRow(bid, live.get(bid.tender_id)) for bid in result.items]
    return result

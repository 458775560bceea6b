"""Read-only queries of the client's tenders.

Pages load a tender with ``own_tender_or_404``: the wall also lets a client
that is a vendor too see other clients' published tenders, and those are
never the client's pages to show. Queries that cross the wall (who bid on a
tender, which tenders are due to close) are for operations only, and never
hand bids to a view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import abort
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql import Select

from portal import db, tenancy
from portal.i18n import moment, number
from portal.models import BackOfficeFunction, Organization, OrganizationKind
from portal.pagination import Page, paginate
from vendors.models import (
    Bid,
    BidStatus,
    ClarificationQuestion,
    LocationPreference,
    Tender,
    TenderAddendum,
    TenderInvitation,
    TenderStatus,
    TenderVisibility,
)

TENDER_STATUS_LABELS = {
    TenderStatus.DRAFT: _l("Draft"),
    TenderStatus.PUBLISHED: _l("Open for bids"),
    TenderStatus.CLOSED: _l("Closed"),
    TenderStatus.AWARDED: _l("Awarded"),
    TenderStatus.CANCELLED: _l("Cancelled"),
}

LOCATION_PREFERENCE_LABELS = {
    LocationPreference.ANY: _l("Any location"),
    LocationPreference.ONSHORE: _l("Onshore"),
    LocationPreference.NEARSHORE: _l("Nearshore"),
    LocationPreference.OFFSHORE: _l("Offshore"),
    LocationPreference.CAPTIVE: _l("Captive centre"),
}

VISIBILITY_LABELS = {
    TenderVisibility.OPEN: _l("Open to every vendor"),
    TenderVisibility.INVITED: _l("Invited vendors only"),
}

#: Bids whose vendor is still in the running: told of addenda, answers, cancellation.
ACTIVE_BID_STATUSES = (BidStatus.DRAFT, BidStatus.SUBMITTED)

_VENDOR_KINDS = (OrganizationKind.VENDOR, OrganizationKind.BOTH)


def status_label(status: TenderStatus | str) -> str:
    return str(TENDER_STATUS_LABELS[TenderStatus(status)])


# --- The client's tenders -------------------------------------------------------------


def own_tender_or_404(tender_id: int) -> Tender:
    """One of the current organization's own tenders, or 404."""
    statement = select(Tender).where(
        Tender.id == tender_id, Tender.organization_id == tenancy.require_organization_id()
    )
    tender = db.session.scalars(statement).one_or_none()
    if tender is None:
        abort(404)
    return tender


def tender_page(tender_id: int) -> Tender:
    """The client's tender with everything its page shows, in a fixed number of queries."""
    statement = (
        select(Tender)
        .where(Tender.id == tender_id, Tender.organization_id == tenancy.require_organization_id())
        .options(
            joinedload(Tender.function),
            joinedload(Tender.created_by),
            selectinload(Tender.sla_requirements),
            selectinload(Tender.criteria),
            selectinload(Tender.invitations).joinedload(TenderInvitation.vendor),
            selectinload(Tender.addenda),
        )
    )
    tender = db.session.scalars(statement).unique().one_or_none()
    if tender is None:
        abort(404)
    return tender


#: Filters of the list, by the phase people read (a published tender past its
#: deadline lists as closed).
STATUS_FILTERS = tuple(TenderStatus)


def _phase_is(status: TenderStatus, now: datetime):
    if status == TenderStatus.PUBLISHED:
        return and_(Tender.status == TenderStatus.PUBLISHED, Tender.bid_deadline > now)
    if status == TenderStatus.CLOSED:
        return or_(
            Tender.status == TenderStatus.CLOSED,
            and_(Tender.status == TenderStatus.PUBLISHED, Tender.bid_deadline <= now),
        )
    return Tender.status == status


def tenders_statement(status: TenderStatus | None, now: datetime) -> Select:
    """The current organization's tenders, newest first (by the phase people read)."""
    statement = (
        select(Tender)
        .where(Tender.organization_id == tenancy.require_organization_id())
        .options(joinedload(Tender.function), selectinload(Tender.invitations))
        .order_by(Tender.created_at.desc(), Tender.id.desc())
    )
    if status is not None:
        statement = statement.where(_phase_is(status, now))
    return statement


def tenders(status: TenderStatus | None, page: int, now: datetime) -> Page:
    """A page of the current organization's tenders, newest first."""
    return paginate(tenders_statement(status, now), page)


def functions() -> list[BackOfficeFunction]:
    """The functions of the register a tender can be written for."""
    return list(db.session.scalars(select(BackOfficeFunction).order_by(BackOfficeFunction.name)))


def function_or_none(function_id: Any) -> BackOfficeFunction | None:
    """A function of the current organization's register (through the wall)."""
    try:
        function_id = int(function_id)
    except (TypeError, ValueError):
        return None
    statement = select(BackOfficeFunction).where(BackOfficeFunction.id == function_id)
    return db.session.scalars(statement).one_or_none()


def questions(tender: Tender) -> list[ClarificationQuestion]:
    """Every question on the client's tender, unanswered first, oldest first."""
    statement = (
        select(ClarificationQuestion)
        .where(ClarificationQuestion.tender_id == tender.id)
        .order_by(
            ClarificationQuestion.answered_at.is_not(None),
            ClarificationQuestion.asked_at,
            ClarificationQuestion.id,
        )
    )
    return list(db.session.scalars(statement))


def organization_names(ids: Iterable[int]) -> dict[int, str]:
    """Names of organizations by id (the client may see which vendor asked)."""
    ids = set(ids)
    if not ids:
        return {}
    statement = select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    return dict(db.session.execute(statement).tuples().all())


# --- Vendors --------------------------------------------------------------------------


def vendor_organizations(ids: Iterable[int]) -> dict[int, Organization]:
    """The vendor organizations among ``ids`` (clients are left out)."""
    ids = {int(i) for i in ids}
    if not ids:
        return {}
    statement = select(Organization).where(
        Organization.id.in_(ids), Organization.kind.in_(_VENDOR_KINDS)
    )
    return {org.id: org for org in db.session.scalars(statement)}


def invited_vendor_ids(tender: Tender) -> set[int]:
    statement = select(TenderInvitation.vendor_organization_id).where(
        TenderInvitation.tender_id == tender.id
    )
    return set(db.session.scalars(statement))


def bidder_ids(tender: Tender) -> set[int]:
    """Vendors with a draft or submitted bid on the tender, across the wall.

    For operations that must tell bidders something; the client never sees it.
    """
    statement = tenancy.across_tenants(
        select(Bid.organization_id)
        .where(Bid.tender_id == tender.id, Bid.status.in_(ACTIVE_BID_STATUSES))
        .distinct()
    )
    return set(db.session.scalars(statement))


def due_tenders(now: datetime) -> list[Tender]:
    """Published tenders of every client whose deadline has passed (for ``close-due``)."""
    statement = tenancy.across_tenants(
        select(Tender)
        .where(Tender.status == TenderStatus.PUBLISHED, Tender.bid_deadline <= now)
        .order_by(Tender.bid_deadline, Tender.id)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(statement))


def next_addendum_number(tender: Tender) -> int:
    statement = select(func.max(TenderAddendum.number)).where(TenderAddendum.tender_id == tender.id)
    return (db.session.scalar(statement) or 0) + 1


# --- Addenda, as people read them -----------------------------------------------------

#: The material terms an addendum may change, and what they are called.
ADDENDUM_FIELD_LABELS = {
    "scope": _l("Scope of work"),
    "monthly_volume": _l("Monthly volume"),
    "volume_unit": _l("Volume unit"),
    "term_months": _l("Contract term (months)"),
    "start_date": _l("Start date"),
    "location_preference": _l("Location preference"),
    "bid_deadline": _l("Bid deadline"),
}

#: Key prefix of an SLA target's change: ``sla_target:<requirement id>``.
SLA_TARGET_PREFIX = "sla_target:"


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "bid_deadline":
        return moment(datetime.fromisoformat(value))
    if field == "start_date":
        return format_date(date.fromisoformat(value))
    if field == "location_preference":
        return str(LOCATION_PREFERENCE_LABELS.get(LocationPreference(value), value))
    if field in ("monthly_volume", "term_months") or field.startswith(SLA_TARGET_PREFIX):
        return number(Decimal(str(value)))
    return str(value)


def addendum_changes(addendum: TenderAddendum, tender: Tender) -> list[ChangeLine]:
    """An addendum's changes as lines to show (label, before, after), in the reader's terms.

    ``TenderAddendum.changes`` holds ``{field: [before, after]}`` with JSON
    values (decimals as strings, dates and moments in ISO 8601, UTC); SLA
    targets are keyed ``sla_target:<requirement id>``.
    """
    requirements = {str(r.id): r for r in tender.sla_requirements}
    lines = []
    for field, (before, after) in addendum.changes.items():
        if field.startswith(SLA_TARGET_PREFIX):
            requirement = requirements.get(field.removeprefix(SLA_TARGET_PREFIX))
            metric = requirement.metric if requirement else field
            unit = f" {requirement.unit}" if requirement else ""
            label = str(_l("SLA target: %(metric)s", metric=metric))
            lines.append(
                ChangeLine(label, _shown(field, before) + unit, _shown(field, after) + unit)
            )
        else:
            label = str(ADDENDUM_FIELD_LABELS.get(field, field))
            lines.append(ChangeLine(label, _shown(field, before), _shown(field, after)))
    return lines

"""Models of tendering: vendor profiles, tenders, clarification questions, bids,
evaluation scores and the award.

Who sees what is DESIGN.md's tenancy table, written once per model as
``visible_to`` (see ``portal.tenancy.Walled``): a published tender is seen by
the vendors it is open to, a bid by its vendor and, once submitted and the
deadline passed, by the tender's client; no vendor ever sees another's bid.
Vendor profiles are the directory, public to every signed-in organization.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.db import Base, TimestampMixin, utcnow
from portal.models import BackOfficeFunction, Organization, OrganizationKind, User, _enum
from portal.tenancy import TenantOwned

#: SLA targets and commitments: percentages with decimals, hours, days.
SlaValue = Numeric(12, 4)


class LocationKind(enum.StrEnum):
    ONSHORE = "onshore"
    NEARSHORE = "nearshore"
    OFFSHORE = "offshore"


class LocationPreference(enum.StrEnum):
    ANY = "any"
    ONSHORE = "onshore"
    NEARSHORE = "nearshore"
    OFFSHORE = "offshore"
    CAPTIVE = "captive"


class TenderVisibility(enum.StrEnum):
    OPEN = "open"
    INVITED = "invited"


class TenderStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


#: The tender life cycle; operations refuse any other move.
TENDER_TRANSITIONS: dict[TenderStatus, frozenset[TenderStatus]] = {
    TenderStatus.DRAFT: frozenset({TenderStatus.PUBLISHED, TenderStatus.CANCELLED}),
    TenderStatus.PUBLISHED: frozenset({TenderStatus.CLOSED, TenderStatus.CANCELLED}),
    TenderStatus.CLOSED: frozenset({TenderStatus.AWARDED, TenderStatus.CANCELLED}),
    TenderStatus.AWARDED: frozenset(),
    TenderStatus.CANCELLED: frozenset(),
}

#: Statuses in which vendors can see a tender at all (never a draft).
TENDER_PUBLIC_STATUSES = (
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.AWARDED,
    TenderStatus.CANCELLED,
)


class Better(enum.StrEnum):
    """Which direction of an SLA value is better."""

    HIGHER = "higher"
    LOWER = "lower"


class BidStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    #: Replaced by a newer version from the same vendor; kept as history.
    SUPERSEDED = "superseded"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


#: Statuses of a bid the client may see once the deadline has passed.
BID_SEALED_STATUSES = (BidStatus.SUBMITTED, BidStatus.AWARDED, BidStatus.NOT_AWARDED)

BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.DRAFT: frozenset({BidStatus.SUBMITTED, BidStatus.WITHDRAWN}),
    # An addendum sends a submitted bid back to draft for its vendor to confirm.
    BidStatus.SUBMITTED: frozenset(
        {
            BidStatus.DRAFT,
            BidStatus.WITHDRAWN,
            BidStatus.SUPERSEDED,
            BidStatus.AWARDED,
            BidStatus.NOT_AWARDED,
        }
    ),
    BidStatus.WITHDRAWN: frozenset(),
    BidStatus.SUPERSEDED: frozenset(),
    BidStatus.AWARDED: frozenset(),
    BidStatus.NOT_AWARDED: frozenset(),
}


class PriceLineKind(enum.StrEnum):
    #: ``unit_price`` is the monthly fee.
    FIXED_MONTHLY = "fixed_monthly"
    #: ``unit_price`` per unit of the tender's volume unit; quantity is the tender's volume.
    PER_UNIT = "per_unit"
    #: ``unit_price`` per FTE per month; ``quantity`` is the number of FTEs.
    PER_FTE = "per_fte"


# --- The vendor directory -------------------------------------------------------------


class VendorProfile(TimestampMixin, Base):
    """A vendor's public face in the directory (one per vendor organization).

    Deliberately outside the wall: a directory exists to be read by every
    client. Only the vendor's own members change it (operations load it by
    the current organization).
    """

    __tablename__ = "vendor_profiles"
    __table_args__ = (CheckConstraint("headcount >= 0", name="headcount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    #: Shown in the directory only once the vendor says so.
    listed: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    headcount: Mapped[int] = mapped_column(default=0)
    website: Mapped[str | None] = mapped_column(String(300))

    organization: Mapped[Organization] = relationship()
    functions: Mapped[list[VendorFunction]] = relationship(
        cascade="all, delete-orphan", order_by="VendorFunction.catalogue_key"
    )
    locations: Mapped[list[VendorLocation]] = relationship(
        cascade="all, delete-orphan", order_by="VendorLocation.id"
    )
    languages: Mapped[list[VendorLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="VendorLanguage.code"
    )
    certifications: Mapped[list[VendorCertification]] = relationship(
        cascade="all, delete-orphan", order_by="VendorCertification.standard"
    )

    def __repr__(self) -> str:
        return f"<VendorProfile {self.id} org={self.organization_id}>"


class VendorFunction(Base):
    """A catalogue function the vendor serves."""

    __tablename__ = "vendor_functions"
    __table_args__ = (UniqueConstraint("profile_id", "catalogue_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.id", ondelete="CASCADE"), index=True
    )
    catalogue_key: Mapped[str] = mapped_column(String(40), index=True)

    def __repr__(self) -> str:
        return f"<VendorFunction {self.catalogue_key}>"


class VendorLocation(Base):
    """A delivery centre, and whether it is onshore, nearshore or offshore for its clients."""

    __tablename__ = "vendor_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.id", ondelete="CASCADE"), index=True
    )
    city: Mapped[str] = mapped_column(String(100))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[LocationKind] = mapped_column(_enum(LocationKind, "location_kind"), index=True)
    headcount: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<VendorLocation {self.city} {self.kind}>"


class VendorLanguage(Base):
    __tablename__ = "vendor_languages"
    __table_args__ = (UniqueConstraint("profile_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.id", ondelete="CASCADE"), index=True
    )
    #: ISO 639-1 code (``en``, ``fr``…), named in the reader's language when shown.
    code: Mapped[str] = mapped_column(String(8), index=True)

    def __repr__(self) -> str:
        return f"<VendorLanguage {self.code}>"


class VendorCertification(Base):
    __tablename__ = "vendor_certifications"
    __table_args__ = (UniqueConstraint("profile_id", "standard"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.id", ondelete="CASCADE"), index=True
    )
    #: Key in ``vendors.certifications.CERTIFICATIONS`` (``iso_27001``…).
    standard: Mapped[str] = mapped_column(String(40), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    #: An expired certification is shown as such and no longer matches a filter.
    expires_on: Mapped[date] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"<VendorCertification {self.standard} until {self.expires_on}>"


# --- Tenders --------------------------------------------------------------------------


class Tender(TenantOwned, TimestampMixin, Base):
    """A client's call for bids to run one of its registered functions."""

    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("monthly_volume >= 0", name="volume_not_negative"),
        Index("ix_tenders_status_deadline", "status", "bid_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    function_id: Mapped[int] = mapped_column(
        ForeignKey("back_office_functions.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")
    #: Copied from the function when the tender is created; bids are priced in it.
    currency: Mapped[str] = mapped_column(String(3))
    monthly_volume: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    #: What the volume counts, e.g. "supplier invoices" (per-unit prices are per one of these).
    volume_unit: Mapped[str] = mapped_column(String(80), default="")
    term_months: Mapped[int] = mapped_column(default=36)
    start_date: Mapped[date] = mapped_column(Date)
    location_preference: Mapped[LocationPreference] = mapped_column(
        _enum(LocationPreference, "location_preference"), default=LocationPreference.ANY
    )
    #: Stored in UTC, shown in each reader's time zone. Bids open to the client at this instant.
    bid_deadline: Mapped[datetime]
    visibility: Mapped[TenderVisibility] = mapped_column(
        _enum(TenderVisibility, "tender_visibility"), default=TenderVisibility.INVITED
    )
    status: Mapped[TenderStatus] = mapped_column(
        _enum(TenderStatus, "tender_status"), default=TenderStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The award, recorded for the contracts package to turn into a contract.
    awarded_bid_id: Mapped[int | None] = mapped_column(
        ForeignKey("bids.id", ondelete="RESTRICT", use_alter=True)
    )
    award_reason: Mapped[str | None] = mapped_column(Text)
    awarded_at: Mapped[datetime | None]
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    function: Mapped[BackOfficeFunction] = relationship()
    organization: Mapped[Organization] = relationship(foreign_keys="Tender.organization_id")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sla_requirements: Mapped[list[TenderSlaRequirement]] = relationship(
        cascade="all, delete-orphan", order_by="TenderSlaRequirement.position"
    )
    criteria: Mapped[list[EvaluationCriterion]] = relationship(
        cascade="all, delete-orphan", order_by="EvaluationCriterion.position"
    )
    invitations: Mapped[list[TenderInvitation]] = relationship(
        cascade="all, delete-orphan", back_populates="tender"
    )
    addenda: Mapped[list[TenderAddendum]] = relationship(
        cascade="all, delete-orphan", order_by="TenderAddendum.number"
    )
    questions: Mapped[list[ClarificationQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="ClarificationQuestion.asked_at"
    )
    bids: Mapped[list[Bid]] = relationship(
        foreign_keys="Bid.tender_id", back_populates="tender", order_by="Bid.id"
    )
    awarded_bid: Mapped[Bid | None] = relationship(foreign_keys=[awarded_bid_id], post_update=True)

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        return or_(
            cls.organization_id == organization_id,
            cls.id.in_(published_tender_ids_for_vendor(organization_id)),
        )

    def phase(self, now: datetime) -> TenderStatus:
        """The status as people read it: a published tender past its deadline is closed.

        The stored status catches up when ``close_due_tenders`` runs; every rule
        reads the deadline itself, so that lag never matters.
        """
        if self.status == TenderStatus.PUBLISHED and self.bid_deadline <= now:
            return TenderStatus.CLOSED
        return self.status

    def is_open_for_bids(self, now: datetime) -> bool:
        return self.status == TenderStatus.PUBLISHED and now < self.bid_deadline

    @property
    def price_criterion(self) -> EvaluationCriterion | None:
        return next((c for c in self.criteria if c.is_price), None)

    def __repr__(self) -> str:
        return f"<Tender {self.id} {self.status} {self.title!r}>"


def published_tender_ids_for_vendor(organization_id):
    """Ids of the tenders an organization sees as a vendor (Core: no second wall pass).

    Published (or later) and either open to every vendor organization, or
    addressed to this one by invitation. Never a draft.
    """
    tenders = Tender.__table__
    invitations = TenderInvitation.__table__
    organizations = Organization.__table__
    is_vendor = exists().where(
        organizations.c.id == organization_id,
        organizations.c.kind.in_([OrganizationKind.VENDOR.value, OrganizationKind.BOTH.value]),
    )
    invited = exists().where(
        invitations.c.tender_id == tenders.c.id,
        invitations.c.vendor_organization_id == organization_id,
    )
    return select(tenders.c.id).where(
        tenders.c.status.in_([status.value for status in TENDER_PUBLIC_STATUSES]),
        or_(and_(tenders.c.visibility == TenderVisibility.OPEN.value, is_vendor), invited),
    )


class TenderSlaRequirement(Base):
    """A service level the tender requires; each bid commits a level against it."""

    __tablename__ = "tender_sla_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Key in ``vendors.sla_library`` when picked from it; None for a custom metric.
    library_key: Mapped[str | None] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(200))
    #: "%", "hours", "days"…
    unit: Mapped[str] = mapped_column(String(30))
    target: Mapped[Decimal] = mapped_column(SlaValue)
    better: Mapped[Better] = mapped_column(_enum(Better, "better"))

    def __repr__(self) -> str:
        return f"<TenderSlaRequirement {self.metric} {self.better} {self.target}>"


class EvaluationCriterion(Base):
    """A weighted criterion; the weights of a tender sum to 100 and price is always one."""

    __tablename__ = "evaluation_criteria"
    __table_args__ = (
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),
        # One price criterion per tender (a partial unique index works on both databases).
        Index(
            "uq_evaluation_criteria_one_price",
            "tender_id",
            unique=True,
            sqlite_where=text("is_price"),
            postgresql_where=text("is_price"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int] = mapped_column(Integer)
    #: The price criterion is scored by computation, never by evaluators.
    is_price: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<EvaluationCriterion {self.name} {self.weight}>"


class TenderInvitation(TenantOwned, Base):
    """A vendor invited to bid; seen by the client and by the invited vendor."""

    __tablename__ = "tender_invitations"
    __table_args__ = (UniqueConstraint("tender_id", "vendor_organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    vendor_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)

    tender: Mapped[Tender] = relationship(back_populates="invitations")
    vendor: Mapped[Organization] = relationship(foreign_keys=[vendor_organization_id])

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        return or_(
            cls.organization_id == organization_id,
            cls.vendor_organization_id == organization_id,
        )

    def __repr__(self) -> str:
        return f"<TenderInvitation tender={self.tender_id} vendor={self.vendor_organization_id}>"


class TenderAddendum(Base):
    """A change to a published tender's material terms, told to every bidder."""

    __tablename__ = "tender_addenda"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3… per tender.
    number: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)
    #: ``{field: [before, after]}`` of the material terms it changed, as shown to bidders.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<TenderAddendum {self.tender_id}/{self.number}>"


class ClarificationQuestion(TenantOwned, Base):
    """A vendor's question on a tender; owned by the asking vendor.

    Seen by its asker, by the tender's client, and, once answered, by every
    organization that sees the tender; the asker is never named to anyone
    but its own organization.
    """

    __tablename__ = "clarification_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tender: Mapped[Tender] = relationship(back_populates="questions")

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        tenders = Tender.__table__
        return or_(
            cls.organization_id == organization_id,
            cls.tender_id.in_(
                select(tenders.c.id).where(tenders.c.organization_id == organization_id)
            ),
            and_(
                cls.answered_at.is_not(None),
                cls.tender_id.in_(published_tender_ids_for_vendor(organization_id)),
            ),
        )

    def __repr__(self) -> str:
        return f"<ClarificationQuestion {self.id} tender={self.tender_id}>"


# --- Bids -----------------------------------------------------------------------------


class Bid(TenantOwned, TimestampMixin, Base):
    """A vendor's offer on a tender; owned by the vendor, sealed until the deadline.

    One version per row: replacing a submitted bid makes a new row that
    supersedes it, so earlier versions stay readable to their vendor.
    """

    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint("transition_cost >= 0", name="transition_cost_not_negative"),
        # At most one draft and one submitted bid per vendor and tender.
        Index(
            "uq_bids_one_draft",
            "tender_id",
            "organization_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        Index(
            "uq_bids_one_submitted",
            "tender_id",
            "organization_id",
            unique=True,
            sqlite_where=text("status IN ('submitted', 'awarded', 'not_awarded')"),
            postgresql_where=text("status IN ('submitted', 'awarded', 'not_awarded')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    status: Mapped[BidStatus] = mapped_column(
        _enum(BidStatus, "bid_status"), default=BidStatus.DRAFT
    )
    #: 1 for the first bid of this vendor on this tender, +1 per replacement.
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id", ondelete="SET NULL"))
    #: Same as the tender's.
    currency: Mapped[str] = mapped_column(String(3))
    transition_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    delivery_location: Mapped[str] = mapped_column(String(200), default="")
    location_kind: Mapped[LocationKind | None] = mapped_column(_enum(LocationKind, "location_kind"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    #: Set when an addendum sent this submitted bid back for its vendor to confirm.
    reopened_by_addendum_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_addenda.id", ondelete="SET NULL")
    )

    tender: Mapped[Tender] = relationship(foreign_keys=[tender_id], back_populates="bids")
    vendor: Mapped[Organization] = relationship(foreign_keys="Bid.organization_id")
    supersedes: Mapped[Bid | None] = relationship(remote_side="Bid.id")
    reopened_by_addendum: Mapped[TenderAddendum | None] = relationship()
    price_lines: Mapped[list[BidPriceLine]] = relationship(
        cascade="all, delete-orphan", order_by="BidPriceLine.position"
    )
    sla_commitments: Mapped[list[BidSlaCommitment]] = relationship(
        cascade="all, delete-orphan", order_by="BidSlaCommitment.id"
    )
    attachments: Mapped[list[BidAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="BidAttachment.id"
    )

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        tenders = Tender.__table__
        opened_to_client = select(tenders.c.id).where(
            tenders.c.organization_id == organization_id,
            tenders.c.bid_deadline <= now,
        )
        return or_(
            cls.organization_id == organization_id,
            and_(
                cls.status.in_([status.value for status in BID_SEALED_STATUSES]),
                cls.tender_id.in_(opened_to_client),
            ),
        )

    def __repr__(self) -> str:
        return f"<Bid {self.id} tender={self.tender_id} v{self.version} {self.status}>"


class BidPriceLine(Base):
    __tablename__ = "bid_price_lines"
    __table_args__ = (
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[PriceLineKind] = mapped_column(_enum(PriceLineKind, "price_line_kind"))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: FTEs for a per-FTE line; unused otherwise (a per-unit line uses the tender's volume).
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: Monthly fee, price per unit, or monthly rate per FTE, in the bid's currency.
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))

    def __repr__(self) -> str:
        return f"<BidPriceLine {self.kind} {self.unit_price}>"


class BidSlaCommitment(Base):
    __tablename__ = "bid_sla_commitments"
    __table_args__ = (UniqueConstraint("bid_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("tender_sla_requirements.id", ondelete="CASCADE")
    )
    committed: Mapped[Decimal] = mapped_column(SlaValue)

    requirement: Mapped[TenderSlaRequirement] = relationship()

    def __repr__(self) -> str:
        return f"<BidSlaCommitment req={self.requirement_id} {self.committed}>"


class BidAttachment(Base):
    """A PDF attached to a bid, checked by its content; reached only through its bid.

    The bytes live in the database: they commit and roll back with the bid,
    and any application host can serve them.
    """

    __tablename__ = "bid_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<BidAttachment {self.id} {self.filename}>"


class BidScore(TenantOwned, TimestampMixin, Base):
    """One evaluator's score of one bid on one (non-price) criterion; the client's alone."""

    __tablename__ = "bid_scores"
    __table_args__ = (
        UniqueConstraint("bid_id", "criterion_id", "evaluator_id"),
        CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_criteria.id", ondelete="CASCADE"), index=True
    )
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: 0 (fails the criterion) to 10 (excellent); the weight turns it into points.
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    evaluator: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<BidScore bid={self.bid_id} crit={self.criterion_id} {self.score}>"

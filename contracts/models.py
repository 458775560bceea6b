"""Models of contracts, their versioned terms (rate card and SLA set), delivery
reports and the SLA results of accepted reports.

A contract, its reports and their results are shared by exactly two parties
(``SharedBetweenParties``): the client and the vendor, nobody else. The terms
live in versions: version 1 is what the vendor accepted, each amendment adds a
version with the first month it applies to, and every period is evaluated
against the version in force on its first day. Children (versions, rate-card
lines, metrics, report values, results) have no wall of their own: they are
only ever loaded through their walled parent.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, utcnow
from portal.models import BackOfficeFunction, Organization, User, _enum
from portal.tenancy import SharedBetweenParties
from vendors.models import Better, SlaValue

#: Percentages of fees (service credits, their cap, VAT rates): 0.00 to 100.00.
Percent = Numeric(5, 2)
#: Rates of the rate card: unit prices keep four decimals, like bids.
Rate = Numeric(14, 4)


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    #: Sent to the vendor, waiting for its acceptance.
    SENT = "sent"
    ACTIVE = "active"
    #: Ran to its end date (recorded by ``flask contracts run-due``).
    EXPIRED = "expired"
    TERMINATED = "terminated"
    #: A draft the client dropped before the vendor accepted it.
    CANCELLED = "cancelled"


#: The contract life cycle; operations refuse any other move. A vendor's
#: rejection sends a sent contract back to draft, with its reason kept.
CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.SENT, ContractStatus.CANCELLED}),
    ContractStatus.SENT: frozenset(
        {ContractStatus.ACTIVE, ContractStatus.DRAFT, ContractStatus.CANCELLED}
    ),
    ContractStatus.ACTIVE: frozenset({ContractStatus.EXPIRED, ContractStatus.TERMINATED}),
    ContractStatus.EXPIRED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}


class VatTreatment(enum.StrEnum):
    #: VAT at ``vat_rate``: both parties in the same country.
    DOMESTIC = "domestic"
    #: Intra-EU B2B services: the client accounts for the VAT.
    REVERSE_CHARGE = "reverse_charge"
    #: Services to or from outside the EU.
    OUT_OF_SCOPE = "out_of_scope"
    #: A captive centre's internal chargeback: no VAT, no payment.
    INTERNAL = "internal"


class RateKind(enum.StrEnum):
    #: ``rate`` is the monthly fee.
    FIXED_MONTHLY = "fixed_monthly"
    #: ``rate`` per unit of ``unit``; the vendor reports the volume each period.
    PER_UNIT = "per_unit"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DISPUTED = "disputed"
    ACCEPTED = "accepted"
    #: A disputed version replaced by its corrected resubmission; kept as history.
    SUPERSEDED = "superseded"


REPORT_TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.DRAFT: frozenset({ReportStatus.SUBMITTED}),
    ReportStatus.SUBMITTED: frozenset({ReportStatus.ACCEPTED, ReportStatus.DISPUTED}),
    ReportStatus.DISPUTED: frozenset({ReportStatus.SUPERSEDED}),
    ReportStatus.ACCEPTED: frozenset(),
    ReportStatus.SUPERSEDED: frozenset(),
}

#: Statuses of which a period holds at most one report at a time.
LIVE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


class SlaOutcome(enum.StrEnum):
    MET = "met"
    BREACHED = "breached"
    #: Worse than the metric's critical threshold.
    CRITICAL = "critical"
    #: No value reported for the period: counted as breached.
    MISSING = "missing"


# --- Contracts ----------------------------------------------------------------------


class Contract(SharedBetweenParties, TimestampMixin, Base):
    """An agreement between a client and a vendor to run one back-office function."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="term_not_negative"),
        CheckConstraint(
            "payment_terms_days >= 0 AND payment_terms_days <= 120", name="payment_terms_range"
        ),
        CheckConstraint("transition_cost >= 0", name="transition_cost_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        CheckConstraint("client_organization_id <> vendor_organization_id", name="two_parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    vendor_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: The client's function; the vendor cannot read it (the register is the
    #: client's), so ``title`` and ``catalogue_key`` say what is delivered.
    function_id: Mapped[int] = mapped_column(
        ForeignKey("back_office_functions.id", ondelete="RESTRICT"), index=True
    )
    #: The award this contract came from; None for a direct contract.
    tender_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenders.id", ondelete="SET NULL"), unique=True
    )
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    catalogue_key: Mapped[str | None] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    #: The end date of the latest version (an amendment may extend the term).
    end_date: Mapped[date] = mapped_column(Date)
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    vat_treatment: Mapped[VatTreatment] = mapped_column(_enum(VatTreatment, "vat_treatment"))
    #: Percent; used when the treatment is domestic.
    vat_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    #: One-off cost of moving the function to the vendor (savings analytics).
    transition_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    status: Mapped[ContractStatus] = mapped_column(
        _enum(ContractStatus, "contract_status"), default=ContractStatus.DRAFT, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The vendor's reason when it last sent the draft back.
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None]
    #: Last day of service of a contract ended early.
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    terminated_at: Mapped[datetime | None]
    terminated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    client: Mapped[Organization] = relationship(foreign_keys=[client_organization_id])
    vendor: Mapped[Organization] = relationship(foreign_keys=[vendor_organization_id])
    #: None when read by the vendor: the register stays behind the client's wall.
    function: Mapped[BackOfficeFunction | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    versions: Mapped[list[ContractVersion]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractVersion.number"
    )
    reports: Mapped[list[DeliveryReport]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="DeliveryReport.id"
    )

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        """Its client; its vendor once the client has sent it.

        A draft never sent is the client's working copy (one drafted from an
        award included); a draft the vendor sent back stays visible to it.
        """
        return or_(
            cls.client_organization_id == organization_id,
            and_(cls.vendor_organization_id == organization_id, cls.sent_at.is_not(None)),
        )

    @property
    def current_version(self) -> ContractVersion:
        """The latest version: the one a draft edits, and the terms in force from now on."""
        return self.versions[-1]

    def version_for(self, period: date) -> ContractVersion:
        """The version in force on the first day of ``period``."""
        in_force = [version for version in self.versions if version.effective_from <= period]
        return in_force[-1] if in_force else self.versions[0]

    @property
    def last_service_day(self) -> date:
        return self.terminated_on or self.end_date

    def __repr__(self) -> str:
        parties = f"client={self.client_organization_id} vendor={self.vendor_organization_id}"
        return f"<Contract {self.id} {self.status} {parties}>"


class ContractVersion(Base):
    """The terms of a contract from ``effective_from`` on: rate card, SLA set, caps.

    Version 1 is edited while the contract is a draft and frozen once sent;
    each amendment of an active contract adds the next version.
    """

    __tablename__ = "contract_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        UniqueConstraint("contract_id", "effective_from"),
        CheckConstraint(
            "credit_cap_percent >= 0 AND credit_cap_percent <= 100", name="credit_cap_range"
        ),
        CheckConstraint(
            "monthly_minimum IS NULL OR monthly_minimum >= 0", name="monthly_minimum_not_negative"
        ),
        CheckConstraint(
            "retained_governance_monthly >= 0", name="retained_governance_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    #: First day of the first month these terms apply to.
    effective_from: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    #: Why this version exists: empty for the original terms, the amendment's reason after.
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Fees of a month are at least this much, whatever the volumes; None for no minimum.
    monthly_minimum: Mapped[Decimal | None]
    #: Service credits of one period are capped at this percent of its fees.
    credit_cap_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    #: What the client still spends each month to govern the contract (savings analytics).
    retained_governance_monthly: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contract: Mapped[Contract] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    rate_lines: Mapped[list[RateCardLine]] = relationship(
        cascade="all, delete-orphan", order_by="RateCardLine.position"
    )
    metrics: Mapped[list[SlaMetric]] = relationship(
        cascade="all, delete-orphan", order_by="SlaMetric.position"
    )

    @property
    def currency(self) -> str:
        return self.contract.currency

    @property
    def unit_lines(self) -> list[RateCardLine]:
        return [line for line in self.rate_lines if line.kind is RateKind.PER_UNIT]

    @property
    def fixed_lines(self) -> list[RateCardLine]:
        return [line for line in self.rate_lines if line.kind is RateKind.FIXED_MONTHLY]

    def __repr__(self) -> str:
        return f"<ContractVersion {self.contract_id} v{self.number} from {self.effective_from}>"


class RateCardLine(Base):
    """A line of the rate card: a fixed monthly fee, or a rate per unit delivered."""

    __tablename__ = "rate_card_lines"
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        CheckConstraint("rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    #: Stable name of the line in CSV files and the API, kept across versions.
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[RateKind] = mapped_column(_enum(RateKind, "rate_kind"))
    description: Mapped[str] = mapped_column(String(200))
    #: The volume unit of a per-unit line ("supplier invoice"); empty for a fixed fee.
    unit: Mapped[str] = mapped_column(String(80), default="")
    rate: Mapped[Decimal] = mapped_column(Rate)

    def __repr__(self) -> str:
        return f"<RateCardLine {self.code} {self.kind} {self.rate}>"


class SlaMetric(Base):
    """A service level of the contract and the credit its breach costs."""

    __tablename__ = "sla_metrics"
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        CheckConstraint(
            "credit_percent >= 0 AND credit_percent <= 100", name="credit_percent_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    #: Stable name of the metric in CSV files and the API, kept across versions.
    code: Mapped[str] = mapped_column(String(40))
    #: Key in ``vendors.sla_library`` when it came from there.
    library_key: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30))
    target: Mapped[Decimal] = mapped_column(SlaValue)
    better: Mapped[Better] = mapped_column(_enum(Better, "better"))
    #: A value worse than this is a critical breach; None when the metric has none.
    critical_threshold: Mapped[Decimal | None] = mapped_column(SlaValue)
    #: Percent of the period's fees credited to the client when the metric is breached.
    credit_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))

    def __repr__(self) -> str:
        return f"<SlaMetric {self.code} {self.better} {self.target}>"


# --- Delivery reports -----------------------------------------------------------------


class DeliveryReport(SharedBetweenParties, TimestampMixin, Base):
    """What the vendor delivered in one month: volumes per unit-rate line, a value per metric.

    One row per version: a disputed report is corrected as a new version that
    supersedes it once submitted. An accepted report is frozen, and carries
    its SLA results.
    """

    __tablename__ = "delivery_reports"
    __table_args__ = (
        UniqueConstraint("contract_id", "period", "version"),
        # At most one draft, submitted or accepted report per period.
        Index(
            "uq_delivery_reports_one_live",
            "contract_id",
            "period",
            unique=True,
            sqlite_where=text("status IN ('draft', 'submitted', 'accepted')"),
            postgresql_where=text("status IN ('draft', 'submitted', 'accepted')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    #: The contract's parties, copied so that the wall is one comparison.
    client_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    vendor_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: First day of the reported month.
    period: Mapped[date] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(default=1)
    #: The terms in force on the period's first day.
    contract_version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE")
    )
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_reports.id", ondelete="SET NULL")
    )
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT, index=True
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    #: How the values came in: "form", "csv" or "api".
    source: Mapped[str] = mapped_column(String(10), default="form")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The client's overall reason when disputing; item reasons are on the values.
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the report is accepted (the SLA results of the period):
    #: The period's fees: fixed lines plus volumes × rates, at least the monthly minimum.
    fees_amount: Mapped[Decimal | None]
    #: Sum of the breached metrics' credits before the cap.
    credit_uncapped: Mapped[Decimal | None]
    #: The service credit due for the period, after the cap.
    credit_amount: Mapped[Decimal | None]
    metrics_met: Mapped[int | None]
    metrics_total: Mapped[int | None]

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        """Its vendor; its client once submitted (a draft is the vendor's work in progress)."""
        return or_(
            cls.vendor_organization_id == organization_id,
            and_(
                cls.client_organization_id == organization_id,
                cls.status != ReportStatus.DRAFT.value,
            ),
        )

    contract: Mapped[Contract] = relationship(back_populates="reports")
    contract_version: Mapped[ContractVersion] = relationship()
    supersedes: Mapped[DeliveryReport | None] = relationship(remote_side="DeliveryReport.id")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    volumes: Mapped[list[ReportVolume]] = relationship(
        cascade="all, delete-orphan", order_by="ReportVolume.id"
    )
    measurements: Mapped[list[ReportMeasurement]] = relationship(
        cascade="all, delete-orphan", order_by="ReportMeasurement.id"
    )
    results: Mapped[list[SlaResult]] = relationship(
        cascade="all, delete-orphan", order_by="SlaResult.id"
    )

    def __repr__(self) -> str:
        period = f"{self.period:%Y-%m} v{self.version}"
        return f"<DeliveryReport {self.id} contract={self.contract_id} {period} {self.status}>"


class ReportVolume(Base):
    """The volume delivered in the period on one unit-rate line."""

    __tablename__ = "report_volumes"
    __table_args__ = (
        UniqueConstraint("report_id", "line_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_reports.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int] = mapped_column(ForeignKey("rate_card_lines.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(String(500), default="")
    #: The client's reason when it disputes this value.
    dispute_reason: Mapped[str | None] = mapped_column(Text)

    line: Mapped[RateCardLine] = relationship()

    def __repr__(self) -> str:
        return f"<ReportVolume report={self.report_id} line={self.line_id} {self.quantity}>"


class ReportMeasurement(Base):
    """The value measured in the period for one SLA metric; None when not reported."""

    __tablename__ = "report_measurements"
    __table_args__ = (UniqueConstraint("report_id", "metric_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_reports.id", ondelete="CASCADE"), index=True
    )
    metric_id: Mapped[int] = mapped_column(ForeignKey("sla_metrics.id", ondelete="CASCADE"))
    value: Mapped[Decimal | None] = mapped_column(SlaValue)
    note: Mapped[str] = mapped_column(String(500), default="")
    dispute_reason: Mapped[str | None] = mapped_column(Text)

    metric: Mapped[SlaMetric] = relationship()

    def __repr__(self) -> str:
        return f"<ReportMeasurement report={self.report_id} metric={self.metric_id} {self.value}>"


class SlaResult(Base):
    """How one metric came out in an accepted period, frozen with the report."""

    __tablename__ = "sla_results"
    __table_args__ = (
        UniqueConstraint("report_id", "metric_id"),
        CheckConstraint("credit_amount >= 0", name="credit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_reports.id", ondelete="CASCADE"), index=True
    )
    metric_id: Mapped[int] = mapped_column(ForeignKey("sla_metrics.id", ondelete="CASCADE"))
    #: Copied from the metric and the report, so that history reads in one query.
    code: Mapped[str] = mapped_column(String(40))
    period: Mapped[date] = mapped_column(Date)
    target: Mapped[Decimal] = mapped_column(SlaValue)
    actual: Mapped[Decimal | None] = mapped_column(SlaValue)
    outcome: Mapped[SlaOutcome] = mapped_column(_enum(SlaOutcome, "sla_outcome"))
    #: The metric's credit percent when breached, else 0.
    credit_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    #: The credit this breach costs before the period's cap.
    credit_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))

    metric: Mapped[SlaMetric] = relationship()

    def __repr__(self) -> str:
        return f"<SlaResult {self.code} {self.period:%Y-%m} {self.outcome}>"


class ReportReminder(Base):
    """The vendor was told that a period closed without a report (sent once)."""

    __tablename__ = "report_reminders"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ReportReminder contract={self.contract_id} {self.period:%Y-%m}>"

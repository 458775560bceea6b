"""Models of invoicing between the parties: invoices and credit notes with their
lines, the issuer's gapless number sequence, payments, and Stripe's records.

An invoice is the issuing vendor's: it sees its drafts; the client sees an
invoice only once issued (``Invoice.visible_to``). Once issued an invoice is
never edited: the fields that make it a legal document are frozen by a
session hook (at the end of this module), corrections are credit notes, which
are invoices of their own kind in the same number sequence.
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
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    inspect,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from contracts.models import Contract, DeliveryReport, VatTreatment
from portal.db import Base, TimestampMixin, utcnow
from portal.models import Organization, User, _enum
from portal.tenancy import SharedBetweenParties, TenantOwned

Percent = Numeric(5, 2)
#: Quantities and unit prices keep four decimals (rates of the rate card); amounts two.
Quantity = Numeric(14, 4)
UnitPrice = Numeric(14, 4)


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    #: The vendor prepares it; the client does not see it.
    DRAFT = "draft"
    #: Numbered, frozen, sent: the client approves or disputes it.
    ISSUED = "issued"
    APPROVED = "approved"
    DISPUTED = "disputed"
    #: Payments reached the total (net of credit notes).
    PAID = "paid"
    #: A captive centre's chargeback, approved: nothing is paid.
    SETTLED = "settled"
    #: Fully credited by credit notes: nothing is left to pay.
    CREDITED = "credited"
    #: A draft the vendor dropped (never numbered).
    CANCELLED = "cancelled"


INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED, InvoiceStatus.CANCELLED}),
    InvoiceStatus.ISSUED: frozenset(
        {
            InvoiceStatus.APPROVED,
            InvoiceStatus.DISPUTED,
            InvoiceStatus.PAID,
            InvoiceStatus.SETTLED,
            InvoiceStatus.CREDITED,
        }
    ),
    InvoiceStatus.DISPUTED: frozenset(
        {InvoiceStatus.APPROVED, InvoiceStatus.CREDITED, InvoiceStatus.PAID}
    ),
    InvoiceStatus.APPROVED: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.SETTLED, InvoiceStatus.CREDITED}
    ),
    # A refund reopens a paid invoice.
    InvoiceStatus.PAID: frozenset({InvoiceStatus.APPROVED, InvoiceStatus.ISSUED}),
    InvoiceStatus.SETTLED: frozenset(),
    InvoiceStatus.CREDITED: frozenset(),
    InvoiceStatus.CANCELLED: frozenset(),
}

#: Statuses in which an invoice is a legal document (numbered and frozen).
ISSUED_STATUSES = (
    InvoiceStatus.ISSUED,
    InvoiceStatus.APPROVED,
    InvoiceStatus.DISPUTED,
    InvoiceStatus.PAID,
    InvoiceStatus.SETTLED,
    InvoiceStatus.CREDITED,
)
#: Statuses in which money is still expected.
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.APPROVED, InvoiceStatus.DISPUTED)


class LineKind(enum.StrEnum):
    FIXED_FEE = "fixed_fee"
    #: Volume × unit rate of a rate-card line.
    UNIT_RATE = "unit_rate"
    #: What the monthly minimum adds to the period's fees.
    MINIMUM = "minimum"
    #: A negative line: the period's service credit for breached service levels.
    SERVICE_CREDIT = "service_credit"
    #: Added by the vendor to a draft (pass-through expenses…).
    EXTRA = "extra"
    #: A line of a credit note.
    CREDIT = "credit"


class VatCategory(enum.StrEnum):
    """EN 16931 VAT category codes (UNTDID 5305) used by the portal."""

    STANDARD = "S"
    REVERSE_CHARGE = "AE"
    #: Services outside the scope of EU VAT.
    OUT_OF_SCOPE = "O"
    #: No VAT: a captive centre's internal chargeback.
    NOT_SUBJECT = "E"


class PaymentKind(enum.StrEnum):
    #: A bank transfer the vendor recorded.
    MANUAL = "manual"
    STRIPE = "stripe"


class PaymentStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    REFUNDED = "refunded"


class CheckoutStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"
    FAILED = "failed"


# --- Invoices -------------------------------------------------------------------------


class Invoice(SharedBetweenParties, TimestampMixin, Base):
    """An invoice or a credit note from a vendor (issuer) to a client (recipient)."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("vendor_organization_id", "number_year", "number_sequence"),
        UniqueConstraint("vendor_organization_id", "number"),
        # One invoice per accepted delivery report (a dropped draft does not count).
        Index(
            "uq_invoices_one_per_report",
            "report_id",
            unique=True,
            sqlite_where=text("kind = 'invoice' AND status <> 'cancelled'"),
            postgresql_where=text("kind = 'invoice' AND status <> 'cancelled'"),
        ),
        CheckConstraint(
            "(number IS NULL) = (status IN ('draft', 'cancelled'))", name="numbered_once_issued"
        ),
        CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)",
            name="credit_note_refers_to_invoice",
        ),
        CheckConstraint("amount_paid >= 0", name="amount_paid_not_negative"),
        CheckConstraint("amount_credited >= 0", name="amount_credited_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(
        _enum(InvoiceKind, "invoice_kind"), default=InvoiceKind.INVOICE
    )
    #: The issuer.
    vendor_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: The recipient.
    client_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    #: The accepted delivery report it bills; None for a credit note.
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_reports.id", ondelete="SET NULL"), index=True
    )
    #: The invoice a credit note corrects.
    credited_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT, index=True
    )
    #: ``ACME-2026-00042``: assigned at issue, gapless per issuer and year.
    number: Mapped[str | None] = mapped_column(String(40))
    number_year: Mapped[int | None]
    number_sequence: Mapped[int | None]
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    #: The service period billed (a month for an invoice from a report).
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    vat_treatment: Mapped[VatTreatment] = mapped_column(_enum(VatTreatment, "vat_treatment"))
    #: Sum of the lines (credits negative).
    net_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    #: VAT per rate on the sum of that rate's lines, summed.
    vat_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    gross_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    #: What was paid so far (payments net of refunds).
    amount_paid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    #: What credit notes took off this invoice (their gross totals).
    amount_credited: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    #: The vendor's note printed on the invoice.
    note: Mapped[str] = mapped_column(Text, default="")
    #: The reason of a credit note.
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Both parties' legal identity as printed, copied at issue.
    seller: Mapped[dict | None] = mapped_column(JSON)
    buyer: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    disputed_at: Mapped[datetime | None]
    disputed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    #: When both parties were told it is overdue (told once).
    overdue_notified_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: The PDF/A-3 with its Factur-X XML, produced once at issue; never re-rendered.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The CII XML embedded in the PDF, served as is.
    xml: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    vendor: Mapped[Organization] = relationship(foreign_keys=[vendor_organization_id])
    client: Mapped[Organization] = relationship(foreign_keys=[client_organization_id])
    contract: Mapped[Contract] = relationship()
    report: Mapped[DeliveryReport | None] = relationship()
    credited_invoice: Mapped[Invoice | None] = relationship(
        remote_side="Invoice.id", back_populates="credit_notes"
    )
    credit_notes: Mapped[list[Invoice]] = relationship(
        back_populates="credited_invoice", order_by="Invoice.id"
    )
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="Payment.id"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        """Its issuer; its recipient once issued (a draft is the vendor's work)."""
        return or_(
            cls.vendor_organization_id == organization_id,
            and_(
                cls.client_organization_id == organization_id,
                cls.status.not_in([InvoiceStatus.DRAFT.value, InvoiceStatus.CANCELLED.value]),
            ),
        )

    @property
    def is_issued(self) -> bool:
        return self.status in ISSUED_STATUSES

    @property
    def balance_due(self) -> Decimal:
        """What is left to pay: the total, less credit notes and payments."""
        return self.gross_total - self.amount_credited - self.amount_paid

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.kind} {self.number or 'draft'} {self.status}>"


class InvoiceLine(Base):
    """A line: quantity × unit price, its net amount rounded on its own, its VAT rate."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[LineKind] = mapped_column(_enum(LineKind, "invoice_line_kind"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    #: "supplier invoice", "month"…
    unit: Mapped[str] = mapped_column(String(80), default="")
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    #: quantity × unit price, rounded half-up to the currency's minor unit.
    net_amount: Mapped[Decimal]
    vat_category: Mapped[VatCategory] = mapped_column(_enum(VatCategory, "vat_category"))
    vat_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    #: The rate-card line or SLA metric this line comes from.
    code: Mapped[str | None] = mapped_column(String(40))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    def __repr__(self) -> str:
        return f"<InvoiceLine {self.invoice_id} {self.kind} {self.net_amount}>"


class InvoiceCounter(Base):
    """The last number an issuer gave in a year; its row is locked while issuing."""

    __tablename__ = "invoice_counters"

    vendor_organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    last_sequence: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<InvoiceCounter {self.vendor_organization_id} {self.year}: {self.last_sequence}>"


# --- Payments ---------------------------------------------------------------------------


class Payment(Base):
    """Money received against an invoice: a recorded transfer or a Stripe payment."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("stripe_payment_intent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PaymentKind] = mapped_column(_enum(PaymentKind, "payment_kind"))
    status: Mapped[PaymentStatus] = mapped_column(
        _enum(PaymentStatus, "payment_status"), default=PaymentStatus.SUCCEEDED
    )
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    #: The bank transfer's reference, or Stripe's payment intent.
    reference: Mapped[str] = mapped_column(String(140), default="")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refunded_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Payment {self.id} invoice={self.invoice_id} {self.amount} {self.status}>"


# --- Stripe -------------------------------------------------------------------------------


class StripeAccount(TenantOwned, TimestampMixin, Base):
    """A vendor's connected Stripe account (Connect), as Stripe last reported it."""

    __tablename__ = "stripe_accounts"
    __table_args__ = (UniqueConstraint("organization_id"), UniqueConstraint("account_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``acct_…``: the only source of the account charged, never a request.
    account_id: Mapped[str] = mapped_column(String(255))
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<StripeAccount {self.organization_id} {self.account_id}>"


class CheckoutAttempt(Base):
    """One Stripe Checkout session opened to pay an invoice.

    ``attempt`` numbers them per invoice; the idempotency key sent to Stripe is
    derived from the invoice and the attempt, so a double click opens one session.
    """

    __tablename__ = "checkout_attempts"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt"),
        UniqueConstraint("session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int]
    session_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: The connected account charged (copied from the vendor's StripeAccount).
    account_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[CheckoutStatus] = mapped_column(
        _enum(CheckoutStatus, "checkout_status"), default=CheckoutStatus.OPEN
    )
    #: In the currency's minor units, as sent to Stripe.
    amount_minor: Mapped[int]
    application_fee_minor: Mapped[int] = mapped_column(default=0)
    url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    invoice: Mapped[Invoice] = relationship()

    def __repr__(self) -> str:
        return f"<CheckoutAttempt invoice={self.invoice_id} #{self.attempt} {self.status}>"


class StripeEvent(Base):
    """A webhook event applied; recorded in the same transaction as its effect."""

    __tablename__ = "stripe_events"

    #: Stripe's ``evt_…``.
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    #: The event's own ``created`` time.
    created: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<StripeEvent {self.id} {self.type}>"


# --- Issued invoices are frozen ---------------------------------------------------------
#
# A ``before_flush`` hook looks at every invoice and invoice line about to be
# written. Once an invoice was issued (its status as loaded from the database
# is an issued one), only the fields of its life after issue may change:
# review, payment, credit and reminder fields. Its lines, amounts, number,
# dates, parties and PDF stay as issued; corrections are credit notes. The
# model refuses it, whatever the caller.

#: What may still change on an issued invoice.
MUTABLE_AFTER_ISSUE = frozenset(
    {
        "status",
        "amount_paid",
        "amount_credited",
        "approved_at",
        "approved_by_id",
        "disputed_at",
        "disputed_by_id",
        "dispute_reason",
        "paid_at",
        "settled_at",
        "overdue_notified_at",
        "updated_at",
    }
)


class ImmutableInvoiceError(RuntimeError):
    """An attempt to change an issued invoice (a programming error, never user input)."""


def _issued_as_loaded(invoice: Invoice) -> bool:
    """Whether the invoice was already issued before this change."""
    state = inspect(invoice)
    if state.pending or state.transient:
        return False
    history = state.attrs.status.history
    previous = history.deleted[0] if history.deleted else invoice.status
    return InvoiceStatus(previous) in ISSUED_STATUSES


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_invoices(session: Session, _context, _instances) -> None:
    for record in (*session.dirty, *session.deleted):
        if isinstance(record, Invoice) and _issued_as_loaded(record):
            if record in session.deleted:
                raise ImmutableInvoiceError(f"{record!r} is issued: it cannot be deleted")
            state = inspect(record)
            changed = {
                attribute.key
                for attribute in state.attrs
                if attribute.history.has_changes() and attribute.key not in MUTABLE_AFTER_ISSUE
            }
            # Relationship collections (payments, credit notes) are not the invoice's text.
            changed -= {
                "payments",
                "credit_notes",
                "credited_invoice",
                "vendor",
                "client",
                "contract",
                "report",
                "created_by",
                "lines",
            }
            if changed:
                raise ImmutableInvoiceError(
                    f"{record!r} is issued: {', '.join(sorted(changed))} cannot change"
                )
    for line in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(line, InvoiceLine):
            continue
        invoice = line.invoice
        if invoice is None and line.invoice_id is not None:
            invoice = session.get(Invoice, line.invoice_id)
        if invoice is not None and _issued_as_loaded(invoice):
            raise ImmutableInvoiceError(f"{invoice!r} is issued: its lines cannot change")


# --- Savings analytics settings ---------------------------------------------------------


class SavingsSettings(TenantOwned, TimestampMixin, Base):
    """How a client's finance team wants its savings computed (one row per client)."""

    __tablename__ = "savings_settings"
    __table_args__ = (
        UniqueConstraint("organization_id"),
        CheckConstraint(
            "yearly_inflation_percent >= -50 AND yearly_inflation_percent <= 100",
            name="inflation_range",
        ),
        CheckConstraint(
            "discount_rate_percent >= 0 AND discount_rate_percent <= 100", name="discount_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The in-house baseline grows by this much each year of a contract (salaries, rents).
    yearly_inflation_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    #: The yearly rate at which future savings are discounted (NPV).
    discount_rate_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("8"))
    #: The one-off transition cost spread over the term (True) or taken in the first month.
    transition_amortised: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<SavingsSettings {self.organization_id}>"

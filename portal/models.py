"""Models of the shared machinery: accounts, organizations, audit, notifications,
and the client's register of back-office functions."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, utcnow
from portal.tenancy import TenantOwned


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Store enums by value as portable VARCHAR with a CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        values_callable=lambda members: [m.value for m in members],
        length=32,
    )


class Role(enum.StrEnum):
    ADMIN = "admin"
    PROCUREMENT = "procurement"
    FINANCE = "finance"
    DELIVERY = "delivery"
    VIEWER = "viewer"


class OrganizationKind(enum.StrEnum):
    CLIENT = "client"
    VENDOR = "vendor"
    BOTH = "both"


class Organization(TimestampMixin, Base):
    """A tenant: a client company, a vendor, or both."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Short uppercase code used in invoice numbers later (e.g. ``ACME``).
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(_enum(OrganizationKind, "organization_kind"))
    legal_name: Mapped[str] = mapped_column(String(200))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2))
    vat_number: Mapped[str | None] = mapped_column(String(32))
    #: SIREN/SIRET in France, the company register number elsewhere.
    registration_number: Mapped[str | None] = mapped_column(String(32))
    #: "SAS", "SARL", "Lda"…: printed on French invoices with the share capital.
    legal_form: Mapped[str | None] = mapped_column(String(60))
    #: Share capital in ``default_currency``, printed on invoices.
    share_capital: Mapped[Decimal | None]
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    #: ISO 4217 code of the currency used by default on this organization's records.
    default_currency: Mapped[str] = mapped_column(String(3))
    #: For a captive shared-services centre: the client company that owns it.
    captive_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )

    captive_of: Mapped[Organization | None] = relationship(remote_side="Organization.id")

    @property
    def is_client(self) -> bool:
        return self.kind in (OrganizationKind.CLIENT, OrganizationKind.BOTH)

    @property
    def is_vendor(self) -> bool:
        return self.kind in (OrganizationKind.VENDOR, OrganizationKind.BOTH)

    @property
    def is_captive(self) -> bool:
        return self.captive_of_id is not None

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.slug}>"


class User(UserMixin, TimestampMixin, Base):
    """A person; belongs to organizations through memberships."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case so that lookups and the unique constraint ignore case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: ``en`` or ``fr``.
    locale: Mapped[str] = mapped_column(String(8), default="en")
    #: IANA zone in which dates are shown to this user.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: The organization last switched to; the next login lands there.
    last_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )

    #: Set by the session loader on the loaded instance: the server-side session
    #: this request runs in. Not a column.
    current_session_token = None

    def get_id(self) -> str | None:
        # Flask-Login stores this in the session and remember cookies: it is the
        # server-side session's token, not the user id, so revoking the session
        # row ends every cookie that carries it.
        return self.current_session_token

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Base):
    """A server-side login session; the cookie carries only its random token."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token held in the cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the password was last typed in this session (fresh-login checks).
    authenticated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    #: The organization this session acts for; removal from it ends the session.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class Membership(TenantOwned, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))

    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Membership org={self.organization_id} user={self.user_id} {self.role}>"


class Invitation(TenantOwned, TimestampMixin, Base):
    """An e-mailed, single-use, expiring invitation to join with a role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.email} {self.role}>"


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordResetToken {self.id} user={self.user_id}>"


class EmailChangeRequest(Base):
    """A new e-mail address waiting for its owner to confirm it from that mailbox.

    It belongs to the person, not to an organization. Only the token's hash is
    stored; the account keeps its address until the link is used.
    """

    __tablename__ = "email_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<EmailChangeRequest {self.id} user={self.user_id} {self.new_email}>"


class ApiToken(TenantOwned, TimestampMixin, Base):
    """An organization-scoped API credential; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: First characters of the token, shown so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The role the API acts with (a token never outranks its creator).
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}…>"


class AuditEvent(TenantOwned, Base):
    """One state change: who, in which organization, what, when, before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_time", "organization_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Set when the change came through the API.
    api_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    #: Dotted verb, e.g. ``membership.role_changed``.
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.target_type}:{self.target_id}>"


class Notification(TenantOwned, Base):
    """An in-app notification for one user in one organization (also e-mailed)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Machine name of the event, e.g. ``invitation.accepted``.
    kind: Mapped[str] = mapped_column(String(80))
    #: Rendered in the recipient's language when it was created.
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Relative URL inside the portal the notification points to.
    link: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class Department(TenantOwned, TimestampMixin, Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: A member of the organization who manages the department.
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    manager: Mapped[User | None] = relationship()
    functions: Mapped[list[BackOfficeFunction]] = relationship(
        back_populates="department", order_by="BackOfficeFunction.name"
    )

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name}>"


class BackOfficeFunction(TenantOwned, TimestampMixin, Base):
    """A back-office function as it runs in-house today, with its cost baseline.

    Annual amounts are entered as people budget them; the register derives the
    monthly in-house cost and the unit cost (see ``portal.functions.baseline``).
    """

    __tablename__ = "back_office_functions"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("ftes >= 0", name="ftes_not_negative"),
        CheckConstraint(
            "annual_cost_per_fte >= 0 AND annual_overheads >= 0 AND annual_facilities >= 0 "
            "AND annual_technology >= 0 AND annual_management >= 0",
            name="costs_not_negative",
        ),
        CheckConstraint("monthly_volume >= 0", name="volume_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    #: Key in the standard catalogue (``portal.functions.catalogue``); None for custom.
    catalogue_key: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    ftes: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    #: Fully loaded yearly cost of one FTE: salary, social charges, benefits.
    annual_cost_per_fte: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    annual_overheads: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    annual_facilities: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    annual_technology: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    annual_management: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    monthly_volume: Mapped[int] = mapped_column(default=0)
    #: What the volume counts, e.g. "supplier invoices".
    volume_unit: Mapped[str] = mapped_column(String(80), default="")

    department: Mapped[Department] = relationship(back_populates="functions")

    def __repr__(self) -> str:
        return f"<BackOfficeFunction {self.id} {self.name}>"

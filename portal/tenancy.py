"""The tenancy wall: every ORM query is scoped to the current organization.

The current organization is resolved once per request from the logged-in
user's membership (or the API token) and kept in a context variable. A
``do_orm_execute`` listener adds ``with_loader_criteria`` for every
record behind the wall (``Walled``: organization-owned records, records
shared between a client and a vendor, and records such as published tenders
and sealed bids whose ``visible_to`` widens who sees them), so no view has to
remember a filter. It fails closed: without a current organization, a query of such a
model raises, unless the caller says it works across tenants
(``across_tenants()`` for CLI commands, jobs, login and token lookups).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

from flask import abort
from sqlalchemy import ColumnElement, ForeignKey, Integer, and_, event, literal_column, or_, select
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
    with_parent,
)

from portal import db

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

ACROSS_TENANTS = "relais_across_tenants"

_current_organization_id: ContextVar[int | None] = ContextVar(
    "relais_current_organization_id", default=None
)

T = TypeVar("T")


class TenancyError(RuntimeError):
    """A tenant-owned record was queried or created with no current organization."""


def current_organization_id() -> int | None:
    return _current_organization_id.get()


def require_organization_id() -> int:
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise TenancyError("no current organization: the tenancy wall refuses the query")
    return organization_id


@contextmanager
def organization_context(organization_id: int | None) -> Iterator[None]:
    """Act as ``organization_id`` for the duration of the block (CLI, jobs, tests)."""
    token = _current_organization_id.set(organization_id)
    try:
        yield
    finally:
        _current_organization_id.reset(token)


def set_current_organization(organization_id: int | None) -> None:
    """Set the organization for the rest of this request (reset at its end)."""
    _current_organization_id.set(organization_id)


def across_tenants(statement: Select) -> Select:
    """Mark a query as deliberately reading across organizations."""
    return statement.execution_options(**{ACROSS_TENANTS: True})


class Walled:
    """Base of every record behind the wall.

    ``visible_to`` is the one place that says which organization sees a
    record, as SQL: the wall adds it to every ORM query. It receives the
    current organization and the current time (sealed bids open at a
    deadline), both as bound parameters, and must stay pure SQL: no Python
    branching on them, because SQLAlchemy caches the expression's shape.
    """

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        raise NotImplementedError


class TenantOwned(Walled):
    """Mixin for records owned by one organization.

    Seen by that organization only, unless the model widens ``visible_to``
    (a published tender is seen by vendors, a sealed bid by the client after
    the deadline).
    """

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        return cls.organization_id == organization_id

    @declared_attr
    def organization_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("organizations.id", ondelete="CASCADE"),
            index=True,
            default=require_organization_id,
        )


class SharedBetweenParties(Walled):
    """Mixin for records shared by exactly two parties (contract, report, invoice).

    The concrete model declares ``client_organization_id`` and
    ``vendor_organization_id``; the wall lets either party see the record.
    """

    client_organization_id: Mapped[int]
    vendor_organization_id: Mapped[int]

    @classmethod
    def visible_to(cls, organization_id, now) -> ColumnElement[bool]:
        return or_(
            cls.client_organization_id == organization_id,
            cls.vendor_organization_id == organization_id,
        )


@event.listens_for(Session, "transient_to_pending")
def _stamp_organization(_session: Session, instance: object) -> None:
    """A new organization-owned record belongs to the organization it was added in.

    Stamped when the record joins the session, not at flush, so a record
    created inside ``organization_context`` keeps its organization whenever
    the flush happens; with no current organization, adding it raises.
    """
    if isinstance(instance, TenantOwned) and instance.organization_id is None:
        instance.organization_id = require_organization_id()


def _is_walled(mapper) -> bool:
    return issubclass(mapper.class_, Walled)


def _criteria(cls, organization_id, now) -> ColumnElement[bool]:
    if not hasattr(cls, "__table__"):
        # SQLAlchemy first runs the lambda against the mixin itself (which has
        # no columns) to find which closure variables are bound values; this
        # placeholder uses both so that they are tracked. It is never rendered:
        # each mapped class gets its own ``visible_to``. (The test is on an
        # attribute, not on the class's identity: SQLAlchemy wraps the globals
        # this function reads while it analyses the lambda.)
        # The placeholder's column types become the bound values' types for
        # every class: ``now`` must be bound as a UTCDateTime, or SQLite would
        # compare it as differently formatted text.
        return and_(
            literal_column("1", Integer()) != organization_id,
            literal_column("1", db.UTCDateTime()) != now,
        )
    return cls.visible_to(organization_id, now)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_current_organization(state: ORMExecuteState) -> None:
    if state.execution_options.get(ACROSS_TENANTS):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    # Lazy and column loads inherit the criteria of the query that loaded the
    # parent (propagate_to_loaders), so they are not scoped a second time.
    if state.is_column_load or state.is_relationship_load:
        return
    organization_id = current_organization_id()
    if organization_id is None and any(_is_walled(mapper) for mapper in state.all_mappers):
        raise TenancyError(
            "query of an organization-owned record with no current organization; "
            "use tenancy.across_tenants() where crossing tenants is intended"
        )
    now = db.utcnow()
    state.statement = state.statement.options(
        with_loader_criteria(
            Walled,
            lambda cls: _criteria(cls, organization_id, now),
            include_aliases=True,
        )
    )


def get_or_404(model: type[T], record_id: int) -> T:
    """Load one record through the wall; a record outside it is a 404.

    Never ``session.get``: it can answer from the identity map without SQL,
    and so without the wall's criteria.
    """
    record = db.session.scalars(select(model).where(model.id == record_id)).one_or_none()
    if record is None:
        abort(404)
    return record


def child_or_404(parent: object, relationship: str, child_id: int):
    """Load a child through its parent (``child_or_404(contract, "reports", id)``).

    A child of another parent is a 404, even inside the same organization; the
    query goes through the wall like any other and loads only that child.
    """
    attribute = getattr(type(parent), relationship)
    child_class = attribute.property.mapper.class_
    statement = select(child_class).where(
        with_parent(parent, attribute), child_class.id == child_id
    )
    record = db.session.scalars(statement).one_or_none()
    if record is None:
        abort(404)
    return record

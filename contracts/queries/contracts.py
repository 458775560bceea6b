"""Read-only queries of contracts for their pages: the list on both sides, one contract.

A vendor sees a contract once the client has sent it (``Contract.visible_to``).
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import ColumnElement, Select

from contracts.models import Contract, ContractStatus, ContractVersion
from portal import db, tenancy
from portal.models import Organization, User
from portal.pagination import Page, paginate


def _party_here(organization_id: int) -> ColumnElement[bool]:
    """Contracts of which the organization is a party (the wall says which it may see)."""
    return or_(
        Contract.client_organization_id == organization_id,
        Contract.vendor_organization_id == organization_id,
    )


def contracts_statement(
    status: ContractStatus | None = None, counterparty_id: int | None = None
) -> Select:
    """The organization's contracts as client and as vendor, newest first."""
    organization_id = tenancy.require_organization_id()
    statement = (
        select(Contract)
        .where(_party_here(organization_id))
        .options(
            joinedload(Contract.client),
            joinedload(Contract.vendor),
            # None for the vendor: the wall keeps the client's register out of the join.
            joinedload(Contract.function),
        )
        .order_by(Contract.created_at.desc(), Contract.id.desc())
    )
    if status is not None:
        statement = statement.where(Contract.status == status)
    if counterparty_id is not None:
        statement = statement.where(
            or_(
                and_(
                    Contract.client_organization_id == organization_id,
                    Contract.vendor_organization_id == counterparty_id,
                ),
                and_(
                    Contract.vendor_organization_id == organization_id,
                    Contract.client_organization_id == counterparty_id,
                ),
            )
        )
    return statement


def contracts(status: ContractStatus | None, counterparty_id: int | None, page: int | None) -> Page:
    return paginate(contracts_statement(status, counterparty_id), page)


def counterparties() -> list[Organization]:
    """The organizations on the other side of the current organization's contracts."""
    organization_id = tenancy.require_organization_id()
    vendors = select(Contract.vendor_organization_id).where(
        Contract.client_organization_id == organization_id
    )
    clients = select(Contract.client_organization_id).where(
        Contract.vendor_organization_id == organization_id, Contract.sent_at.is_not(None)
    )
    statement = (
        select(Organization)
        .where(or_(Organization.id.in_(vendors), Organization.id.in_(clients)))
        .order_by(Organization.name, Organization.id)
    )
    return list(db.session.scalars(statement))


def version_page(contract: Contract, version_id: int) -> ContractVersion:
    """One version of the contract's terms (already loaded with the contract), or 404."""
    for version in contract.versions:
        if version.id == version_id:
            return version
    abort(404)


def versions_with_authors(contract: Contract) -> list[ContractVersion]:
    """The contract's versions with who made each (one query for every author)."""
    statement = (
        select(ContractVersion)
        .where(ContractVersion.contract_id == contract.id)
        .options(joinedload(ContractVersion.created_by))
        .order_by(ContractVersion.number)
    )
    return list(db.session.scalars(statement))


def contract_people(contract: Contract) -> dict[str, User | None]:
    """Who accepted and who terminated the contract, for its status history."""
    ids = {i for i in (contract.accepted_by_id, contract.terminated_by_id) if i is not None}
    if not ids:
        return {}
    people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return {
        "accepted_by": people.get(contract.accepted_by_id),
        "terminated_by": people.get(contract.terminated_by_id),
    }

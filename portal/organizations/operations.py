"""Every change to organizations and their members goes through here."""

from __future__ import annotations

import logging
import re
import unicodedata

from sqlalchemy import func, select

from portal import audit, db
from portal.models import Membership, Organization, OrganizationKind, Role, User
from portal.tenancy import organization_context

log = logging.getLogger(__name__)

ORGANIZATION_FIELDS = (
    "name",
    "kind",
    "legal_name",
    "country",
    "vat_number",
    "registration_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "default_currency",
)


def _unique_slug(name: str) -> str:
    """A short uppercase code for the organization (used in document numbers)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]", "", ascii_name.upper())[:8] or "ORG"
    taken = set(
        db.session.scalars(select(Organization.slug).where(Organization.slug.like(f"{base}%")))
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def create_organization(founder: User, data: dict) -> Organization:
    """Create an organization with ``founder`` as its first admin."""
    values = {name: data.get(name) or None for name in ORGANIZATION_FIELDS}
    values["kind"] = OrganizationKind(values["kind"])
    values["country"] = values["country"].upper()
    organization = Organization(slug=_unique_slug(values["name"]), **values)
    db.session.add(organization)
    db.session.flush()
    with organization_context(organization.id):
        db.session.add(Membership(user_id=founder.id, role=Role.ADMIN))
        audit.record(
            "organization.created",
            organization,
            actor=founder,
            after=audit.snapshot(organization, ORGANIZATION_FIELDS),
            summary=organization.name,
        )
    log.info("user %s created organization %s", founder.id, organization.id)
    return organization


def update_organization(actor: User, organization: Organization, data: dict) -> Organization:
    """Change an organization's name and legal identity."""
    before = audit.snapshot(organization, ORGANIZATION_FIELDS)
    for name in ORGANIZATION_FIELDS:
        value = data.get(name)
        setattr(organization, name, value if value not in ("",) else None)
    organization.kind = OrganizationKind(organization.kind)
    after = audit.snapshot(organization, ORGANIZATION_FIELDS)
    if before != after:
        audit.record("organization.updated", organization, actor=actor, before=before, after=after)
    return organization


def admin_count(organization_id: int) -> int:
    statement = select(func.count(Membership.id)).where(
        Membership.organization_id == organization_id, Membership.role == Role.ADMIN
    )
    return db.session.scalar(statement) or 0

"""Read-only queries of the vendor directory.

Vendor profiles are public to every signed-in organization by design (clients
find vendors there), so nothing here goes through the wall; what a profile
shows is its own rows and its organization's name, country and captive link,
never anything else about the vendor.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, false, or_, select
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.sql import Select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import Organization, OrganizationKind
from portal.pagination import Page, paginate
from vendors.models import (
    LocationKind,
    VendorCertification,
    VendorFunction,
    VendorLanguage,
    VendorLocation,
    VendorProfile,
)

_VENDOR_KINDS = (OrganizationKind.VENDOR, OrganizationKind.BOTH)


def today() -> date:
    """The date certifications are compared with (UTC, as every date in Relais)."""
    return utcnow().date()


def _with_rows(statement: Select) -> Select:
    """Load what a profile shows in a fixed number of statements, however many rows."""
    return statement.options(
        contains_eager(VendorProfile.organization).selectinload(Organization.captive_of),
        selectinload(VendorProfile.functions),
        selectinload(VendorProfile.locations),
        selectinload(VendorProfile.languages),
        selectinload(VendorProfile.certifications),
    )


def _listed():
    """A profile the directory shows: listed by a vendor organization."""
    return and_(VendorProfile.listed.is_(True), Organization.kind.in_(_VENDOR_KINDS))


def profile_of(organization_id: int) -> VendorProfile | None:
    """An organization's own profile (listed or not), with its rows."""
    statement = _with_rows(
        select(VendorProfile)
        .join(VendorProfile.organization)
        .where(VendorProfile.organization_id == organization_id)
    )
    return db.session.scalars(statement).one_or_none()


def visible_profile(slug: str, viewer_organization_id: int) -> VendorProfile | None:
    """The profile of the organization with ``slug``, if listed or the viewer's own."""
    statement = _with_rows(
        select(VendorProfile)
        .join(VendorProfile.organization)
        .where(
            Organization.slug == slug,
            or_(_listed(), VendorProfile.organization_id == viewer_organization_id),
        )
    )
    return db.session.scalars(statement).one_or_none()


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def directory_page(
    number: int | None,
    *,
    q: str | None = None,
    function: str | None = None,
    kind: str | None = None,
    language: str | None = None,
    certification: str | None = None,
    per_page: int | None = None,
) -> Page:
    """One page of listed profiles matching the search and filters, by name.

    ``certification`` matches only a certification not yet expired today.
    """
    statement = select(VendorProfile).join(VendorProfile.organization).where(_listed())
    if q:
        pattern = f"%{_escaped(q)}%"
        statement = statement.where(
            or_(
                Organization.name.ilike(pattern, escape="\\"),
                VendorProfile.description.ilike(pattern, escape="\\"),
            )
        )
    if function:
        statement = statement.where(
            VendorProfile.functions.any(VendorFunction.catalogue_key == function)
        )
    if kind:
        try:
            location_kind = LocationKind(kind)
        except ValueError:
            statement = statement.where(false())
        else:
            statement = statement.where(
                VendorProfile.locations.any(VendorLocation.kind == location_kind)
            )
    if language:
        statement = statement.where(VendorProfile.languages.any(VendorLanguage.code == language))
    if certification:
        statement = statement.where(
            VendorProfile.certifications.any(
                and_(
                    VendorCertification.standard == certification,
                    VendorCertification.expires_on >= today(),
                )
            )
        )
    statement = _with_rows(statement.order_by(Organization.name, VendorProfile.id))
    return paginate(statement, number, per_page)


def _serves(catalogue_key: str):
    return VendorProfile.functions.any(VendorFunction.catalogue_key == catalogue_key)


def _listed_vendors(*columns) -> Select:
    statement = select(*(columns or (Organization,))).join(
        VendorProfile, VendorProfile.organization_id == Organization.id
    )
    statement = statement.where(_listed())
    # A client never picks itself (an organization that is both client and vendor).
    current = tenancy.current_organization_id()
    if current is not None:
        statement = statement.where(Organization.id != current)
    return statement


def listed_vendor_choices(catalogue_key: str | None = None) -> list[Organization]:
    """Listed vendor organizations to pick from, by name; those serving ``catalogue_key`` first.

    Every listed vendor is returned, not only those serving the function: a
    client may invite a vendor it knows even if its profile does not list the
    function. Never the current organization itself.
    """
    statement = _listed_vendors()
    if catalogue_key:
        statement = statement.order_by(case((_serves(catalogue_key), 0), else_=1))
    statement = statement.order_by(Organization.name, Organization.id)
    return list(db.session.scalars(statement))


def vendor_ids_serving(catalogue_key: str) -> list[int]:
    """Ids of vendor organizations whose listed profile serves ``catalogue_key``.

    Never the current organization itself, when there is one.
    """
    statement = _listed_vendors(Organization.id).where(_serves(catalogue_key))
    return list(db.session.scalars(statement.order_by(Organization.id)))

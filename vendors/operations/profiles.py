"""Every change to a vendor's directory profile goes through here."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.functions.catalogue import catalogue_function
from portal.models import Organization, User
from portal.rules import RuleError
from vendors.certifications import CERTIFICATIONS, certification_name
from vendors.forms.profiles import BUSINESS_LANGUAGES, MAX_HEADCOUNT, language_name
from vendors.models import (
    LocationKind,
    VendorCertification,
    VendorFunction,
    VendorLanguage,
    VendorLocation,
    VendorProfile,
)
from vendors.queries import profiles as queries

log = logging.getLogger(__name__)

ACTION_LABELS.update({"vendor_profile.saved": _l("Directory profile saved")})
TARGET_LABELS.update({"VendorProfile": _l("Directory profile")})

PROFILE_FIELDS = ("listed", "description", "headcount", "website")
_COUNTRIES = frozenset(
    code for code in Locale("en").territories if len(code) == 2 and code.isalpha()
) - {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}


class ProfileRuleError(RuleError):
    """A directory profile the rules refuse."""


def profile_snapshot(profile: VendorProfile | None) -> dict[str, Any] | None:
    """The whole profile, children included, as the audit log keeps it."""
    if profile is None:
        return None
    snapshot = audit.snapshot(profile, PROFILE_FIELDS)
    snapshot["functions"] = sorted(item.catalogue_key for item in profile.functions)
    snapshot["languages"] = sorted(item.code for item in profile.languages)
    snapshot["locations"] = [
        {
            "city": item.city,
            "country": item.country,
            "kind": LocationKind(item.kind).value,
            "headcount": item.headcount,
        }
        for item in profile.locations
    ]
    snapshot["certifications"] = sorted(
        (
            {
                "standard": item.standard,
                "certificate_number": item.certificate_number,
                "expires_on": item.expires_on.isoformat(),
            }
            for item in profile.certifications
        ),
        key=lambda item: item["standard"],
    )
    return snapshot


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _is_blank_row(row: dict, keys: tuple[str, ...]) -> bool:
    return all(row.get(key) in (None, "") for key in keys)


def _headcount(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ProfileRuleError(_l("Enter a whole number."), field) from exc
    if not 0 <= number <= MAX_HEADCOUNT:
        raise ProfileRuleError(_l("Enter zero or more."), field)
    return number


def _functions(keys) -> list[str]:
    keys = list(keys or [])
    for key in keys:
        if catalogue_function(key) is None:
            raise ProfileRuleError(_l("Choose functions from the catalogue."), "functions")
    if len(set(keys)) != len(keys):
        raise ProfileRuleError(_l("Each function can be chosen once."), "functions")
    return keys


def _languages(codes) -> list[str]:
    codes = list(codes or [])
    seen: set[str] = set()
    for code in codes:
        if code not in BUSINESS_LANGUAGES:
            raise ProfileRuleError(_l("Choose languages from the list."), "languages")
        if code in seen:
            raise ProfileRuleError(
                _l("%(language)s is listed twice.", language=LazyString(language_name, code)),
                "languages",
            )
        seen.add(code)
    return codes


def _locations(rows) -> list[dict]:
    locations = []
    for row in rows or []:
        if _is_blank_row(row, ("city", "country", "kind", "headcount")):
            continue
        city = _text(row.get("city"))
        country = _text(row.get("country")).upper()
        if not city or len(city) > 100:
            raise ProfileRuleError(_l("Each location needs its city."), "locations")
        if country not in _COUNTRIES:
            raise ProfileRuleError(_l("Each location needs its country."), "locations")
        try:
            kind = LocationKind(row.get("kind"))
        except ValueError as exc:
            raise ProfileRuleError(
                _l("Each location is onshore, nearshore or offshore."), "locations"
            ) from exc
        headcount = _headcount(row.get("headcount"), "locations")
        locations.append({"city": city, "country": country, "kind": kind, "headcount": headcount})
    return locations


def _certifications(rows) -> list[dict]:
    certifications = []
    seen: set[str] = set()
    for row in rows or []:
        if _is_blank_row(row, ("standard", "certificate_number", "expires_on")):
            continue
        standard = row.get("standard")
        if standard not in CERTIFICATIONS:
            raise ProfileRuleError(
                _l("Choose each certification's standard from the list."), "certifications"
            )
        if standard in seen:
            raise ProfileRuleError(
                _l(
                    "%(standard)s is listed twice: keep one row per standard.",
                    standard=certification_name(standard),
                ),
                "certifications",
            )
        seen.add(standard)
        expires_on = row.get("expires_on")
        if not isinstance(expires_on, date):
            raise ProfileRuleError(
                _l(
                    "Enter the expiry date of %(standard)s.",
                    standard=certification_name(standard),
                ),
                "certifications",
            )
        number = _text(row.get("certificate_number")) or None
        if number is not None and len(number) > 100:
            raise ProfileRuleError(
                _l("A certificate number is 100 characters at most."), "certifications"
            )
        # An expired certification is accepted: it is shown as expired and matches no filter.
        certifications.append(
            {"standard": standard, "certificate_number": number, "expires_on": expires_on}
        )
    return certifications


def _website(value) -> str | None:
    website = _text(value) or None
    if website is None:
        return None
    if len(website) > 300 or not website.lower().startswith(("https://", "http://")):
        raise ProfileRuleError(
            _l("Enter the website's address, e.g. https://example.com."), "website"
        )
    return website


def _profile_values(data: dict) -> dict[str, Any]:
    values = {
        "listed": bool(data.get("listed")),
        "description": _text(data.get("description")),
        "headcount": _headcount(data.get("headcount"), "headcount") or 0,
        "website": _website(data.get("website")),
        "functions": _functions(data.get("functions")),
        "languages": _languages(data.get("languages")),
        "locations": _locations(data.get("locations")),
        "certifications": _certifications(data.get("certifications")),
    }
    if len(values["description"]) > 2000:
        raise ProfileRuleError(_l("Keep the description under 2,000 characters."), "description")
    if values["listed"] and not values["functions"]:
        raise ProfileRuleError(
            _l("A profile in the directory names at least one function it serves."), "functions"
        )
    return values


def save_profile(actor: User, organization: Organization, data: dict) -> VendorProfile:
    """Create or replace a vendor organization's directory profile and all its rows."""
    if not organization.is_vendor:
        raise ProfileRuleError(_l("Only a vendor organization has a directory profile."))
    values = _profile_values(data)
    profile = queries.profile_of(organization.id)
    before = profile_snapshot(profile)
    if profile is None:
        profile = VendorProfile(organization_id=organization.id)
        db.session.add(profile)
    else:
        # Rows are replaced whole. The old ones go first: the new ones may repeat
        # a language or standard, which is unique per profile.
        profile.functions, profile.languages = [], []
        profile.locations, profile.certifications = [], []
        db.session.flush()
    for name in PROFILE_FIELDS:
        setattr(profile, name, values[name])
    profile.functions = [VendorFunction(catalogue_key=key) for key in values["functions"]]
    profile.languages = [VendorLanguage(code=code) for code in values["languages"]]
    profile.locations = [VendorLocation(**row) for row in values["locations"]]
    profile.certifications = [VendorCertification(**row) for row in values["certifications"]]
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # Two first saves at the same instant: the other one made the profile.
        raise ProfileRuleError(
            _l("This profile was just saved by someone else. Check it and save again.")
        ) from exc
    after = profile_snapshot(profile)
    if before != after:
        audit.record(
            "vendor_profile.saved",
            profile,
            actor=actor,
            before=before,
            after=after,
            summary=organization.name,
            organization_id=organization.id,
        )
        log.info(
            "user %s saved the directory profile of organization %s", actor.id, organization.id
        )
    return profile

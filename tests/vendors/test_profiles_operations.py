"""The rules of a vendor's directory profile, and the directory's queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import AuditEvent
from portal.tenancy import organization_context
from vendors.operations.profiles import ProfileRuleError, save_profile
from vendors.queries import profiles as queries


def profile_data(**overrides) -> dict:
    """What the profile form hands the operation."""
    data = {
        "listed": True,
        "description": "Finance operations from Lisbon.",
        "headcount": 850,
        "website": "https://atlas.example",
        "functions": ["accounts_payable", "payroll"],
        "languages": ["pt", "en"],
        "locations": [
            {"city": "Lisbon", "country": "PT", "kind": "nearshore", "headcount": 520},
            {"city": "", "country": "", "kind": "", "headcount": None},
        ],
        "certifications": [
            {"standard": "iso_27001", "certificate_number": "PT-1", "expires_on": date(2031, 1, 1)},
            {"standard": "", "certificate_number": "", "expires_on": None},
        ],
    }
    data.update(overrides)
    return data


def saved_events(org) -> list[AuditEvent]:
    with organization_context(org.id):
        statement = select(AuditEvent).where(AuditEvent.action == "vendor_profile.saved")
        return list(db.session.scalars(statement.order_by(AuditEvent.id)))


@pytest.fixture
def vendor_admin(make, vendor_org):
    return make.member(vendor_org, "admin")


def save(actor, org, **overrides):
    with organization_context(org.id):
        return save_profile(actor, org, profile_data(**overrides))


def test_save_creates_the_profile_with_its_rows_and_audits_it(vendor_admin, vendor_org):
    profile = save(vendor_admin, vendor_org)
    assert profile.listed is True
    assert profile.headcount == 850
    assert [f.catalogue_key for f in profile.functions] == ["accounts_payable", "payroll"]
    assert sorted(language.code for language in profile.languages) == ["en", "pt"]
    # The blank rows are no rows.
    assert [(loc.city, loc.country, loc.kind, loc.headcount) for loc in profile.locations] == [
        ("Lisbon", "PT", "nearshore", 520)
    ]
    assert [(c.standard, c.certificate_number) for c in profile.certifications] == [
        ("iso_27001", "PT-1")
    ]
    [event] = saved_events(vendor_org)
    assert event.before is None
    assert event.after["languages"] == ["en", "pt"]
    assert event.after["certifications"][0]["expires_on"] == "2031-01-01"


def test_save_replaces_every_row_and_records_before_and_after(vendor_admin, vendor_org):
    save(vendor_admin, vendor_org)
    profile = save(
        vendor_admin,
        vendor_org,
        languages=["en", "fr"],
        functions=["payroll"],
        locations=[{"city": "Porto", "country": "pt", "kind": "nearshore", "headcount": None}],
        certifications=[
            {"standard": "iso_27001", "certificate_number": "PT-2", "expires_on": date(2032, 1, 1)}
        ],
    )
    assert sorted(language.code for language in profile.languages) == ["en", "fr"]
    assert [f.catalogue_key for f in profile.functions] == ["payroll"]
    assert [(loc.city, loc.country) for loc in profile.locations] == [("Porto", "PT")]
    assert [c.certificate_number for c in profile.certifications] == ["PT-2"]
    first, second = saved_events(vendor_org)
    assert second.before == first.after
    assert second.after["languages"] == ["en", "fr"]
    assert second.after["certifications"][0]["certificate_number"] == "PT-2"


def test_saving_the_same_profile_again_changes_nothing_and_audits_once(vendor_admin, vendor_org):
    save(vendor_admin, vendor_org)
    save(vendor_admin, vendor_org)
    assert len(saved_events(vendor_org)) == 1


def test_a_language_listed_twice_is_refused_naming_the_field(app, vendor_admin, vendor_org):
    with pytest.raises(ProfileRuleError) as refused:
        save(vendor_admin, vendor_org, languages=["en", "fr", "en"])
    assert refused.value.field == "languages"
    with app.test_request_context():
        assert str(refused.value.message) == "English is listed twice."
    assert queries.profile_of(vendor_org.id) is None


def test_a_certification_listed_twice_is_refused_naming_the_field(app, vendor_admin, vendor_org):
    twice = [
        {"standard": "soc_2", "certificate_number": "A", "expires_on": date(2030, 1, 1)},
        {"standard": "soc_2", "certificate_number": "B", "expires_on": date(2031, 1, 1)},
    ]
    with pytest.raises(ProfileRuleError) as refused:
        save(vendor_admin, vendor_org, certifications=twice)
    assert refused.value.field == "certifications"
    with app.test_request_context():
        assert str(refused.value.message) == "SOC 2 is listed twice: keep one row per standard."


def test_an_expired_certification_is_accepted(vendor_admin, vendor_org):
    yesterday = utcnow().date() - timedelta(days=1)
    profile = save(
        vendor_admin,
        vendor_org,
        certifications=[
            {"standard": "iso_9001", "certificate_number": "", "expires_on": yesterday}
        ],
    )
    assert [(c.standard, c.expires_on, c.certificate_number) for c in profile.certifications] == [
        ("iso_9001", yesterday, None)
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"functions": ["accounts_payable", "astrology"]}, "functions"),
        ({"functions": ["payroll", "payroll"]}, "functions"),
        ({"languages": ["xx"]}, "languages"),
        ({"headcount": -1}, "headcount"),
        ({"website": "javascript:alert(1)"}, "website"),
        (
            {"locations": [{"city": "Lisbon", "country": "", "kind": "nearshore"}]},
            "locations",
        ),
        ({"locations": [{"city": "", "country": "PT", "kind": "nearshore"}]}, "locations"),
        ({"locations": [{"city": "Lisbon", "country": "PT", "kind": "moon"}]}, "locations"),
        (
            {"certifications": [{"standard": "iso_1", "expires_on": date(2030, 1, 1)}]},
            "certifications",
        ),
        ({"certifications": [{"standard": "soc_2", "expires_on": None}]}, "certifications"),
    ],
)
def test_bad_input_is_refused_naming_the_field(vendor_admin, vendor_org, overrides, field):
    with pytest.raises(ProfileRuleError) as refused:
        save(vendor_admin, vendor_org, **overrides)
    assert refused.value.field == field


def test_a_listed_profile_serves_at_least_one_function(vendor_admin, vendor_org):
    with pytest.raises(ProfileRuleError) as refused:
        save(vendor_admin, vendor_org, functions=[])
    assert refused.value.field == "functions"
    # Unlisted, a draft profile may name none yet.
    assert save(vendor_admin, vendor_org, functions=[], listed=False).listed is False


def test_a_client_only_organization_has_no_profile(make, client_org):
    admin = make.member(client_org, "admin")
    with pytest.raises(ProfileRuleError):
        save(admin, client_org)


# --- What the tenders helper uses -------------------------------------------------------


@pytest.fixture
def vendors(make):
    """Three vendors: two listed serving payroll (one of them also AP), one unlisted."""
    zeta = make.organization(name="Zeta Payroll", kind="vendor")
    alpha = make.organization(name="Alpha Services", kind="both")
    hidden = make.organization(name="Hidden Payroll", kind="vendor")
    other = make.organization(name="Beta Ledger", kind="vendor")
    make.vendor_profile(zeta, functions=["payroll"])
    make.vendor_profile(alpha, functions=["payroll", "accounts_payable"])
    make.vendor_profile(hidden, functions=["payroll"], listed=False)
    make.vendor_profile(other, functions=["general_ledger"])
    return {"zeta": zeta, "alpha": alpha, "hidden": hidden, "other": other}


def test_vendor_ids_serving_lists_listed_vendors_of_that_function(vendors):
    assert queries.vendor_ids_serving("payroll") == sorted(
        [vendors["zeta"].id, vendors["alpha"].id]
    )
    assert queries.vendor_ids_serving("facilities") == []


def test_listed_vendor_choices_put_those_serving_the_function_first(vendors):
    names = [org.name for org in queries.listed_vendor_choices("payroll")]
    assert names == ["Alpha Services", "Zeta Payroll", "Beta Ledger"]
    names = [org.name for org in queries.listed_vendor_choices()]
    assert names == ["Alpha Services", "Beta Ledger", "Zeta Payroll"]


def test_the_current_organization_is_never_its_own_choice(vendors):
    with organization_context(vendors["alpha"].id):
        assert vendors["alpha"] not in queries.listed_vendor_choices("payroll")
        assert vendors["alpha"].id not in queries.vendor_ids_serving("payroll")

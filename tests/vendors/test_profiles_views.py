"""A vendor edits its directory profile at /vendor-profile."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal import db
from portal.models import AuditEvent
from portal.tenancy import organization_context
from vendors.queries import profiles as queries


def profile_form(**overrides) -> dict:
    """What a vendor types: two functions, two languages, one location, one certification."""
    data = {
        "listed": "y",
        "description": "Finance operations from Lisbon.",
        "headcount": "1,250",
        "website": "atlas.example",
        "functions": ["accounts_payable", "payroll"],
        "languages": ["pt", "en"],
        "locations-0-city": "Lisbon",
        "locations-0-country": "PT",
        "locations-0-kind": "nearshore",
        "locations-0-headcount": "520",
        "locations-1-city": "",
        "locations-1-country": "",
        "locations-1-kind": "",
        "locations-1-headcount": "",
        "certifications-0-standard": "iso_27001",
        "certifications-0-certificate_number": "PT-ISMS-1",
        "certifications-0-expires_on": "2031-06-30",
        "certifications-1-standard": "",
        "certifications-1-certificate_number": "",
        "certifications-1-expires_on": "",
        "save": "1",
    }
    data.update(overrides)
    return data


def profile_events(org_id: int) -> list[AuditEvent]:
    with organization_context(org_id):
        statement = select(AuditEvent).where(AuditEvent.action == "vendor_profile.saved")
        return list(db.session.scalars(statement))


def stored(org_id: int):
    db.session.expire_all()
    return queries.profile_of(org_id)


@pytest.fixture
def as_vendor_procurement(make, login, vendor_org):
    return login(make.member(vendor_org, "procurement"), vendor_org)


def test_a_vendor_saves_its_profile_and_sees_it(as_vendor_admin, vendor_org):
    response = as_vendor_admin.post("/vendor-profile", data=profile_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/directory/{vendor_org.slug}")
    profile = stored(vendor_org.id)
    assert profile.listed is True
    assert profile.headcount == 1250
    assert profile.website == "https://atlas.example"
    assert [f.catalogue_key for f in profile.functions] == ["accounts_payable", "payroll"]
    assert [(loc.city, loc.kind, loc.headcount) for loc in profile.locations] == [
        ("Lisbon", "nearshore", 520)
    ]
    assert [(c.standard, c.expires_on) for c in profile.certifications] == [
        ("iso_27001", date(2031, 6, 30))
    ]
    page = as_vendor_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Finance operations from Lisbon." in page
    assert "Portuguese" in page
    assert "ISO/IEC 27001" in page


def test_procurement_may_edit_the_profile(as_vendor_procurement, vendor_org):
    assert as_vendor_procurement.post("/vendor-profile", data=profile_form()).status_code == 302
    assert stored(vendor_org.id) is not None


def test_the_edit_page_shows_the_saved_profile_and_blank_rows(as_vendor_admin, make, vendor_org):
    make.vendor_profile(vendor_org, locations=[("Porto", "PT", "nearshore")])
    html = as_vendor_admin.get("/vendor-profile").get_data(as_text=True)
    assert 'name="locations-0-city" type="text" value="Porto"' in html
    # The saved row, then empty rows to add more without script.
    assert 'name="locations-2-city" type="text" value=""' in html
    assert 'name="certifications-2-standard"' in html
    assert '<input checked class="form-check-input" id="functions-0"' in html
    assert '<input class="form-check-input" id="functions-1"' in html


def test_the_edit_page_names_languages_in_the_readers_language(make, login, vendor_org):
    french = make.member(vendor_org, "admin", locale="fr")
    html = login(french, vendor_org).get("/vendor-profile").get_data(as_text=True)
    assert '<option value="de">Allemand</option>' in html


def test_bad_input_keeps_what_was_typed_and_names_the_field(as_vendor_admin, vendor_org):
    response = as_vendor_admin.post(
        "/vendor-profile",
        data=profile_form(
            **{
                "description": "Kept description",
                "locations-1-city": "Porto",  # no country, no kind
                "certifications-0-expires_on": "2031-13-45",
            }
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kept description" in html
    assert 'value="Porto"' in html
    assert 'value="2031-13-45"' in html
    assert 'data-field="locations-1-country"' in html
    assert 'data-field="locations-1-kind"' in html
    assert 'data-field="certifications-0-expires_on"' in html
    assert 'data-field="locations-0-city"' not in html
    assert stored(vendor_org.id) is None


def test_a_certification_twice_is_refused_and_the_rows_are_kept(as_vendor_admin, vendor_org):
    response = as_vendor_admin.post(
        "/vendor-profile",
        data=profile_form(
            **{
                "certifications-1-standard": "iso_27001",
                "certifications-1-certificate_number": "SECOND-NUMBER",
                "certifications-1-expires_on": "2030-01-01",
            }
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="certifications"' in html
    assert "ISO/IEC 27001 is listed twice" in html
    assert 'value="SECOND-NUMBER"' in html
    assert stored(vendor_org.id) is None


def test_a_language_twice_is_refused(as_vendor_admin, vendor_org):
    response = as_vendor_admin.post(
        "/vendor-profile", data=profile_form(languages=["en", "pt", "en"])
    )
    assert response.status_code == 400
    assert 'data-field="languages"' in response.get_data(as_text=True)
    assert stored(vendor_org.id) is None


def test_add_a_location_keeps_what_was_typed_and_saves_nothing(as_vendor_admin, vendor_org):
    form = profile_form(description="Half-written")
    del form["save"]
    form["add_location"] = "Add a location"
    response = as_vendor_admin.post("/vendor-profile", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Half-written" in html
    assert 'name="locations-0-city" type="text" value="Lisbon"' in html
    assert 'name="locations-2-city" type="text" value=""' in html
    assert 'name="certifications-2-standard"' not in html
    assert "invalid-feedback" not in html
    assert stored(vendor_org.id) is None


def test_a_duplicate_post_is_applied_once(as_vendor_admin, vendor_org):
    assert as_vendor_admin.post("/vendor-profile", data=profile_form()).status_code == 302
    assert as_vendor_admin.post("/vendor-profile", data=profile_form()).status_code == 302
    assert len(profile_events(vendor_org.id)) == 1
    assert len(stored(vendor_org.id).certifications) == 1


def test_a_viewer_may_not_edit_the_profile(make, login, vendor_org):
    viewer = login(make.member(vendor_org, "viewer"), vendor_org)
    assert viewer.get("/vendor-profile").status_code == 403
    assert viewer.post("/vendor-profile", data=profile_form()).status_code == 403
    assert stored(vendor_org.id) is None


def test_a_client_only_organization_has_no_profile_page(as_client_admin, client_org):
    assert as_client_admin.get("/vendor-profile").status_code == 404
    assert as_client_admin.post("/vendor-profile", data=profile_form()).status_code == 404
    assert stored(client_org.id) is None


def test_a_vendor_edits_only_its_own_profile(make, login, vendor_org):
    other = make.organization(name="Meridian", kind="vendor")
    make.vendor_profile(other, description="Meridian's own words")
    response = login(make.member(vendor_org, "admin"), vendor_org).post(
        "/vendor-profile", data=profile_form()
    )
    assert response.status_code == 302
    assert stored(other.id).description == "Meridian's own words"
    assert stored(vendor_org.id).description == "Finance operations from Lisbon."
    assert profile_events(other.id) == []


def test_the_topbar_leads_to_the_directory_and_to_our_profile(
    as_vendor_admin, as_client_admin, make, login, vendor_org
):
    admin_page = as_vendor_admin.get("/directory").get_data(as_text=True)
    assert 'href="/vendor-profile" data-testid="nav-our-profile"' in admin_page
    viewer = login(make.member(vendor_org, "viewer"), vendor_org)
    viewer_page = viewer.get("/directory").get_data(as_text=True)
    assert f'href="/directory/{vendor_org.slug}" data-testid="nav-our-profile"' in viewer_page
    client_page = as_client_admin.get("/directory").get_data(as_text=True)
    assert 'data-testid="nav-directory"' in client_page
    assert 'data-testid="nav-our-profile"' not in client_page

"""The vendor directory and public profiles, as every signed-in organization sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from tests.statements import counting_statements


def names_in(response) -> set[str]:
    html = response.get_data(as_text=True)
    return {name for name in ("Atlas", "Meridian", "Clairval", "Hidden", "Baltica") if name in html}


@pytest.fixture
def directory(make):
    """Four listed vendors and one unlisted, each different on one filter."""
    today = utcnow().date()
    orgs = {
        "atlas": make.organization(name="Atlas", kind="vendor"),
        "meridian": make.organization(name="Meridian", kind="vendor"),
        "clairval": make.organization(name="Clairval", kind="both"),
        "hidden": make.organization(name="Hidden", kind="vendor"),
        "baltica": make.organization(name="Baltica", kind="vendor"),
    }
    make.vendor_profile(
        orgs["atlas"],
        description="Purchase-to-pay from Lisbon.",
        functions=["accounts_payable"],
        languages=["pt", "en"],
        locations=[("Lisbon", "PT", "nearshore")],
        certifications=[("iso_27001", today + timedelta(days=300))],
    )
    make.vendor_profile(
        orgs["meridian"],
        description="Round-the-clock service desk.",
        functions=["it_service_desk"],
        languages=["en", "hi"],
        locations=[("Pune", "IN", "offshore")],
        # Expired yesterday: shown as expired, matches no filter.
        certifications=[("iso_9001", today - timedelta(days=1))],
    )
    make.vendor_profile(
        orgs["clairval"],
        description="Payroll kept in France.",
        functions=["payroll"],
        languages=["fr"],
        locations=[("Lyon", "FR", "onshore")],
        # Valid through today.
        certifications=[("iso_9001", today)],
    )
    make.vendor_profile(orgs["hidden"], functions=["accounts_payable"], listed=False)
    make.vendor_profile(
        orgs["baltica"],
        description="Master data in Vilnius.",
        functions=["data_management"],
        languages=["lt"],
        locations=[("Vilnius", "LT", "nearshore")],
        certifications=[],
    )
    return orgs


def test_the_directory_lists_listed_vendors_only(as_client_admin, directory):
    response = as_client_admin.get("/directory")
    assert response.status_code == 200
    assert names_in(response) == {"Atlas", "Meridian", "Clairval", "Baltica"}


def test_a_vendor_and_a_viewer_see_the_directory_too(as_vendor_admin, as_client_viewer, directory):
    assert names_in(as_vendor_admin.get("/directory")) == {
        "Atlas",
        "Meridian",
        "Clairval",
        "Baltica",
    }
    assert as_client_viewer.get("/directory").status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=atl", {"Atlas"}),
        ("q=service+desk", {"Meridian"}),
        ("q=100%25", set()),
        ("function=payroll", {"Clairval"}),
        ("function=accounts_payable", {"Atlas"}),
        ("kind=nearshore", {"Atlas", "Baltica"}),
        ("kind=offshore", {"Meridian"}),
        ("language=en", {"Atlas", "Meridian"}),
        ("language=lt", {"Baltica"}),
        ("certification=iso_27001", {"Atlas"}),
        ("certification=iso_9001", {"Clairval"}),
        ("kind=nearshore&language=lt", {"Baltica"}),
        ("function=astrology", {"Atlas", "Meridian", "Clairval", "Baltica"}),
    ],
)
def test_each_filter_narrows_the_directory(as_client_admin, directory, query, expected):
    response = as_client_admin.get(f"/directory?{query}")
    assert response.status_code == 200
    assert names_in(response) == expected


def test_an_entry_shows_what_clients_filter_on(as_client_admin, directory):
    html = as_client_admin.get("/directory?q=Meridian").get_data(as_text=True)
    assert "Round-the-clock service desk." in html
    assert "IT service desk" in html
    assert "Offshore" in html
    assert "Hindi" in html
    assert "India" not in html  # the organization's own country is France in the factories
    assert "France" in html
    # The expired certification is not shown in the list.
    assert 'data-testid="certification-iso_9001"' not in html


def test_a_captive_centre_is_shown_as_such(as_client_admin, make, client_org, directory):
    directory["baltica"].captive_of_id = client_org.id
    html = as_client_admin.get("/directory").get_data(as_text=True)
    assert html.count('data-testid="captive-badge"') == 1
    assert "Captive centre of Northwind Holdings" in html
    page = as_client_admin.get(f"/directory/{directory['baltica'].slug}").get_data(as_text=True)
    assert "Captive shared-services centre of Northwind Holdings" in page


def test_the_profile_page_marks_expired_certifications(as_client_admin, directory):
    response = as_client_admin.get(f"/directory/{directory['meridian'].slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Pune" in html
    assert 'data-testid="expired"' in html
    assert "ISO 9001 · expired" in html


def test_the_profile_page_shows_nothing_else_about_the_vendor(make, as_client_admin, directory):
    make.member(directory["atlas"], "admin", email="secret.person@atlas.test")
    html = as_client_admin.get(f"/directory/{directory['atlas'].slug}").get_data(as_text=True)
    assert "Purchase-to-pay from Lisbon." in html
    assert "secret.person" not in html
    assert directory["atlas"].vat_number not in html


def test_an_unlisted_profile_is_not_found_by_others(as_client_admin, make, login, directory):
    assert as_client_admin.get(f"/directory/{directory['hidden'].slug}").status_code == 404
    other_vendor = login(make.member(directory["atlas"], "viewer"), directory["atlas"])
    assert other_vendor.get(f"/directory/{directory['hidden'].slug}").status_code == 404


def test_a_vendor_always_sees_its_own_profile(make, login, directory):
    hidden = directory["hidden"]
    response = login(make.member(hidden, "viewer"), hidden).get(f"/directory/{hidden.slug}")
    assert response.status_code == 200
    assert 'data-testid="unlisted-badge"' in response.get_data(as_text=True)


def test_a_vendor_without_a_profile_is_invited_to_write_one(as_vendor_admin, vendor_org):
    response = as_vendor_admin.get(f"/directory/{vendor_org.slug}")
    assert response.status_code == 200
    assert 'data-testid="no-profile"' in response.get_data(as_text=True)


def test_unknown_and_client_slugs_are_not_found(as_client_admin, client_org, other_client_org):
    assert as_client_admin.get("/directory/NOSUCHORG").status_code == 404
    assert as_client_admin.get(f"/directory/{other_client_org.slug}").status_code == 404
    # A client-only organization has no profile, not even its own.
    assert as_client_admin.get(f"/directory/{client_org.slug}").status_code == 404
    assert as_client_admin.get("/directory/" + "X" * 500).status_code == 404


def test_a_listed_profile_of_an_organization_no_longer_a_vendor_is_hidden(as_client_admin, make):
    former = make.organization(name="Former Vendor", kind="client")
    make.vendor_profile(former)
    assert "Former Vendor" not in as_client_admin.get("/directory").get_data(as_text=True)
    assert as_client_admin.get(f"/directory/{former.slug}").status_code == 404


def test_the_directory_is_paginated(as_client_admin, make):
    for number in range(27):
        make.vendor_profile(make.organization(name=f"Vendor {number:02d}", kind="vendor"))
    first = as_client_admin.get("/directory").get_data(as_text=True)
    second = as_client_admin.get("/directory?page=2").get_data(as_text=True)
    assert "Vendor 24" in first and "Vendor 25" not in first
    assert "Vendor 25" in second and "Vendor 26" in second
    assert "Page 1 of 2" in first


def _vendors(make, count: int) -> None:
    today = utcnow().date()
    for _ in range(count):
        org = make.organization(kind="vendor")
        org.captive_of_id = make.organization(kind="client").id
        make.vendor_profile(
            org,
            functions=["payroll", "accounts_payable"],
            languages=["en", "fr", "de"],
            locations=[("Lisbon", "PT", "nearshore"), ("Pune", "IN", "offshore")],
            certifications=[("iso_27001", today), ("soc_2", today - timedelta(days=3))],
        )


def test_the_directorys_statements_do_not_grow_with_vendors(app, as_client_admin, make):
    as_client_admin.get("/directory")  # warm up: the first request loads caches
    _vendors(make, 3)
    with counting_statements(app) as few:
        assert as_client_admin.get("/directory").status_code == 200
    _vendors(make, 27)
    with counting_statements(app) as many:
        assert as_client_admin.get("/directory?q=Organization").status_code == 200
    assert len(many) == len(few), "\n".join(many)

"""Organizations through the web UI: switching, creating, members, roles, removal."""

from __future__ import annotations

from sqlalchemy import select

from portal import db, mail
from portal.models import Membership, Notification, Organization, Role, UserSession
from portal.tenancy import across_tenants, organization_context
from tests.portal.organizations.conftest import (
    add_members,
    audit_actions,
    audit_event,
    invitations,
    make_stale,
    membership,
)
from tests.statements import counting_statements

# --- switching -------------------------------------------------------------


def test_switching_to_an_organization_of_yours_acts_for_it(make, login, client_org, vendor_org):
    person = make.member(client_org, "admin")
    make.add_membership(vendor_org, person, "viewer")
    browser = login(person, client_org)

    response = browser.post("/organizations/switch", data={"organization_id": vendor_org.id})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    page = browser.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    assert "You are now working in Atlas Back Office." in page
    assert 'data-testid="current-organization">Atlas Back Office<' in page
    db.session.expire_all()
    assert db.session.get(type(person), person.id).last_organization_id == vendor_org.id


def test_switching_to_an_organization_you_are_not_in_is_404(
    as_client_admin, other_client_org, client_org
):
    other_id = other_client_org.id
    response = as_client_admin.post("/organizations/switch", data={"organization_id": other_id})
    assert response.status_code == 404
    page = as_client_admin.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">Northwind Holdings<' in page


def test_switching_with_no_organization_id_is_404(as_client_admin):
    assert as_client_admin.post("/organizations/switch", data={}).status_code == 404


def test_switching_needs_a_login(client, client_org):
    response = client.post("/organizations/switch", data={"organization_id": client_org.id})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- choosing and creating -------------------------------------------------


def test_person_without_organization_is_sent_to_choose(make, login):
    browser = login(make.user(), None)
    response = browser.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organizations/choose")
    page = browser.get("/organizations/choose").get_data(as_text=True)
    assert "You are not a member of any organization yet." in page


def test_an_invitation_is_joined_only_through_its_emailed_link(
    make, login, as_client_admin, client_org
):
    """Addresses are not verified: holding the invited address is not enough."""
    as_client_admin.post(
        "/members/invite", data={"email": "newbie@example.test", "role": "finance"}
    )
    squatter = make.user(email="newbie@example.test")
    browser = login(squatter, None)

    page = browser.get("/organizations/choose").get_data(as_text=True)
    assert "Northwind Holdings" not in page
    assert "open the link in the invitation e-mail" in page
    invitation_id = invitations(client_org)[0].id
    assert browser.post(f"/organizations/invitations/{invitation_id}/accept").status_code == 404
    assert membership(client_org, squatter) is None


def _organization_form(**overrides) -> dict:
    data = {
        "name": "Globex Shared Services",
        "kind": "vendor",
        "legal_name": "Globex Shared Services SRL",
        "country": "RO",
        "vat_number": "RO12345674",
        "registration_number": "J40/1234/2020",
        "address_line1": "Strada Victoriei 1",
        "address_line2": "",
        "postal_code": "010061",
        "city": "Bucharest",
        "default_currency": "RON",
    }
    data.update(overrides)
    return data


def test_new_organization_is_created_with_you_as_admin_and_becomes_current(
    as_client_admin, client_admin
):
    assert as_client_admin.get("/organizations/new").status_code == 200
    response = as_client_admin.post("/organizations/new", data=_organization_form())
    assert response.status_code == 302
    organization = db.session.scalars(
        select(Organization).where(Organization.name == "Globex Shared Services")
    ).one()
    assert membership(organization, client_admin).role == Role.ADMIN
    page = as_client_admin.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">Globex Shared Services<' in page
    assert "organization.created" in audit_actions(organization)


def test_new_organization_works_without_a_current_one(make, login):
    person = make.user()
    browser = login(person, None)
    response = browser.post("/organizations/new", data=_organization_form(name="First Co"))
    assert response.status_code == 302
    page = browser.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">First Co<' in page


def test_invalid_new_organization_keeps_what_was_typed_and_creates_nothing(as_client_admin):
    response = as_client_admin.post(
        "/organizations/new", data=_organization_form(city="", name="Half Typed")
    )
    assert response.status_code == 400
    assert 'value="Half Typed"' in response.get_data(as_text=True)
    found = db.session.scalars(select(Organization).where(Organization.name == "Half Typed"))
    assert found.first() is None


# --- organization profile --------------------------------------------------


def test_viewer_reads_the_profile_but_cannot_change_it(as_client_viewer, client_org):
    page = as_client_viewer.get("/organization/settings")
    assert page.status_code == 200
    assert "Northwind Holdings SAS" in page.get_data(as_text=True)
    assert "Only administrators can change these details." in page.get_data(as_text=True)
    response = as_client_viewer.post("/organization/settings", data=_organization_form())
    assert response.status_code == 403


def test_admin_updates_the_profile_with_an_audit_of_before_and_after(as_client_admin, client_org):
    form = _organization_form(
        name="Northwind Group",
        kind="client",
        country="FR",
        vat_number="FR40303265045",
        registration_number="303265045",
    )
    response = as_client_admin.post("/organization/settings", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, client_org.id).name == "Northwind Group"
    event = audit_event(client_org, "organization.updated")
    assert event.before["name"] == "Northwind Holdings"
    assert event.after["name"] == "Northwind Group"


# --- members list ----------------------------------------------------------


def test_members_page_lists_name_email_role_and_admin_controls(make, as_client_admin, client_org):
    make.member(client_org, "finance", email="fiona@northwind.test", full_name="Fiona Finance")
    page = as_client_admin.get("/members").get_data(as_text=True)
    assert "Fiona Finance" in page
    assert "fiona@northwind.test" in page
    assert "Send the invitation" in page
    assert "/remove" in page


def test_viewer_sees_members_without_controls(make, as_client_viewer, client_org):
    make.member(client_org, "finance", full_name="Fiona Finance")
    page = as_client_viewer.get("/members").get_data(as_text=True)
    assert "Fiona Finance" in page
    assert "Finance" in page
    assert "Send the invitation" not in page
    assert "/remove" not in page
    assert "Pending invitations" not in page


def test_members_list_does_not_issue_more_queries_with_more_members(
    app, make, as_client_admin, client_org
):
    def statements_for(total_members: int) -> int:
        existing = len(
            db.session.scalars(
                across_tenants(
                    select(Membership).where(Membership.organization_id == client_org.id)
                )
            ).all()
        )
        for _ in range(total_members - existing):
            make.member(client_org, "viewer")
        with counting_statements(app) as statements:
            response = as_client_admin.get("/members?page=1")
        assert response.status_code == 200
        return len(statements)

    with_three = statements_for(3)
    with_fifty = statements_for(50)
    assert with_fifty == with_three


def test_members_list_is_paginated(make, as_client_admin, client_org):
    add_members(client_org.id, 30, name="Zed")
    first = as_client_admin.get("/members").get_data(as_text=True)
    second = as_client_admin.get("/members?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Zed 29" not in first
    assert "Zed 29" in second


# --- roles -----------------------------------------------------------------


def test_admin_changes_a_role_with_audit_and_notification(make, as_client_admin, client_org):
    person = make.member(client_org, "viewer", email="val@northwind.test")
    target = membership(client_org, person)
    mail.outbox.clear()

    response = as_client_admin.post(f"/members/{target.id}/role", data={"role": "finance"})

    assert response.status_code == 302
    assert membership(client_org, person).role == Role.FINANCE
    event = audit_event(client_org, "membership.role_changed")
    assert event.before["role"] == "viewer"
    assert event.after["role"] == "finance"
    with organization_context(client_org.id):
        notice = db.session.scalars(
            select(Notification).where(Notification.user_id == person.id)
        ).one()
    assert notice.kind == "membership.role_changed"
    assert "Finance" in notice.title
    assert [m["To"] for m in mail.outbox] == ["val@northwind.test"]


def test_role_change_by_a_non_admin_is_forbidden(make, as_client_finance, client_org):
    person = make.member(client_org, "viewer")
    org_id, person_id, target_id = client_org.id, person.id, membership(client_org, person).id
    response = as_client_finance.post(f"/members/{target_id}/role", data={"role": "admin"})
    assert response.status_code == 403
    assert membership(org_id, person_id).role == Role.VIEWER


def test_the_last_admin_cannot_be_demoted(as_client_admin, client_admin, client_org):
    target = membership(client_org, client_admin)
    response = as_client_admin.post(f"/members/{target.id}/role", data={"role": "viewer"})
    assert response.status_code == 302
    page = as_client_admin.get("/members").get_data(as_text=True)
    assert "last administrator" in page
    assert membership(client_org, client_admin).role == Role.ADMIN
    assert "membership.role_changed" not in audit_actions(client_org)


def test_an_admin_can_step_down_when_another_admin_remains(
    make, as_client_admin, client_admin, client_org
):
    make.member(client_org, "admin")
    target = membership(client_org, client_admin)
    as_client_admin.post(f"/members/{target.id}/role", data={"role": "procurement"})
    assert membership(client_org, client_admin).role == Role.PROCUREMENT


def test_role_change_needs_a_recent_login(make, login, client_org):
    from flask import g

    admin = make.member(client_org, "admin")
    browser = login(admin, client_org)
    make_stale(g.user_session)
    person = make.member(client_org, "viewer")
    target = membership(client_org, person)

    response = browser.post(f"/members/{target.id}/role", data={"role": "finance"})

    assert response.status_code == 302
    assert "/reauthenticate" in response.headers["Location"]
    assert membership(client_org, person).role == Role.VIEWER


def test_another_organizations_admin_gets_404_on_role_and_remove(
    make, as_other_client_admin, client_org
):
    person = make.member(client_org, "viewer")
    org_id, person_id, target_id = client_org.id, person.id, membership(client_org, person).id
    role = as_other_client_admin.post(f"/members/{target_id}/role", data={"role": "admin"})
    assert role.status_code == 404
    assert as_other_client_admin.post(f"/members/{target_id}/remove").status_code == 404
    assert membership(org_id, person_id).role == Role.VIEWER


# --- removal and leaving ---------------------------------------------------


def test_removing_a_member_ends_their_sessions_for_the_organization(
    make, login, as_client_admin, client_org, vendor_org
):
    person = make.member(client_org, "procurement", email="pat@northwind.test")
    make.add_membership(vendor_org, person, "viewer")
    removed_browser = login(person, client_org)
    elsewhere_browser = login(person, vendor_org)
    assert removed_browser.get("/members").status_code == 200
    target = membership(client_org, person)
    mail.outbox.clear()

    response = as_client_admin.post(f"/members/{target.id}/remove")

    assert response.status_code == 302
    assert membership(client_org, person) is None
    event = audit_event(client_org, "membership.removed")
    assert event.before["role"] == "procurement"
    assert "pat@northwind.test" in [m["To"] for m in mail.outbox]
    # The old cookie no longer reaches the organization's pages.
    stale = removed_browser.get("/members")
    assert stale.status_code == 302
    assert "/login" in stale.headers["Location"]
    # A session acting for another of their organizations lives on, there.
    page = elsewhere_browser.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">Atlas Back Office<' in page
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all()
    assert sorted(s.revoked_at is None for s in sessions) == [False, True]


def test_a_removed_member_who_switches_back_is_refused(
    make, login, as_client_admin, client_org, vendor_org
):
    person = make.member(client_org, "procurement")
    make.add_membership(vendor_org, person, "viewer")
    browser = login(person, vendor_org)
    target = membership(client_org, person)
    as_client_admin.post(f"/members/{target.id}/remove")
    response = browser.post("/organizations/switch", data={"organization_id": client_org.id})
    assert response.status_code == 404


def test_the_last_admin_cannot_be_removed(as_client_admin, client_admin, client_org):
    target = membership(client_org, client_admin)
    response = as_client_admin.post(f"/members/{target.id}/remove")
    assert response.status_code == 302
    assert membership(client_org, client_admin) is not None
    assert "membership.removed" not in audit_actions(client_org)
    assert "last administrator" in as_client_admin.get("/members").get_data(as_text=True)


def test_a_viewer_cannot_remove_anyone(make, as_client_viewer, client_org):
    person = make.member(client_org, "finance")
    org_id, person_id, target_id = client_org.id, person.id, membership(client_org, person).id
    assert as_client_viewer.post(f"/members/{target_id}/remove").status_code == 403
    assert membership(org_id, person_id) is not None


def test_a_member_leaves_and_lands_on_choose(make, login, client_org):
    person = make.member(client_org, "viewer")
    browser = login(person, client_org)
    response = browser.post("/members/leave")
    assert response.status_code == 302
    assert membership(client_org, person) is None
    assert "membership.left" in audit_actions(client_org)
    landing = browser.get("/dashboard")
    assert landing.headers["Location"].endswith("/organizations/choose")


def test_the_last_admin_cannot_leave(as_client_admin, client_admin, client_org):
    response = as_client_admin.post("/members/leave")
    assert response.status_code == 302
    assert membership(client_org, client_admin) is not None
    assert "last administrator" in as_client_admin.get("/members").get_data(as_text=True)

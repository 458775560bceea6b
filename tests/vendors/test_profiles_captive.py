"""A vendor organization linked to its parent client as a captive shared-services centre."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.models import AuditEvent, Organization
from portal.organizations.operations import CaptiveLinkError, link_captive_centre
from portal.tenancy import across_tenants, organization_context


def captive_of_id(org_id: int) -> int | None:
    db.session.expire_all()
    statement = select(Organization.captive_of_id).where(Organization.id == org_id)
    return db.session.scalar(statement)


def link_events(org_id: int) -> list[AuditEvent]:
    with organization_context(org_id):
        statement = select(AuditEvent).where(
            AuditEvent.action == "organization.captive_link_changed"
        )
        return list(db.session.scalars(statement))


@pytest.fixture
def centre(make):
    return make.organization(name="Northwind Shared Services", kind="vendor")


@pytest.fixture
def centre_admin(make, centre, client_org):
    """An admin of the centre who is also an admin of its parent, Northwind."""
    person = make.member(centre, "admin", email="it.lead@northwind.test")
    make.add_membership(client_org, person, "admin")
    return person


@pytest.fixture
def as_centre_admin(login, centre_admin, centre):
    return login(centre_admin, centre)


def test_the_settings_page_offers_the_clients_the_admin_administers(
    as_centre_admin, make, centre_admin, other_client_org
):
    # A client where the person is only a viewer, and a vendor where they are admin.
    make.add_membership(other_client_org, centre_admin, "viewer")
    make.add_membership(make.organization(name="Some Vendor", kind="vendor"), centre_admin)
    html = as_centre_admin.get("/organization/settings").get_data(as_text=True)
    assert 'data-testid="captive-link"' in html
    assert ">Northwind Holdings</option>" in html
    assert "Contoso Industries</option>" not in html
    assert "Some Vendor</option>" not in html
    assert "Not linked to a client" in html


def test_linking_the_centre_is_saved_audited_and_shown(
    as_centre_admin, centre, client_org, as_client_admin
):
    response = as_centre_admin.post(
        "/organization/captive-link", data={"captive_of_id": str(client_org.id)}
    )
    assert response.status_code == 302
    assert captive_of_id(centre.id) == client_org.id
    [event] = link_events(centre.id)
    assert event.before == {"captive_of_id": None}
    assert event.after == {"captive_of_id": client_org.id}
    # The client keeps it in its own log too.
    assert len(link_events(client_org.id)) == 1
    settings = as_centre_admin.get("/organization/settings").get_data(as_text=True)
    assert "Captive centre of Northwind Holdings" in settings


def test_a_client_the_user_does_not_administer_is_refused(
    as_centre_admin, make, centre, centre_admin, other_client_org
):
    make.add_membership(other_client_org, centre_admin, "procurement")
    response = as_centre_admin.post(
        "/organization/captive-link", data={"captive_of_id": str(other_client_org.id)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="captive_of_id"' in html
    assert "Choose a client organization of which you are an administrator." in html
    assert captive_of_id(centre.id) is None
    assert link_events(centre.id) == []


@pytest.mark.parametrize("forged", ["client", "nonsense"])
def test_a_forged_id_from_a_centre_admin_without_clients_is_refused(
    make, login, centre, client_org, forged
):
    browser = login(make.member(centre, "admin"), centre)
    html = browser.get("/organization/settings").get_data(as_text=True)
    assert "you must also be an administrator of the client organization" in html
    value = str(client_org.id) if forged == "client" else "nonsense"
    response = browser.post("/organization/captive-link", data={"captive_of_id": value})
    assert response.status_code == 400
    assert 'data-field="captive_of_id"' in response.get_data(as_text=True)
    assert captive_of_id(centre.id) is None


def test_unlinking_the_centre(as_centre_admin, centre, client_org):
    centre.captive_of_id = client_org.id
    response = as_centre_admin.post("/organization/captive-link", data={"captive_of_id": ""})
    assert response.status_code == 302
    assert captive_of_id(centre.id) is None
    [event] = link_events(centre.id)
    assert event.after == {"captive_of_id": None}


def test_the_same_link_twice_is_recorded_once(as_centre_admin, centre, client_org):
    for _ in range(2):
        response = as_centre_admin.post(
            "/organization/captive-link", data={"captive_of_id": str(client_org.id)}
        )
        assert response.status_code == 302
    assert len(link_events(centre.id)) == 1


def test_another_admin_of_the_centre_sees_the_link_and_may_keep_it(make, login, centre, client_org):
    centre.captive_of_id = client_org.id
    browser = login(make.member(centre, "admin"), centre)
    html = browser.get("/organization/settings").get_data(as_text=True)
    assert "Captive centre of Northwind Holdings" in html
    response = browser.post(
        "/organization/captive-link", data={"captive_of_id": str(client_org.id)}
    )
    assert response.status_code == 302
    assert captive_of_id(centre.id) == client_org.id


def test_a_viewer_cannot_change_the_link(make, login, centre, client_org):
    viewer = make.member(centre, "viewer")
    make.add_membership(client_org, viewer, "admin")
    browser = login(viewer, centre)
    html = browser.get("/organization/settings").get_data(as_text=True)
    assert 'action="/organization/captive-link"' not in html
    response = browser.post(
        "/organization/captive-link", data={"captive_of_id": str(client_org.id)}
    )
    assert response.status_code == 403
    assert captive_of_id(centre.id) is None


def test_a_client_only_organization_has_no_captive_link(as_client_admin, client_org):
    html = as_client_admin.get("/organization/settings").get_data(as_text=True)
    assert 'data-testid="captive-link"' not in html
    response = as_client_admin.post("/organization/captive-link", data={"captive_of_id": ""})
    assert response.status_code == 404


def test_saving_the_details_leaves_the_link_alone(as_centre_admin, centre, client_org):
    centre.captive_of_id = client_org.id
    data = {
        "name": "Northwind Shared Services",
        "kind": "vendor",
        "legal_name": "Northwind SSC sp. z o.o.",
        "country": "PL",
        "address_line1": "ul. Długa 1",
        "postal_code": "31-147",
        "city": "Kraków",
        "default_currency": "PLN",
    }
    response = as_centre_admin.post("/organization/settings", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert captive_of_id(centre.id) == client_org.id


def test_the_operation_refuses_a_client_the_actor_does_not_administer(
    make, centre, other_client_org
):
    admin = make.member(centre, "admin")
    with organization_context(centre.id), pytest.raises(CaptiveLinkError) as refused:
        link_captive_centre(admin, centre, other_client_org.id)
    assert refused.value.field == "captive_of_id"
    assert centre.captive_of_id is None


def test_the_operation_refuses_a_client_only_organization(make, client_org, other_client_org):
    admin = make.member(client_org, "admin")
    make.add_membership(other_client_org, admin, "admin")
    with organization_context(client_org.id), pytest.raises(CaptiveLinkError):
        link_captive_centre(admin, client_org, other_client_org.id)


def test_an_organization_is_never_its_own_parent(make):
    both = make.organization(name="Both Ways", kind="both")
    admin = make.member(both, "admin")
    with organization_context(both.id), pytest.raises(CaptiveLinkError):
        link_captive_centre(admin, both, both.id)
    statement = select(AuditEvent).where(AuditEvent.target_id == both.id)
    assert list(db.session.scalars(across_tenants(statement))) == []

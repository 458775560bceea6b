"""Sign-up: one form creates the person, their organization and logs them in."""

from __future__ import annotations

from sqlalchemy import select

from portal import db, tenancy
from portal.models import AuditEvent, Membership, Organization, Role
from tests.portal.auth.helpers import SIGNUP, session_token, user_named


def test_sign_up_creates_user_organization_admin_membership_audit_and_logs_in(client):
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"

    person = user_named("camille@northwind.test")
    assert person.full_name == "Camille Martin"
    assert person.locale == "fr"
    assert person.password_hash.startswith("$argon2id$")
    organization = db.session.scalars(
        select(Organization).where(Organization.name == "Northwind Holdings")
    ).one()
    assert person.last_organization_id == organization.id
    with tenancy.organization_context(organization.id):
        membership = db.session.scalars(select(Membership)).one()
        actions = set(db.session.scalars(select(AuditEvent.action)))
        signed_up = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.signed_up")
        ).one()
    assert (membership.user_id, membership.role) == (person.id, Role.ADMIN)
    assert actions == {"organization.created", "user.signed_up"}
    assert signed_up.target_id == person.id and signed_up.actor_id == person.id

    assert session_token(client) is not None
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Northwind Holdings" in dashboard.get_data(as_text=True)


def test_duplicate_email_is_refused_on_the_email_field_keeping_other_values(client, make):
    make.user(email="camille@northwind.test")
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-field="email"' in page
    assert "An account already uses this e-mail address." in page
    assert 'value="Camille Martin"' in page
    assert 'value="Northwind Holdings SAS"' in page
    assert 'value="75002"' in page
    assert "a long enough secret" not in page  # passwords are never echoed back
    assert db.session.scalars(select(Organization)).all() == []


def test_short_password_is_refused_on_the_password_field(client):
    response = client.post(
        "/signup", data={**SIGNUP, "password": "short", "password_confirmation": "short"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-field="password"' in page
    assert "at least 10 characters" in page


def test_password_equal_to_the_email_is_refused(client):
    email = "camille@northwind.test"
    response = client.post(
        "/signup", data={**SIGNUP, "password": email, "password_confirmation": email}
    )
    assert response.status_code == 400
    assert "must not be your e-mail address" in response.get_data(as_text=True)


def test_mismatched_confirmation_names_the_confirmation_field(client):
    response = client.post("/signup", data={**SIGNUP, "password_confirmation": "something else!"})
    assert response.status_code == 400
    assert 'data-field="password_confirmation"' in response.get_data(as_text=True)


def test_missing_organization_field_is_named_and_nothing_is_created(client):
    response = client.post("/signup", data={**SIGNUP, "legal_name": ""})
    assert response.status_code == 400
    assert 'data-field="legal_name"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Organization)).all() == []


def test_signup_page_renders_both_sections(client):
    page = client.get("/signup").get_data(as_text=True)
    assert "Your organization" in page and 'name="legal_name"' in page
    assert 'name="password_confirmation"' in page


def test_a_taken_email_is_named_even_when_other_fields_are_wrong(client, make, client_org):
    make.member(client_org, "admin", email="taken@example.com")
    response = client.post(
        "/signup",
        data={"email": "taken@example.com", "full_name": "Someone", "password": "short"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "An account already uses this e-mail address." in html
    assert "Use at least 10 characters." in html

"""Invitations: sending, replacing, revoking, and accepting them in every situation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import db, mail
from portal.db import utcnow
from portal.models import Invitation, Membership, Notification, Role, User
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash
from tests.portal.organizations.conftest import (
    audit_actions,
    invitation_path,
    invitations,
    membership,
    memberships_of,
)

NEWBIE = "newbie@example.test"


def _invite(browser, email: str = NEWBIE, role: str = "procurement"):
    return browser.post("/members/invite", data={"email": email, "role": role})


def _signup(**overrides) -> dict:
    data = {
        "full_name": "Nora Newbie",
        "password": "a long enough passphrase",
        "password_confirmation": "a long enough passphrase",
        "locale": "fr",
    }
    data.update(overrides)
    return data


# --- sending ---------------------------------------------------------------


def test_admin_invites_by_email_with_a_link_whose_hash_only_is_stored(as_client_admin, client_org):
    response = _invite(as_client_admin, "  Newbie@Example.TEST ")
    assert response.status_code == 302

    [invitation] = invitations(client_org)
    assert invitation.email == NEWBIE
    assert invitation.role == Role.PROCUREMENT
    path = invitation_path(NEWBIE)
    token = path.rsplit("/", 1)[1]
    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    expires_in = invitation.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    assert timedelta(days=6, hours=23) < expires_in <= timedelta(days=7)
    assert "invitation.created" in audit_actions(client_org)
    page = as_client_admin.get("/members").get_data(as_text=True)
    assert NEWBIE in page
    assert "Pending invitations" in page


def test_a_viewer_cannot_invite(as_client_viewer, client_org):
    org_id = client_org.id
    assert _invite(as_client_viewer).status_code == 403
    assert invitations(org_id) == []
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused_on_the_email_field(
    make, as_client_admin, client_org
):
    org_id = client_org.id
    make.member(client_org, "finance", email="fiona@northwind.test")
    response = _invite(as_client_admin, "FIONA@northwind.test")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-field="email">fiona@northwind.test is already a member' in page
    assert invitations(org_id) == []
    assert mail.outbox == []


def test_an_invalid_email_is_refused_and_kept(as_client_admin, client_org):
    org_id = client_org.id
    response = _invite(as_client_admin, "not-an-address")
    assert response.status_code == 400
    assert 'value="not-an-address"' in response.get_data(as_text=True)
    assert invitations(org_id) == []


def test_inviting_again_replaces_the_pending_invitation(as_client_admin, client_org):
    _invite(as_client_admin, role="viewer")
    first_path = invitation_path(NEWBIE)
    _invite(as_client_admin, role="finance")

    old, new = invitations(client_org)
    assert old.revoked_at is not None
    assert new.revoked_at is None and new.role == Role.FINANCE
    assert as_client_admin.get(first_path).status_code == 404


def test_revoking_an_invitation_kills_its_link(as_client_admin, client, client_org):
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)
    [invitation] = invitations(client_org)

    response = as_client_admin.post(f"/members/invitations/{invitation.id}/revoke")

    assert response.status_code == 302
    page = client.get(path)
    assert page.status_code == 404
    assert "withdrawn" in page.get_data(as_text=True)
    assert "invitation.revoked" in audit_actions(client_org)


def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    as_client_admin, client, client_org
):
    _invite(as_client_admin)
    old_path = invitation_path(NEWBIE)
    [invitation] = invitations(client_org)
    mail.outbox.clear()

    as_client_admin.post(f"/members/invitations/{invitation.id}/resend")

    new_path = invitation_path(NEWBIE)
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    assert "invitation.resent" in audit_actions(client_org)


def test_another_organizations_admin_cannot_touch_our_invitations(
    as_client_admin, as_other_client_admin, client_org
):
    org_id = client_org.id
    _invite(as_client_admin)
    invitation_id = invitations(org_id)[0].id
    for action in ("revoke", "resend"):
        url = f"/members/invitations/{invitation_id}/{action}"
        assert as_other_client_admin.post(url).status_code == 404
    assert invitations(org_id)[0].revoked_at is None


# --- accepting -------------------------------------------------------------


def test_a_new_person_accepts_by_creating_an_account(
    as_client_admin, client_admin, client, client_org
):
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)
    mail.outbox.clear()

    form = client.get(path)
    assert form.status_code == 200
    assert 'data-situation="sign_up"' in form.get_data(as_text=True)
    assert f'value="{NEWBIE}" readonly' in form.get_data(as_text=True)

    response = client.post(path, data=_signup())

    assert response.status_code == 302
    person = db.session.scalars(select(User).where(User.email == NEWBIE)).one()
    assert person.full_name == "Nora Newbie"
    assert person.locale == "fr"
    assert membership(client_org, person).role == Role.PROCUREMENT
    [invitation] = invitations(client_org)
    assert invitation.accepted_at is not None and invitation.accepted_by_id == person.id
    actions = audit_actions(client_org)
    assert "invitation.accepted" in actions and "membership.created" in actions
    with organization_context(client_org.id):
        notice = db.session.scalars(
            select(Notification).where(Notification.user_id == client_admin.id)
        ).one()
    assert notice.kind == "membership.joined"
    assert "admin@northwind.test" in [m["To"] for m in mail.outbox]
    # The new person is logged in, acting for the organization they joined.
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">Northwind Holdings<' in page


def test_the_new_account_form_checks_the_password(as_client_admin, client, client_org):
    org_id = client_org.id
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)
    short = client.post(path, data=_signup(password="too short", password_confirmation="too short"))
    assert short.status_code == 400
    assert "at least 10 characters" in short.get_data(as_text=True)
    mismatch = client.post(path, data=_signup(password_confirmation="something different"))
    assert mismatch.status_code == 400
    assert "do not match" in mismatch.get_data(as_text=True)
    assert db.session.scalars(select(User).where(User.email == NEWBIE)).first() is None
    assert invitations(org_id)[0].accepted_at is None


def test_an_existing_person_logged_in_accepts_and_keeps_their_account(
    make, login, as_client_admin, vendor_org, client_org
):
    person = make.member(vendor_org, "delivery", email=NEWBIE)
    browser = login(person, vendor_org)
    _invite(as_client_admin, role="finance")
    path = invitation_path(NEWBIE)

    confirm = browser.get(path)
    assert 'data-situation="confirm"' in confirm.get_data(as_text=True)
    response = browser.post(path)

    assert response.status_code == 302
    assert db.session.scalars(select(User).where(User.email == NEWBIE)).one().id == person.id
    assert sorted(m.organization_id for m in memberships_of(person.id)) == sorted(
        [vendor_org.id, client_org.id]
    )
    assert membership(client_org, person).role == Role.FINANCE
    page = browser.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="current-organization">Northwind Holdings<' in page


def test_an_existing_person_not_logged_in_is_asked_to_log_in(
    make, as_client_admin, client, vendor_org
):
    make.member(vendor_org, "delivery", email=NEWBIE)
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)

    page = client.get(path).get_data(as_text=True)

    assert 'data-situation="log_in"' in page
    assert "/login?next=" in page and path.rsplit("/", 1)[1] in page
    assert client.post(path, data=_signup()).status_code == 200
    assert len(db.session.scalars(select(User).where(User.email == NEWBIE)).all()) == 1


def test_someone_logged_in_with_another_email_is_told_and_offered_to_log_out(
    make, login, as_client_admin, vendor_org, client_org
):
    intruder = make.member(vendor_org, "admin", email="someone.else@atlas.test")
    browser = login(intruder, vendor_org)
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)

    page = browser.get(path).get_data(as_text=True)
    assert 'data-situation="other_account"' in page
    assert "/logout" in page
    browser.post(path)
    assert membership(client_org, intruder) is None
    assert invitations(client_org)[0].accepted_at is None


def test_an_invitation_works_only_once(as_client_admin, client, app, client_org):
    org_id = client_org.id
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)
    client.post(path, data=_signup())

    again = app.test_client().get(path)

    assert again.status_code == 404
    assert "already been accepted" in again.get_data(as_text=True)
    second_try = app.test_client().post(path, data=_signup(full_name="Someone Else"))
    assert second_try.status_code == 404
    with organization_context(org_id):
        assert len(db.session.scalars(select(Membership)).all()) == 2


def test_an_expired_invitation_is_refused(as_client_admin, client, client_org):
    org_id = client_org.id
    _invite(as_client_admin)
    path = invitation_path(NEWBIE)
    [invitation] = invitations(org_id)
    invitation.expires_at = utcnow() - timedelta(minutes=1)

    response = client.get(path)
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)
    assert client.post(path, data=_signup()).status_code == 404
    assert db.session.scalars(select(User).where(User.email == NEWBIE)).first() is None


def test_an_unknown_token_is_a_clear_404(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_an_existing_member_who_is_invited_again_is_told(make, login, client_org):
    person = make.member(client_org, "viewer", email=NEWBIE)
    token = new_token()
    with organization_context(client_org.id):
        # Invited before joining another way: the link still opens, and says so.
        db.session.add(
            Invitation(
                email=NEWBIE,
                role=Role.FINANCE,
                token_hash=token_hash(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        db.session.flush()
    browser = login(person, client_org)

    page = browser.get(f"/invitations/{token}").get_data(as_text=True)

    assert 'data-situation="already_member"' in page
    browser.post(f"/invitations/{token}")
    assert membership(client_org, person).role == Role.VIEWER

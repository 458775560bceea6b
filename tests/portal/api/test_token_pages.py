"""The API token pages: admins only, the secret shown once, only its hash stored."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal import db, tenancy
from portal.models import ApiToken, AuditEvent
from portal.tenancy import organization_context
from portal.tokens import token_hash
from tests.portal.api.conftest import bearer


def _create(browser, name="ERP export", role="finance"):
    return browser.post("/settings/api-tokens/", data={"name": name, "role": role})


def _secret_from(html: str) -> str:
    match = re.search(r'data-testid="api-token-secret">(rls_[^<]+)<', html)
    assert match, "the new token is shown on the result page"
    return match.group(1)


def _tokens(organization_id: int) -> list[ApiToken]:
    with organization_context(organization_id):
        return list(db.session.scalars(select(ApiToken)))


def test_admin_sees_the_token_list_and_the_form(as_client_admin):
    response = as_client_admin.get("/settings/api-tokens/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="name"' in html and 'name="role"' in html
    assert '<option selected value="viewer">' in html


def test_new_token_is_shown_once_and_only_its_hash_is_stored(as_client_admin, client_org):
    org_id = client_org.id
    response = _create(as_client_admin)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = _secret_from(html)
    assert 'data-copy-target="api-token-secret"' in html

    [record] = _tokens(org_id)
    assert record.token_hash == token_hash(secret)
    assert record.prefix == secret[:12]
    assert record.role.value == "finance"
    assert record.name == "ERP export"
    columns = [getattr(record, c.key) for c in ApiToken.__table__.columns]
    assert secret not in [str(value) for value in columns]

    listing = as_client_admin.get("/settings/api-tokens/").get_data(as_text=True)
    assert secret not in listing
    assert secret[:12] in listing
    assert "ERP export" in listing


def test_the_new_token_works_on_the_api(as_client_admin, client, client_org):
    secret = _secret_from(_create(as_client_admin).get_data(as_text=True))
    response = client.get("/api/v1/organization", headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["id"] == client_org.id


def test_creation_and_revocation_are_audited_without_the_secret(as_client_admin, client_org):
    org_id = client_org.id
    secret = _secret_from(_create(as_client_admin).get_data(as_text=True))
    [record] = _tokens(org_id)
    assert as_client_admin.post(f"/settings/api-tokens/{record.id}/revoke").status_code == 302
    with organization_context(org_id):
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [event.action for event in events] == ["api_token.created", "api_token.revoked"]
    for event in events:
        assert event.target_id == record.id
        assert event.actor_id is not None
        stored = repr((event.before, event.after, event.summary))
        assert secret not in stored
        assert token_hash(secret) not in stored


def test_revoked_token_is_refused_and_shown_revoked(as_client_admin, client, client_org):
    org_id = client_org.id
    secret = _secret_from(_create(as_client_admin).get_data(as_text=True))
    [record] = _tokens(org_id)
    response = as_client_admin.post(f"/settings/api-tokens/{record.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/organization", headers=bearer(secret)).status_code == 401
    listing = as_client_admin.get("/settings/api-tokens/").get_data(as_text=True)
    assert "Revoked" in listing
    assert f"/settings/api-tokens/{record.id}/revoke" not in listing


def test_revoking_twice_changes_nothing_more(as_client_admin, client_org):
    org_id = client_org.id
    _create(as_client_admin)
    [record] = _tokens(org_id)
    as_client_admin.post(f"/settings/api-tokens/{record.id}/revoke")
    first = _tokens(org_id)[0].revoked_at
    as_client_admin.post(f"/settings/api-tokens/{record.id}/revoke")
    db.session.expire_all()
    assert _tokens(org_id)[0].revoked_at == first
    with organization_context(org_id):
        revocations = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_token.revoked")
        ).all()
    assert len(revocations) == 1


def test_a_form_without_name_is_refused_and_creates_nothing(as_client_admin, client_org):
    org_id = client_org.id
    response = _create(as_client_admin, name="")
    assert response.status_code == 400
    assert "rls_" not in response.get_data(as_text=True)
    assert _tokens(org_id) == []


def test_a_viewer_gets_403_on_every_token_page(as_client_viewer, client_org, make_token):
    org_id = client_org.id
    make_token(client_org)  # commits, and with it the viewer's login
    [record] = _tokens(org_id)
    token_id = record.id
    assert as_client_viewer.get("/settings/api-tokens/").status_code == 403
    assert _create(as_client_viewer).status_code == 403
    assert as_client_viewer.post(f"/settings/api-tokens/{token_id}/revoke").status_code == 403
    assert _tokens(org_id)[0].revoked_at is None


def test_finance_member_gets_403(as_client_finance):
    assert as_client_finance.get("/settings/api-tokens/").status_code == 403


def test_another_organizations_admin_gets_404_on_revoke(
    as_other_client_admin, client_org, make_token
):
    org_id = client_org.id
    make_token(client_org)
    [record] = _tokens(org_id)
    token_id = record.id
    response = as_other_client_admin.post(f"/settings/api-tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert _tokens(org_id)[0].revoked_at is None


def test_the_list_shows_only_the_organizations_own_tokens(
    as_other_client_admin, client_org, make_token
):
    org_id = client_org.id
    make_token(client_org)
    [record] = _tokens(org_id)
    html = as_other_client_admin.get("/settings/api-tokens/").get_data(as_text=True)
    assert record.prefix not in html


def test_token_pages_keep_csrf_protection(app, as_client_admin, client_org):
    org_id = client_org.id
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _create(as_client_admin)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert _tokens(org_id) == []


def test_tokens_are_found_across_tenants_only_through_the_hash(client_org, make_token):
    secret = make_token(client_org)
    statement = select(ApiToken).where(ApiToken.token_hash == token_hash(secret))
    assert (
        db.session.scalars(tenancy.across_tenants(statement)).one().organization_id == client_org.id
    )


def test_a_form_sent_twice_creates_one_token(as_client_admin, client_org):
    org_id = client_org.id
    assert _create(as_client_admin, name="Nightly export").status_code == 200
    again = _create(as_client_admin, name="nightly export ")
    assert again.status_code == 400
    assert "An active token already has this name" in again.get_data(as_text=True)
    assert [token.name for token in _tokens(org_id)] == ["Nightly export"]


def test_a_revoked_tokens_name_can_be_used_again(as_client_admin, client_org):
    org_id = client_org.id
    _create(as_client_admin, name="ERP")
    [first] = _tokens(org_id)
    as_client_admin.post(f"/settings/api-tokens/{first.id}/revoke")
    assert _create(as_client_admin, name="ERP").status_code == 200
    assert len(_tokens(org_id)) == 2


def test_the_token_list_costs_the_same_statements_for_3_and_50_tokens(
    app, as_client_admin, make, client_org, client_admin
):
    from tests.statements import counting_statements

    def statements_with(total: int) -> int:
        with organization_context(client_org.id):
            while len(db.session.scalars(select(ApiToken)).all()) < total:
                count = len(db.session.scalars(select(ApiToken)).all())
                db.session.add(
                    ApiToken(
                        name=f"token {count}",
                        prefix=f"rls_{count:08d}",
                        token_hash=token_hash(f"secret {count}"),
                        role="viewer",
                        created_by_id=make.member(client_org, "viewer").id,
                    )
                )
                db.session.flush()
        as_client_admin.get("/settings/api-tokens/")  # the session's first request writes last-seen
        with counting_statements(app) as statements:
            assert as_client_admin.get("/settings/api-tokens/").status_code == 200
        return len(statements)

    assert statements_with(3) == statements_with(50)

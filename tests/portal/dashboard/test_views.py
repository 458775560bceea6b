"""The dashboard: what the organization has, what is new, what to do first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import url_for

from portal import db
from portal.db import utcnow
from portal.models import ApiToken, AuditEvent, Invitation, Notification, Role
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash


def test_home_redirects_to_login_or_to_the_dashboard(client, as_client_admin):
    assert "/login" in client.get("/").headers["Location"]
    assert as_client_admin.get("/").headers["Location"].endswith("/dashboard")


def test_client_sees_functions_and_monthly_baseline_per_currency(
    app, make, as_client_viewer, client_org
):
    # 10 × 60 000 + 60 000 + 36 000 + 24 000 + 120 000 = 840 000 a year, 70 000 a month.
    make.function(client_org, name="Accounts payable")
    make.function(client_org, name="Payroll")
    # 1 × 1 000 + 0.01 = 1 000.01 a year: 83.3341…, shown 83.33 a month.
    make.function(
        client_org,
        name="Treasury",
        currency="GBP",
        ftes=Decimal("1"),
        annual_cost_per_fte=Decimal("1000"),
        annual_overheads=Decimal("0.01"),
        annual_facilities=Decimal("0"),
        annual_technology=Decimal("0"),
        annual_management=Decimal("0"),
    )

    page = as_client_viewer.get("/dashboard").get_data(as_text=True)

    assert 'data-testid="functions-summary"' in page
    euros = page.split('data-testid="baseline-EUR"')[1].split("</tr>")[0]
    pounds = page.split('data-testid="baseline-GBP"')[1].split("</tr>")[0]
    assert ">2<" in euros and "€140,000.00" in euros
    assert ">1<" in pounds and "£83.33" in pounds
    with app.test_request_context():
        assert f'href="{url_for("functions.index")}"' in page


def test_vendor_only_organization_sees_no_client_section(app, as_vendor_admin, vendor_org):
    page = as_vendor_admin.get("/dashboard").get_data(as_text=True)

    assert vendor_org.name in page
    assert 'data-testid="side-vendor"' in page
    assert 'data-testid="side-client"' not in page
    assert 'data-testid="functions-summary"' not in page
    assert 'data-testid="step-department"' not in page
    assert 'data-testid="step-function"' not in page
    with app.test_request_context():
        assert f'href="{url_for("functions.index")}"' not in page


def test_organization_on_both_sides_shows_both(make, login):
    both = make.organization(name="Hybrid Group", kind="both")
    page = login(make.member(both, "admin"), both).get("/dashboard").get_data(as_text=True)

    assert 'data-testid="side-client"' in page and 'data-testid="side-vendor"' in page
    assert 'data-testid="functions-summary"' in page


def test_admin_sees_members_and_pending_invitations(make, login, client_org):
    admin = make.member(client_org, "admin")
    make.member(client_org, "viewer")
    with organization_context(client_org.id):
        for email, expires, revoked in (
            ("pending@example.test", utcnow() + timedelta(days=3), None),
            ("expired@example.test", utcnow() - timedelta(days=1), None),
            ("revoked@example.test", utcnow() + timedelta(days=3), utcnow()),
        ):
            db.session.add(
                Invitation(
                    email=email,
                    role=Role.VIEWER,
                    token_hash=token_hash(new_token()),
                    expires_at=expires,
                    revoked_at=revoked,
                )
            )
        db.session.flush()

    page = login(admin, client_org).get("/dashboard").get_data(as_text=True)

    assert "2 members" in page
    assert "1 pending invitation" in page


def test_viewer_sees_no_invitations_audit_events_or_checklist(make, login, client_org):
    viewer = make.member(client_org, "viewer")
    with organization_context(client_org.id):
        db.session.add(AuditEvent(action="function.created", target_type="X", summary="Secret"))
        db.session.flush()

    page = login(viewer, client_org).get("/dashboard").get_data(as_text=True)

    assert 'data-testid="pending-invitations"' not in page
    assert 'data-testid="latest-audit-events"' not in page
    assert 'data-testid="getting-started"' not in page
    assert "Secret" not in page


def test_latest_five_notifications_of_the_member_only(make, login, client_org):
    me = make.member(client_org, "viewer")
    colleague = make.member(client_org, "viewer")
    with organization_context(client_org.id):
        for number in range(7):
            db.session.add(
                Notification(
                    user_id=me.id,
                    kind="test",
                    title=f"Mine {number}",
                    created_at=utcnow() - timedelta(minutes=10 - number),
                )
            )
        db.session.add(Notification(user_id=colleague.id, kind="test", title="Not mine"))
        db.session.flush()

    page = login(me, client_org).get("/dashboard").get_data(as_text=True)
    section = page.split('data-testid="latest-notifications"')[1].split("</section>")[0]

    assert [f"Mine {n}" in section for n in range(7)] == [False, False] + [True] * 5
    assert "Not mine" not in section


def test_admin_sees_the_latest_five_audit_events_of_the_organization(
    make, login, client_org, other_client_org
):
    admin = make.member(client_org, "admin", full_name="Ada Admin")
    for org, label in ((client_org, "Ours"), (other_client_org, "Theirs")):
        with organization_context(org.id):
            for number in range(6):
                db.session.add(
                    AuditEvent(
                        action="function.created",
                        target_type="BackOfficeFunction",
                        summary=f"{label} {number}",
                        actor_id=admin.id if org is client_org else None,
                        occurred_at=utcnow() - timedelta(minutes=10 - number),
                    )
                )
            db.session.flush()

    page = login(admin, client_org).get("/dashboard").get_data(as_text=True)
    section = page.split('data-testid="latest-audit-events"')[1].split("</section>")[0]

    assert "Ours 0" not in section
    assert all(f"Ours {n}" in section for n in range(1, 6))
    assert "Theirs" not in section
    assert "Ada Admin" in section


def test_getting_started_lists_the_first_steps_of_a_new_client(app, as_client_admin):
    page = as_client_admin.get("/dashboard").get_data(as_text=True)

    for step in ("department", "function", "colleague", "api-token"):
        assert f'data-testid="step-{step}" data-done="false"' in page
    with app.test_request_context():
        links = [
            url_for(e) for e in ("functions.index", "organizations.members", "api_tokens.index")
        ]
    for link in links:
        assert f'href="{link}"' in page


def test_getting_started_ticks_what_is_done_and_disappears_when_all_is(make, login, client_org):
    admin = make.member(client_org, "admin")
    browser = login(admin, client_org)
    make.department(client_org, name="Finance")

    page = browser.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="step-department" data-done="true"' in page
    assert 'data-testid="step-function" data-done="false"' in page

    make.function(client_org)
    make.member(client_org, "viewer")
    with organization_context(client_org.id):
        db.session.add(
            ApiToken(
                name="ERP", prefix="rls_x", token_hash=token_hash(new_token()), role=Role.VIEWER
            )
        )
        db.session.flush()

    page = browser.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="getting-started"' not in page


def test_a_pending_invitation_counts_as_inviting_a_colleague(make, login, client_org):
    admin = make.member(client_org, "admin")
    with organization_context(client_org.id):
        db.session.add(
            Invitation(
                email="new@example.test",
                role=Role.VIEWER,
                token_hash=token_hash(new_token()),
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        db.session.flush()

    page = login(admin, client_org).get("/dashboard").get_data(as_text=True)

    assert 'data-testid="step-colleague" data-done="true"' in page


def test_vendor_dashboard_never_shows_client_figures(make, login, client_org, vendor_org):
    make.function(client_org, name="Accounts payable")
    page = login(make.member(vendor_org, "admin"), vendor_org).get("/dashboard")

    assert "140,000" not in page.get_data(as_text=True)
    assert "70,000" not in page.get_data(as_text=True)

"""What an outside tester throws at the web pages: ids and page numbers past
what the database holds, characters the database refuses, line breaks in
e-mail subjects, markup in names, other organizations' ids in filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal import db, mail
from portal.models import AuditEvent, Department, Notification, Role, User
from portal.tenancy import organization_context

#: Larger than any integer column, PostgreSQL's ``integer`` and ``bigint`` alike.
HUGE = "99999999999999999999"


def _id_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values())
    ]


def test_an_id_larger_than_the_id_column_is_404_on_every_route(app, as_client_admin):
    rules = _id_rules(app)
    assert rules
    for rule in rules:
        url = re.sub(r"<int:[^<>]+>", HUGE, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = as_client_admin.open(url, method=method)
            assert response.status_code == 404, f"{method} {url} gave {response.status_code}"


def test_the_largest_id_a_column_holds_is_still_looked_up(as_client_admin):
    assert as_client_admin.get(f"/functions/{2**31 - 1}").status_code == 404
    assert as_client_admin.get(f"/functions/{2**31}").status_code == 404


def test_an_unknown_id_answers_404_in_the_layout(as_client_admin):
    response = as_client_admin.get("/functions/123456")

    assert response.status_code == 404
    assert "Northwind Holdings" in response.get_data(as_text=True)  # the top bar


@pytest.mark.parametrize(
    "url", ["/notifications/", "/members", "/audit-log/", "/settings/api-tokens/"]
)
def test_a_page_number_past_any_list_is_an_empty_page(as_client_admin, url):
    response = as_client_admin.get(f"{url}?page={HUGE}")

    assert response.status_code == 200


def test_switching_to_an_organization_id_past_the_column_is_404(as_client_admin):
    response = as_client_admin.post("/organizations/switch", data={"organization_id": HUGE})

    assert response.status_code == 404


def test_a_nul_character_in_a_form_is_a_bad_request_and_stores_nothing(as_client_admin, client_org):
    response = as_client_admin.post("/functions/departments/new", data={"name": "Fin\x00ance"})

    assert response.status_code == 400
    with organization_context(client_org.id):
        assert db.session.scalars(select(Department)).all() == []


def test_a_nul_character_in_a_profile_name_is_a_bad_request(as_client_admin, client_admin):
    response = as_client_admin.post(
        "/account/profile",
        data={"full_name": "Ada\x00", "locale": "en", "timezone": "Europe/Paris"},
    )

    assert response.status_code == 400
    assert db.session.get(User, client_admin.id).full_name != "Ada\x00"


@pytest.mark.parametrize("url", ["/audit-log/?text=a%00b", "/audit-log/export.csv?text=a%00b"])
def test_a_nul_character_in_a_query_string_is_a_bad_request(as_client_admin, url):
    assert as_client_admin.get(url).status_code == 400


def _add_event(org, summary: str, actor: User | None = None) -> None:
    with organization_context(org.id):
        db.session.add(
            AuditEvent(
                action="function.created",
                target_type="BackOfficeFunction",
                actor_id=actor.id if actor else None,
                occurred_at=datetime.now(UTC),
                summary=summary,
            )
        )
        db.session.flush()


@pytest.mark.parametrize(
    "query",
    ["date_from=0001-01-01", "date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31"],
)
def test_audit_dates_at_the_edge_of_the_calendar_leave_the_period_open(
    as_client_admin, client_org, query
):
    _add_event(client_org, "Payroll added")

    response = as_client_admin.get(f"/audit-log/?{query}")

    assert response.status_code == 200
    assert "Payroll added" in response.get_data(as_text=True)
    assert as_client_admin.get(f"/audit-log/export.csv?{query}").status_code == 200


def test_filtering_the_audit_log_by_another_organizations_member_shows_nothing_of_theirs(
    make, as_client_admin, client_org, other_client_org
):
    outsider = make.member(other_client_org, "admin")
    _add_event(client_org, "Ours")
    _add_event(other_client_org, "Theirs", actor=outsider)

    page = as_client_admin.get(f"/audit-log/?actor={outsider.id}").get_data(as_text=True)
    export = as_client_admin.get(f"/audit-log/export.csv?actor={outsider.id}")

    assert "Theirs" not in page
    assert "Theirs" not in export.get_data(as_text=True)


ORGANIZATION = {
    "kind": "client",
    "legal_name": "Northwind Holdings SAS",
    "country": "FR",
    "address_line1": "1 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "default_currency": "EUR",
}


def test_a_line_break_in_an_organization_name_never_reaches_an_email_header(as_client_admin):
    saved = as_client_admin.post(
        "/organization/settings",
        data={**ORGANIZATION, "name": "Northwind\r\nBcc: spy@evil.test"},
    )
    assert saved.status_code == 302

    response = as_client_admin.post(
        "/members/invite", data={"email": "new@example.test", "role": "viewer"}
    )

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "Northwind Bcc: spy@evil.test" in message["Subject"]


def test_a_line_break_in_a_members_name_never_reaches_an_email_header(make, login, client_org):
    inviter = make.member(client_org, "admin", full_name="Eve\nBcc: spy@evil.test")
    browser = login(inviter, client_org)

    response = browser.post("/members/invite", data={"email": "new@example.test", "role": "viewer"})

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message["Bcc"] is None
    assert message["Subject"].startswith("Eve Bcc: spy@evil.test invites you")


PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_markup_typed_in_names_is_shown_as_text_on_every_page(
    make, login, client_org, client_admin
):
    person = make.member(client_org, "finance", full_name=f"Eve {PAYLOAD}")
    department = make.department(client_org, f"Dept {PAYLOAD}", manager=person)
    function = make.function(client_org, f"Function {PAYLOAD}", dept=department)
    _add_event(client_org, f"Summary {PAYLOAD}", actor=person)
    with organization_context(client_org.id):
        db.session.add(
            Notification(user_id=client_admin.id, kind="test", title=f"Title {PAYLOAD}", link="/")
        )
    client_org.name = f"Org {PAYLOAD}"
    db.session.flush()
    browser = login(client_admin, client_org)
    urls = [
        "/dashboard",
        "/members",
        "/functions/",
        f"/functions/{function.id}",
        f"/functions/{function.id}/edit",
        f"/functions/departments/{department.id}/edit",
        "/notifications/",
        "/audit-log/",
        "/organization/settings",
        "/organizations/choose",
    ]
    for url in urls:
        page = browser.get(url).get_data(as_text=True)
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url


def test_every_role_is_refused_to_follow_the_audit_export_when_not_admin(make, login, client_org):
    for role in Role:
        if role == Role.ADMIN:
            continue
        browser = login(make.member(client_org, role.value), client_org)
        assert browser.get("/audit-log/export.csv").status_code == 403


def test_sign_up_attempts_are_rate_limited_so_taken_addresses_cannot_be_listed(app, client):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [
        client.post("/signup", data={"email": f"person{n}@example.test"}).status_code
        for n in range(limit + 1)
    ]

    assert statuses[:limit] == [400] * limit
    assert statuses[-1] == 429


def test_the_top_bar_shows_admin_links_to_admins_only(as_client_admin, as_client_viewer):
    # has_role('admin') once read the string as the roles 'a', 'd', 'm'…
    assert b"Audit log" in as_client_admin.get("/functions/").data
    assert b"Audit log" not in as_client_viewer.get("/functions/").data


def test_has_role_takes_a_role_name_a_role_or_a_list(app, make, client_org, login):
    from flask import g

    from portal.security import has_role

    member = make.add_membership(client_org, make.user(), "procurement")
    with app.test_request_context():
        g.membership = member
        assert has_role("procurement")
        assert has_role(Role.PROCUREMENT)
        assert has_role(["admin", "procurement"])
        assert not has_role("admin")
        assert not has_role("viewer")

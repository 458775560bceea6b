"""The audit log: for admins only, filterable, exportable, never another organization's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from portal import db
from portal.models import ApiToken, AuditEvent, Role
from portal.tenancy import organization_context
from portal.tokens import new_token, token_hash
from tests.statements import counting_statements


def add_event(org, action="function.created", actor=None, occurred_at=None, **fields):
    values = {
        "target_type": "BackOfficeFunction",
        "target_id": 7,
        "summary": "Accounts payable added",
        "ip_address": "203.0.113.9",
    }
    values.update(fields)
    with organization_context(org.id):
        event = AuditEvent(
            action=action,
            actor_id=actor.id if actor else None,
            occurred_at=occurred_at or datetime.now(UTC),
            **values,
        )
        db.session.add(event)
        db.session.flush()
    return event


def add_api_token(org, prefix="rls_abcd1234"):
    with organization_context(org.id):
        token = ApiToken(
            name="ERP", prefix=prefix, token_hash=token_hash(new_token()), role=Role.ADMIN
        )
        db.session.add(token)
        db.session.flush()
    return token


def rows_of(page: str) -> int:
    return page.count('data-testid="audit-event"')


def test_only_admins_read_the_audit_log(make, login, client_org):
    roles = ("viewer", "procurement", "finance", "delivery")
    browsers = {role: login(make.member(client_org, role), client_org) for role in roles}
    for role, browser in browsers.items():
        assert browser.get("/audit-log/").status_code == 403, role
        assert browser.get("/audit-log/export.csv").status_code == 403, role


def test_admin_sees_who_did_what_with_the_changes(make, login, client_org, client_admin):
    claire = make.member(client_org, "finance", full_name="Claire Dupont")
    token = add_api_token(client_org, prefix="rls_9f8e7d6c")
    add_event(
        client_org,
        action="function.updated",
        actor=claire,
        summary="Baseline revised",
        before={"ftes": "10.00", "name": "AP", "currency": "EUR"},
        after={"ftes": "12.00", "name": "AP", "currency": "EUR"},
    )
    add_event(client_org, action="function.created", api_token_id=token.id)
    add_event(client_org, action="organization.created", summary="Set up")

    page = login(client_admin, client_org).get("/audit-log/").get_data(as_text=True)

    assert rows_of(page) == 3
    assert "Claire Dupont" in page
    assert "API token rls_9f8e7d6c" in page
    assert "system" in page
    assert "Baseline revised" in page
    assert "Function #7" in page
    assert "Function changed" in page
    assert '<span class="fw-semibold">ftes</span>: 10.00 → 12.00' in page
    assert '<span class="fw-semibold">name</span>' not in page  # unchanged fields stay quiet


def test_other_organizations_events_never_appear(make, login, client_org, other_client_org):
    admin = make.member(client_org, "admin")
    add_event(client_org, summary="Ours")
    add_event(other_client_org, action="secret.action", summary="Theirs", target_type="Secret")
    browser = login(admin, client_org)

    page = browser.get("/audit-log/").get_data(as_text=True)
    export = browser.get("/audit-log/export.csv").get_data(as_text=True)

    assert "Ours" in page and "Theirs" not in page
    assert "secret.action" not in page and "Secret" not in page  # not even in the filters
    assert "Ours" in export and "Theirs" not in export


def test_filters_by_action_actor_target_type_and_text(make, login, client_org):
    admin = make.member(client_org, "admin", full_name="Ada Admin")
    bob = make.member(client_org, "procurement", full_name="Bob Buyer")
    add_event(client_org, action="function.created", actor=admin, summary="Payroll added")
    add_event(client_org, action="function.deleted", actor=bob, summary="Payroll removed")
    add_event(
        client_org,
        action="membership.role_changed",
        actor=admin,
        target_type="Membership",
        summary="Bob promoted 100%",
    )
    browser = login(admin, client_org)

    def summaries(query: str) -> set[str]:
        page = browser.get(f"/audit-log/?{query}").get_data(as_text=True)
        return {s for s in ("Payroll added", "Payroll removed", "Bob promoted") if s in page}

    assert summaries("action=function.deleted") == {"Payroll removed"}
    assert summaries(f"actor={bob.id}") == {"Payroll removed"}
    assert summaries("target_type=Membership") == {"Bob promoted"}
    assert summaries("text=payroll") == {"Payroll added", "Payroll removed"}
    assert summaries("text=100%25") == {"Bob promoted"}
    assert summaries("text=_") == set()  # LIKE wildcards are taken literally
    assert summaries(f"action=function.created&actor={bob.id}") == set()


def test_filter_choices_list_the_actions_present_and_the_members(make, login, client_org):
    admin = make.member(client_org, "admin", full_name="Ada Admin")
    add_event(client_org, action="department.created")

    page = login(admin, client_org).get("/audit-log/").get_data(as_text=True)

    assert '<option value="department.created">' in page
    assert '<option value="function.deleted">' not in page
    assert f'<option value="{admin.id}">Ada Admin</option>' in page


def test_date_filters_are_whole_days_in_the_readers_time_zone(make, login, client_org):
    # 20:00 UTC on 10 March is already 11 March, 01:30, in Kolkata.
    admin = make.member(client_org, "admin", timezone="Asia/Kolkata")
    add_event(
        client_org, summary="Late evening", occurred_at=datetime(2025, 3, 10, 20, 0, tzinfo=UTC)
    )
    add_event(client_org, summary="Morning", occurred_at=datetime(2025, 3, 10, 6, 0, tzinfo=UTC))
    browser = login(admin, client_org)

    def summaries(query: str) -> set[str]:
        page = browser.get(f"/audit-log/?{query}").get_data(as_text=True)
        return {s for s in ("Late evening", "Morning") if s in page}

    assert summaries("date_from=2025-03-11") == {"Late evening"}
    assert summaries("date_to=2025-03-10") == {"Morning"}
    assert summaries("date_from=2025-03-10&date_to=2025-03-11") == {"Late evening", "Morning"}
    assert summaries("date_from=2025-03-12") == set()


def test_invalid_filters_are_shown_and_ignored(make, login, client_org):
    admin = make.member(client_org, "admin")
    add_event(client_org, summary="Still listed")

    response = login(admin, client_org).get(
        "/audit-log/?date_from=2025-03-12&date_to=2025-03-01&action=made.up"
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "The end date is before the start date." in page
    assert "Not a valid choice" in page
    assert "Still listed" in page


def test_list_is_paginated_newest_first(make, login, client_org):
    admin = make.member(client_org, "admin")
    for day in range(1, 31):
        add_event(
            client_org, summary=f"Event {day:02d}", occurred_at=datetime(2025, 1, day, tzinfo=UTC)
        )
    browser = login(admin, client_org)

    first = browser.get("/audit-log/").get_data(as_text=True)
    second = browser.get("/audit-log/?page=2").get_data(as_text=True)

    assert rows_of(first) == 25 and rows_of(second) == 5
    assert first.index("Event 30") < first.index("Event 29")
    assert "Event 01" in second and "Event 01" not in first


def test_csv_export_has_the_columns_and_the_same_filters(make, login, client_org):
    admin = make.member(client_org, "admin", email="ada@northwind.test")
    add_event(
        client_org,
        action="function.updated",
        actor=admin,
        occurred_at=datetime(2025, 3, 10, 20, 0, 5, tzinfo=UTC),
        summary="Baseline revised",
        before={"ftes": "10.00"},
        after={"ftes": "12.00"},
    )
    add_event(client_org, action="function.created", summary="Filtered out")

    response = login(admin, client_org).get("/audit-log/export.csv?action=function.updated")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    slug = client_org.slug.lower()
    assert disposition.startswith(f'attachment; filename="audit-log-{slug}-')
    assert disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        [
            "occurred_at",
            "actor_email",
            "action",
            "target_type",
            "target_id",
            "summary",
            "before",
            "after",
            "ip_address",
        ],
        [
            "2025-03-10T20:00:05+00:00",
            "ada@northwind.test",
            "function.updated",
            "BackOfficeFunction",
            "7",
            "Baseline revised",
            '{"ftes": "10.00"}',
            '{"ftes": "12.00"}',
            "203.0.113.9",
        ],
    ]


def test_csv_export_defuses_spreadsheet_formulas(make, login, client_org):
    admin = make.member(client_org, "admin")
    for summary in ('=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "Plain"):
        add_event(client_org, summary=summary)

    response = login(admin, client_org).get("/audit-log/export.csv")
    summaries = {row[5] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))}

    assert '\'=HYPERLINK("http://evil")' in summaries
    assert {"'+1+1", "'-2", "'@SUM(A1)", "Plain"} <= summaries
    assert not any(s.startswith(("=", "+", "-", "@")) for s in summaries)


def test_list_query_count_does_not_grow_with_rows(app, make, login, client_org):
    admin = make.member(client_org, "admin")
    token = add_api_token(client_org)
    browser = login(admin, client_org)
    # The first request finds the user in the test's session; later ones load it.
    browser.get("/audit-log/")

    # Distinct actors, so a lazy load per row would show as more statements.
    actors = [make.member(client_org, "viewer") for _ in range(10)]

    def add_events(count: int) -> None:
        for number in range(count):
            actor = actors[number % len(actors)]
            add_event(client_org, actor=actor, api_token_id=token.id if number % 2 else None)

    add_events(3)
    with counting_statements(app) as few:
        assert browser.get("/audit-log/").status_code == 200
    add_events(47)
    with counting_statements(app) as many:
        assert browser.get("/audit-log/").status_code == 200

    assert len(many) == len(few)


def test_csv_query_count_does_not_grow_with_rows(app, make, login, client_org):
    admin = make.member(client_org, "admin")
    browser = login(admin, client_org)
    browser.get("/audit-log/")

    actors = [make.member(client_org, "viewer") for _ in range(10)]

    def add_events(count: int) -> None:
        for number in range(count):
            add_event(client_org, actor=actors[number % len(actors)])

    add_events(3)
    with counting_statements(app) as few:
        browser.get("/audit-log/export.csv").get_data()
    add_events(47)
    with counting_statements(app) as many:
        browser.get("/audit-log/export.csv").get_data()

    assert len(many) == len(few)

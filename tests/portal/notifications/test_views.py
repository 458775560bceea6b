"""The notification centre: each member sees and reads only their own notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import Notification
from portal.tenancy import organization_context
from tests.statements import counting_statements


def add_notification(org, user, title="Tender published", link=None, age_minutes=0, read=False):
    with organization_context(org.id):
        record = Notification(
            user_id=user.id,
            kind="test.event",
            title=title,
            body="",
            link=link,
            created_at=utcnow() - timedelta(minutes=age_minutes),
            read_at=utcnow() if read else None,
        )
        db.session.add(record)
        db.session.flush()
    return record


def reload(org_or_id, notification_id) -> Notification:
    organization_id = getattr(org_or_id, "id", org_or_id)
    with organization_context(organization_id):
        return db.session.scalars(
            select(Notification).where(Notification.id == notification_id)
        ).one()


def test_lists_only_my_notifications_in_the_current_organization_newest_first(
    make, login, client_org, other_client_org
):
    me = make.member(client_org, "viewer")
    make.add_membership(other_client_org, me, "admin")
    colleague = make.member(client_org, "admin")
    add_notification(client_org, me, title="Older news", age_minutes=10)
    add_notification(client_org, me, title="Newer news", age_minutes=1)
    add_notification(client_org, colleague, title="Colleague's news")
    add_notification(other_client_org, me, title="News from elsewhere")

    page = login(me, client_org).get("/notifications/").get_data(as_text=True)

    assert page.index("Newer news") < page.index("Older news")
    assert "Colleague&#39;s news" not in page and "Colleague's news" not in page
    assert "News from elsewhere" not in page


def test_unread_notifications_are_highlighted_and_link_to_their_page(make, login, client_org):
    me = make.member(client_org, "viewer")
    add_notification(client_org, me, title="Unread one", link="/functions/")
    add_notification(client_org, me, title="Read one", read=True)

    page = login(me, client_org).get("/notifications/").get_data(as_text=True)

    assert page.count('data-unread="true"') == 1
    assert page.count('data-unread="false"') == 1
    assert '<a href="/functions/">Unread one</a>' in page


def test_an_absolute_link_is_not_rendered_as_a_link(make, login, client_org):
    me = make.member(client_org, "viewer")
    add_notification(client_org, me, title="Phishing", link="https://evil.example/")

    page = login(me, client_org).get("/notifications/").get_data(as_text=True)

    assert "evil.example" not in page


def test_list_is_paginated(make, login, client_org):
    me = make.member(client_org, "viewer")
    for number in range(30):
        add_notification(client_org, me, title=f"News {number:02d}", age_minutes=number)
    browser = login(me, client_org)

    first = browser.get("/notifications/").get_data(as_text=True)
    second = browser.get("/notifications/?page=2").get_data(as_text=True)

    assert "News 00" in first and "News 29" not in first
    assert "News 29" in second and "News 00" not in second


def test_viewer_marks_own_notification_read_and_follows_its_link(make, login, client_org):
    me = make.member(client_org, "viewer")
    notification = add_notification(client_org, me, link="/functions/")
    browser = login(me, client_org)

    response = browser.post(f"/notifications/{notification.id}/read")

    assert response.status_code == 302
    assert response.headers["Location"] == "/functions/"
    assert reload(client_org, notification.id).read_at is not None
    assert 'data-testid="unread-count"' not in browser.get("/notifications/").get_data(as_text=True)


def test_marking_read_without_a_link_returns_to_the_list(make, login, client_org):
    me = make.member(client_org, "viewer")
    notification = add_notification(client_org, me, link=None)

    response = login(me, client_org).post(f"/notifications/{notification.id}/read")

    assert response.headers["Location"] == "/notifications/"


def test_marking_read_never_redirects_outside_the_portal(make, login, client_org):
    me = make.member(client_org, "viewer")
    notification = add_notification(client_org, me, link="//evil.example/path")

    response = login(me, client_org).post(f"/notifications/{notification.id}/read")

    assert response.headers["Location"] == "/notifications/"
    assert reload(client_org, notification.id).read_at is not None


def test_another_users_notification_in_the_same_organization_is_404(make, login, client_org):
    me = make.member(client_org, "admin")
    colleague = make.member(client_org, "viewer")
    notification_id, org_id = add_notification(client_org, colleague).id, client_org.id
    browser = login(me, client_org)

    response = browser.post(f"/notifications/{notification_id}/read")

    assert response.status_code == 404
    assert reload(org_id, notification_id).read_at is None


def test_another_organizations_notification_is_404_even_for_its_recipient(
    make, login, client_org, other_client_org
):
    me = make.member(client_org, "admin")
    make.add_membership(other_client_org, me, "admin")
    elsewhere_id, other_org_id = add_notification(other_client_org, me).id, other_client_org.id
    browser = login(me, client_org)

    response = browser.post(f"/notifications/{elsewhere_id}/read")

    assert response.status_code == 404
    assert reload(other_org_id, elsewhere_id).read_at is None


def test_mark_all_read_touches_only_my_notifications_in_this_organization(
    make, login, client_org, other_client_org
):
    me = make.member(client_org, "viewer")
    make.add_membership(other_client_org, me, "viewer")
    colleague = make.member(client_org, "viewer")
    mine = [add_notification(client_org, me) for _ in range(3)]
    theirs = add_notification(client_org, colleague)
    elsewhere = add_notification(other_client_org, me)

    response = login(me, client_org).post("/notifications/read-all")

    assert response.status_code == 302
    assert all(reload(client_org, n.id).read_at is not None for n in mine)
    assert reload(client_org, theirs.id).read_at is None
    assert reload(other_client_org, elsewhere.id).read_at is None


def test_reading_requires_post(make, login, client_org):
    me = make.member(client_org, "viewer")
    notification = add_notification(client_org, me)

    response = login(me, client_org).get(f"/notifications/{notification.id}/read")

    assert response.status_code == 405


def test_anonymous_visitor_is_sent_to_login(client):
    assert "/login" in client.get("/notifications/").headers["Location"]


def test_list_query_count_does_not_grow_with_rows(app, make, login, client_org):
    me = make.member(client_org, "viewer")
    browser = login(me, client_org)
    # The first request finds the user in the test's session; later ones load it.
    browser.get("/notifications/")
    for _ in range(3):
        add_notification(client_org, me, link="/functions/")
    with counting_statements(app) as few:
        assert browser.get("/notifications/").status_code == 200
    for _ in range(47):
        add_notification(client_org, me, link="/functions/")
    with counting_statements(app) as many:
        assert browser.get("/notifications/?page=1").status_code == 200

    assert len(many) == len(few)

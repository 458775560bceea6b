"""The client's tender pages: forms keep what was typed, roles and the wall hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import organization_context
from tests.statements import counting_statements
from vendors.models import Bid, BidStatus, Tender, TenderInvitation, TenderStatus

PARIS = ZoneInfo("Europe/Paris")


def local(moment) -> str:
    """A moment as the datetime-local input of a user in Paris (the default zone) sends it."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def in_a_fortnight():
    return (utcnow() + timedelta(days=14)).replace(second=0, microsecond=0)


def form_fields(function, **overrides) -> dict:
    fields = {
        "function_id": str(function.id),
        "title": "Outsource accounts payable",
        "scope": "The whole payables cycle.",
        "monthly_volume": "12000",
        "volume_unit": "supplier invoices",
        "term_months": "36",
        "start_date": "2027-01-01",
        "location_preference": "nearshore",
        "bid_deadline": local(in_a_fortnight()),
        "visibility": "open",
        "sla_requirements-0-metric": "Invoice accuracy",
        "sla_requirements-0-unit": "%",
        "sla_requirements-0-target": "99.5",
        "sla_requirements-0-better": "higher",
        "sla_requirements-0-library_key": "",
        "sla_requirements-1-metric": "",
        "sla_requirements-1-unit": "",
        "sla_requirements-1-target": "",
        "sla_requirements-1-better": "higher",
        "sla_requirements-1-library_key": "",
        "price_weight": "60",
        "criteria-0-name": "Quality of approach",
        "criteria-0-weight": "40",
        "criteria-1-name": "",
        "criteria-1-weight": "",
        "save": "1",
    }
    fields.update(overrides)
    return fields


def tenders_of(org) -> list[Tender]:
    with organization_context(org.id):
        statement = select(Tender).where(Tender.organization_id == org.id).order_by(Tender.id)
        return list(db.session.scalars(statement))


def reload(tender) -> Tender:
    statement = tenancy.across_tenants(select(Tender).where(Tender.id == tender.id))
    return db.session.scalars(statement).one()


def count_events(org, action) -> int:
    statement = tenancy.across_tenants(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.organization_id == org.id, AuditEvent.action == action
        )
    )
    return db.session.scalar(statement)


def count_notifications(person) -> int:
    statement = tenancy.across_tenants(
        select(func.count(Notification.id)).where(Notification.user_id == person.id)
    )
    return db.session.scalar(statement)


@pytest.fixture
def function(make, client_org):
    return make.function(client_org, name="Accounts payable", catalogue_key="accounts_payable")


# --- New tender -----------------------------------------------------------------------


def test_new_tender_starts_from_the_function(as_client_admin, function):
    response = as_client_admin.get(f"/tenders/new?function_id={function.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<option selected value="{function.id}">' in html
    assert 'value="12000.00"' in html
    assert 'value="supplier invoices"' in html
    assert "Bids are priced in EUR" in html
    # Library entries suggested for accounts payable come before the others.
    assert html.index("Invoice processing accuracy") < html.index("Payroll paid on time")


def test_create_a_tender_stores_the_deadline_in_utc(as_client_admin, client_org, function):
    deadline = in_a_fortnight()
    response = as_client_admin.post(
        "/tenders/new", data=form_fields(function, bid_deadline=local(deadline))
    )
    assert response.status_code == 302
    [tender] = tenders_of(client_org)
    assert response.headers["Location"] == f"/tenders/{tender.id}"
    assert tender.bid_deadline == deadline
    assert tender.status == TenderStatus.DRAFT
    assert tender.currency == "EUR"
    assert [(r.metric, r.target) for r in tender.sla_requirements] == [
        ("Invoice accuracy", Decimal("99.5"))
    ]
    assert [(c.name, c.weight) for c in tender.criteria] == [
        ("Price", 60),
        ("Quality of approach", 40),
    ]


def test_weights_that_do_not_add_up_keep_what_was_typed(as_client_admin, client_org, function):
    response = as_client_admin.post(
        "/tenders/new",
        data=form_fields(function, title="My typed title", price_weight="50"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The weights add up to 90; they must add up to 100." in html
    assert 'value="My typed title"' in html
    assert 'value="Invoice accuracy"' in html
    assert 'value="50"' in html
    assert tenders_of(client_org) == []


def test_a_forged_function_of_another_client_is_a_form_error(
    make, as_client_admin, client_org, other_client_org, function
):
    foreign = make.function(other_client_org, name="Their payroll")
    response = as_client_admin.post("/tenders/new", data=form_fields(foreign))
    assert response.status_code == 400
    assert "Choose one of your registered functions." in response.get_data(as_text=True)
    assert tenders_of(client_org) == []
    assert tenders_of(other_client_org) == []


def test_a_nonsense_deadline_is_named_and_kept(as_client_admin, client_org, function):
    response = as_client_admin.post(
        "/tenders/new", data=form_fields(function, bid_deadline="next friday")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter a date and time, e.g. 2030-01-31 17:00." in html
    assert 'value="next friday"' in html
    assert tenders_of(client_org) == []


def test_a_past_deadline_is_refused(as_client_admin, client_org, function):
    past = utcnow() - timedelta(hours=2)
    response = as_client_admin.post(
        "/tenders/new", data=form_fields(function, bid_deadline=local(past))
    )
    assert response.status_code == 400
    assert "The bid deadline must be in the future." in response.get_data(as_text=True)


def test_the_library_button_adds_rows_without_saving(as_client_admin, client_org, function):
    fields = form_fields(function, library_keys=["invoice_cycle_time"], add_library="1")
    del fields["save"]
    response = as_client_admin.post("/tenders/new", data=fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Invoice accuracy"' in html
    assert 'value="Invoice processing cycle time"' in html
    assert 'value="invoice_cycle_time"' in html
    assert tenders_of(client_org) == []


def test_ticked_library_entries_are_saved_with_the_tender(as_client_admin, client_org, function):
    response = as_client_admin.post(
        "/tenders/new", data=form_fields(function, library_keys=["payments_on_time"])
    )
    assert response.status_code == 302
    [tender] = tenders_of(client_org)
    assert [r.library_key for r in tender.sla_requirements] == [None, "payments_on_time"]


# --- Roles and the wall ---------------------------------------------------------------


def test_a_viewer_reads_but_changes_nothing(make, as_client_viewer, client_org, vendor_org):
    tender = make.tender(client_org, invite=[vendor_org])
    assert as_client_viewer.get("/tenders").status_code == 200
    page = as_client_viewer.get(f"/tenders/{tender.id}")
    assert page.status_code == 200
    assert 'data-testid="publish"' not in page.get_data(as_text=True)
    assert as_client_viewer.get("/tenders/new").status_code == 403
    assert as_client_viewer.get(f"/tenders/{tender.id}/edit").status_code == 403
    assert as_client_viewer.post(f"/tenders/{tender.id}/publish").status_code == 403
    assert reload(tender).status == TenderStatus.DRAFT


def test_a_vendor_organization_gets_404_on_client_pages(
    make, as_vendor_admin, client_org, vendor_org
):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    assert as_vendor_admin.get("/tenders").status_code == 404
    assert as_vendor_admin.get(f"/tenders/{tender.id}").status_code == 404
    assert as_vendor_admin.get(f"/tenders/{tender.id}/invitations").status_code == 404


def test_another_client_gets_404(make, as_other_client_admin, client_org, vendor_org):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    assert as_other_client_admin.get(f"/tenders/{tender.id}").status_code == 404
    assert (
        as_other_client_admin.post(f"/tenders/{tender.id}/cancel", data={"reason": "x"}).status_code
        == 404
    )
    assert reload(tender).status == TenderStatus.PUBLISHED


def test_a_client_that_is_also_a_vendor_sees_others_tenders_only_as_a_vendor(
    make, login, client_org
):
    both = make.organization(name="Janus Group", kind="both")
    admin = make.member(both, "admin")
    tender = make.tender(client_org, status="published", invite=[both])
    question = make.question(make.organization(kind="vendor"), tender, "Secret question?")
    browser = login(admin, both)
    assert browser.get(f"/tenders/{tender.id}").status_code == 404
    assert browser.get(f"/tenders/{tender.id}/invitations").status_code == 404
    answer = browser.post(
        f"/tenders/{tender.id}/questions/{question.id}/answer", data={f"q{question.id}-answer": "x"}
    )
    assert answer.status_code == 404
    listing = browser.get("/tenders").get_data(as_text=True)
    assert tender.title not in listing


# --- Drafts and publication -----------------------------------------------------------


def test_edit_a_draft(make, as_client_admin, client_org, function):
    tender = make.tender(client_org, function)
    page = as_client_admin.get(f"/tenders/{tender.id}/edit")
    assert page.status_code == 200
    assert f'value="{tender.title}"' in page.get_data(as_text=True)
    response = as_client_admin.post(
        f"/tenders/{tender.id}/edit",
        data=form_fields(function, title="Renamed", function_id=""),
    )
    assert response.status_code == 302
    assert reload(tender).title == "Renamed"


def test_editing_a_published_tender_is_refused(make, as_client_admin, client_org, function):
    tender = make.tender(client_org, function, status="published")
    response = as_client_admin.post(
        f"/tenders/{tender.id}/edit", data=form_fields(function, title="Renamed")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tenders/{tender.id}"
    assert reload(tender).title != "Renamed"


def test_publishing_twice_is_applied_once(make, as_client_admin, client_org, vendor_org):
    vendor_admin = make.member(vendor_org, "admin")
    tender = make.tender(client_org, invite=[vendor_org])
    first = as_client_admin.post(f"/tenders/{tender.id}/publish")
    second = as_client_admin.post(f"/tenders/{tender.id}/publish", follow_redirects=True)
    assert first.status_code == 302
    assert "This tender is already published." in second.get_data(as_text=True)
    assert reload(tender).status == TenderStatus.PUBLISHED
    assert count_events(client_org, "tender.published") == 1
    assert count_notifications(vendor_admin) == 1


def test_publishing_without_invited_vendors_says_why(make, as_client_admin, client_org):
    tender = make.tender(client_org, visibility="invited")
    page = as_client_admin.post(f"/tenders/{tender.id}/publish", follow_redirects=True)
    assert "Invite at least one vendor" in page.get_data(as_text=True)
    assert reload(tender).status == TenderStatus.DRAFT


# --- Invitations ----------------------------------------------------------------------


def test_invitations_pick_listed_vendors_and_refuse_forged_ids(
    make, as_client_admin, client_org, vendor_org, other_client_org, function
):
    make.vendor_profile(vendor_org, functions=["accounts_payable"])
    tender = make.tender(client_org, function)
    page = as_client_admin.get(f"/tenders/{tender.id}/invitations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Atlas Back Office" in html
    assert "serves this function" in html

    forged = as_client_admin.post(
        f"/tenders/{tender.id}/invitations", data={"vendor_ids": [str(other_client_org.id)]}
    )
    assert forged.status_code == 400
    assert reload(tender).invitations == []

    invited = as_client_admin.post(
        f"/tenders/{tender.id}/invitations", data={"vendor_ids": [str(vendor_org.id)]}
    )
    assert invited.status_code == 302
    assert [i.vendor_organization_id for i in reload(tender).invitations] == [vendor_org.id]

    removed = as_client_admin.post(
        f"/tenders/{tender.id}/invitations", data={"vendor_id": str(vendor_org.id), "remove": "1"}
    )
    assert removed.status_code == 302
    assert reload(tender).invitations == []


def test_inviting_after_publication_tells_the_new_vendor(
    make, as_client_admin, client_org, vendor_org
):
    second = make.organization(name="Meridian", kind="vendor")
    make.vendor_profile(second)
    person = make.member(second, "procurement")
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    response = as_client_admin.post(
        f"/tenders/{tender.id}/invitations", data={"vendor_ids": [str(second.id)]}
    )
    assert response.status_code == 302
    assert count_notifications(person) == 1
    # Once published, nobody is uninvited.
    as_client_admin.post(
        f"/tenders/{tender.id}/invitations", data={"vendor_id": str(second.id), "remove": "1"}
    )
    statement = select(func.count(TenderInvitation.id)).where(
        TenderInvitation.tender_id == tender.id
    )
    assert db.session.scalar(tenancy.across_tenants(statement)) == 2


# --- Addenda, cancellation, answers ---------------------------------------------------


def addendum_fields(tender, **overrides) -> dict:
    fields = {
        "summary": "Volumes grew.",
        "scope": tender.scope,
        "monthly_volume": "12000",
        "volume_unit": tender.volume_unit,
        "term_months": str(tender.term_months),
        "start_date": tender.start_date.isoformat(),
        "location_preference": "any",
        "bid_deadline": local(tender.bid_deadline),
    }
    for index, requirement in enumerate(tender.sla_requirements):
        fields[f"sla_targets-{index}-requirement_id"] = str(requirement.id)
        fields[f"sla_targets-{index}-target"] = "99"
    fields.update(overrides)
    return fields


def test_an_addendum_cannot_shorten_the_deadline_and_keeps_what_was_typed(
    make, as_client_admin, client_org, vendor_org
):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    page = as_client_admin.get(f"/tenders/{tender.id}/addenda/new")
    assert page.status_code == 200
    earlier = local(tender.bid_deadline - timedelta(days=1))
    response = as_client_admin.post(
        f"/tenders/{tender.id}/addenda/new",
        data=addendum_fields(tender, bid_deadline=earlier, summary="Typed summary"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The deadline can only be extended, never brought forward." in html
    assert "Typed summary" in html
    assert reload(tender).addenda == []


def test_an_addendum_reopens_submitted_bids_and_shows_on_the_page(
    make, as_client_admin, client_org, vendor_org
):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    bid = make.bid(vendor_org, tender)
    response = as_client_admin.post(
        f"/tenders/{tender.id}/addenda/new", data=addendum_fields(tender, term_months="48")
    )
    assert response.status_code == 302
    assert reload(tender).term_months == 48
    stored = db.session.scalars(tenancy.across_tenants(select(Bid).where(Bid.id == bid.id))).one()
    assert stored.status == BidStatus.DRAFT
    page = as_client_admin.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Addendum 1" in page
    assert "Volumes grew." in page


def test_no_addendum_page_for_a_draft(make, as_client_admin, client_org):
    tender = make.tender(client_org)
    response = as_client_admin.get(f"/tenders/{tender.id}/addenda/new")
    assert response.status_code == 302


def test_cancel_needs_a_reason(make, as_client_admin, client_org, vendor_org):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    missing = as_client_admin.post(f"/tenders/{tender.id}/cancel", data={"reason": ""})
    assert missing.status_code == 400
    assert reload(tender).status == TenderStatus.PUBLISHED
    done = as_client_admin.post(f"/tenders/{tender.id}/cancel", data={"reason": "Budget cut."})
    assert done.status_code == 302
    assert reload(tender).status == TenderStatus.CANCELLED
    again = as_client_admin.post(
        f"/tenders/{tender.id}/cancel", data={"reason": "Again."}, follow_redirects=True
    )
    assert "already cancelled" in again.get_data(as_text=True)
    assert count_events(client_org, "tender.cancelled") == 1


def test_an_awarded_tender_cannot_be_cancelled(make, as_client_admin, client_org):
    tender = make.tender(client_org, status="awarded", bid_deadline=utcnow() - timedelta(days=2))
    response = as_client_admin.post(f"/tenders/{tender.id}/cancel", data={"reason": "No."})
    assert response.status_code == 302
    assert reload(tender).status == TenderStatus.AWARDED


def test_the_client_sees_who_asked_and_answers(make, as_client_admin, client_org, vendor_org):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    answered = make.question(vendor_org, tender, "Old question?", answer="Old answer.")
    question = make.question(vendor_org, tender, "Is VAT included?")
    page = as_client_admin.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Asked by Atlas Back Office" in page
    # Unanswered first.
    assert page.index("Is VAT included?") < page.index("Old question?")

    empty = as_client_admin.post(
        f"/tenders/{tender.id}/questions/{question.id}/answer",
        data={f"q{question.id}-answer": ""},
    )
    assert empty.status_code == 400
    response = as_client_admin.post(
        f"/tenders/{tender.id}/questions/{question.id}/answer",
        data={f"q{question.id}-answer": "No, VAT is excluded."},
    )
    assert response.status_code == 302
    with organization_context(client_org.id):
        db.session.refresh(question)
    assert question.answer == "No, VAT is excluded."
    # A question of another tender is not reached through this one.
    other = make.tender(client_org, status="published", invite=[vendor_org])
    assert (
        as_client_admin.post(
            f"/tenders/{other.id}/questions/{answered.id}/answer",
            data={f"q{answered.id}-answer": "x"},
        ).status_code
        == 404
    )


# --- List and page --------------------------------------------------------------------


def test_the_list_filters_by_the_phase_people_read(make, as_client_admin, client_org):
    open_tender = make.tender(client_org, status="published", title="Still open")
    past = make.tender(
        client_org,
        status="published",
        title="Past its deadline",
        bid_deadline=utcnow() - timedelta(minutes=1),
    )
    closed = as_client_admin.get("/tenders?status=closed").get_data(as_text=True)
    assert past.title in closed
    assert open_tender.title not in closed
    published = as_client_admin.get("/tenders?status=published").get_data(as_text=True)
    assert open_tender.title in published
    assert past.title not in published
    everything = as_client_admin.get("/tenders?status=nonsense")
    assert everything.status_code == 200


def test_the_list_does_not_grow_statements_with_rows(
    app, make, as_client_admin, client_org, vendor_org
):
    def count_for(rows: int) -> int:
        for _ in range(rows):
            make.tender(client_org, invite=[vendor_org])
        as_client_admin.get("/tenders")  # warm up caches
        with counting_statements(app) as statements:
            assert as_client_admin.get("/tenders").status_code == 200
        return len(statements)

    assert count_for(3) == count_for(20)


def test_the_page_shows_time_left_then_compare_bids(make, as_client_admin, client_org, vendor_org):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    page = as_client_admin.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "in 2 weeks" in page or "in 14 days" in page
    assert "Compare bids" not in page
    past = make.tender(
        client_org,
        status="published",
        invite=[vendor_org],
        bid_deadline=utcnow() - timedelta(hours=1),
    )
    page = as_client_admin.get(f"/tenders/{past.id}").get_data(as_text=True)
    assert 'data-testid="tender-phase">Closed' in page
    assert f'href="/tenders/{past.id}/evaluation"' in page


def test_the_function_page_offers_a_tender_to_tender_managers(
    make, login, as_client_admin, as_client_finance, client_org, function
):
    link = f"/tenders/new?function_id={function.id}"
    assert link in as_client_admin.get(f"/functions/{function.id}").get_data(as_text=True)
    assert link not in as_client_finance.get(f"/functions/{function.id}").get_data(as_text=True)
    assert 'data-testid="nav-tenders"' in as_client_admin.get("/tenders").get_data(as_text=True)


def test_more_rows_adds_blank_rows_without_saving(as_client_admin, client_org, function):
    fields = form_fields(function, more_rows="1")
    del fields["save"]
    response = as_client_admin.post("/tenders/new", data=fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="sla_requirements-4-metric"' in html
    assert 'name="criteria-4-name"' in html
    assert 'value="Invoice accuracy"' in html
    assert tenders_of(client_org) == []


def test_the_page_shows_each_addendum_change_in_the_readers_terms(
    make, as_client_admin, client_org, vendor_org
):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    later = tender.bid_deadline + timedelta(days=3)
    response = as_client_admin.post(
        f"/tenders/{tender.id}/addenda/new",
        data=addendum_fields(
            tender,
            bid_deadline=local(later),
            **{"sla_targets-0-target": "99.5"},
        ),
    )
    assert response.status_code == 302
    page = as_client_admin.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "SLA target: Invoice processing accuracy" in page
    assert "99.5 %" in page
    assert "Bid deadline" in page

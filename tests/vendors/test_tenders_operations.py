"""The rules of a client's tender up to its deadline: drafts, publication, invitations,
addenda, cancellation, answers and closing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import db, tenancy
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import organization_context
from vendors.models import Bid, BidStatus, ClarificationQuestion, TenderStatus
from vendors.operations import tenders as ops
from vendors.operations.tenders import TenderRuleError


def tender_data(**overrides) -> dict:
    """What the tender form hands the operation."""
    data = {
        "title": "Outsource accounts payable",
        "scope": "Run the whole payables cycle.",
        "monthly_volume": Decimal("12000"),
        "volume_unit": "supplier invoices",
        "term_months": 36,
        "start_date": date(2027, 1, 1),
        "location_preference": "nearshore",
        "bid_deadline": (utcnow() + timedelta(days=14)).replace(second=0, microsecond=0),
        "visibility": "invited",
        "sla_requirements": [
            {
                "metric": "Invoice accuracy",
                "unit": "%",
                "target": Decimal("99"),
                "better": "higher",
                "library_key": None,
            },
            {"metric": "", "unit": "", "target": None, "better": "higher", "library_key": None},
        ],
        "library_keys": [],
        "price_weight": 60,
        "criteria": [
            {"name": "Quality of approach", "weight": 40},
            {"name": "", "weight": None},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _in_a_request(app):
    # Operations run in a request (messages and links are rendered for its reader).
    with app.test_request_context():
        yield


@pytest.fixture
def manager(make, client_org):
    return make.member(client_org, "procurement", email="buyer@northwind.test")


@pytest.fixture
def function(make, client_org):
    return make.function(client_org, name="Accounts payable", catalogue_key="accounts_payable")


@pytest.fixture
def second_vendor(make):
    return make.organization(name="Meridian Services", kind="vendor")


def events(org, action: str) -> list[AuditEvent]:
    statement = tenancy.across_tenants(
        select(AuditEvent)
        .where(AuditEvent.organization_id == org.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(statement))


def notified(person, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == person.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(tenancy.across_tenants(statement)))


def bid_status(bid) -> BidStatus:
    db.session.expire_all()
    statement = tenancy.across_tenants(select(Bid).where(Bid.id == bid.id))
    return db.session.scalars(statement).one()


def act(org, operation, *args, **kwargs):
    with organization_context(org.id):
        return operation(*args, **kwargs)


# --- Drafts ---------------------------------------------------------------------------


def test_create_tender_copies_the_function_currency_and_audits(manager, client_org, function):
    tender = act(client_org, ops.create_tender, manager, function, tender_data())
    assert tender.status == TenderStatus.DRAFT
    assert tender.currency == function.currency
    assert tender.organization_id == client_org.id
    assert tender.created_by_id == manager.id
    assert [r.metric for r in tender.sla_requirements] == ["Invoice accuracy"]
    assert [(c.name, c.weight, c.is_price) for c in tender.criteria] == [
        ("Price", 60, True),
        ("Quality of approach", 40, False),
    ]
    [event] = events(client_org, "tender.created")
    assert event.after["criteria"][0] == {"name": "Price", "weight": 60, "is_price": True}


@pytest.mark.parametrize(
    ("price", "others", "total"),
    [(60, [30], 90), (60, [40, 10], 110), (100, [5], 105)],
)
def test_weights_must_add_up_to_100_and_the_error_names_the_sum(
    manager, client_org, function, price, others, total
):
    data = tender_data(
        price_weight=price, criteria=[{"name": f"C{i}", "weight": w} for i, w in enumerate(others)]
    )
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.create_tender, manager, function, data)
    assert error.value.field == "criteria"
    assert str(error.value.message) == (f"The weights add up to {total}; they must add up to 100.")


@pytest.mark.parametrize("weight", [0, 101, None])
def test_price_is_always_a_criterion_weighing_1_to_100(manager, client_org, function, weight):
    data = tender_data(price_weight=weight, criteria=[{"name": "Quality", "weight": 100}])
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.create_tender, manager, function, data)
    assert error.value.field == "price_weight"


def test_price_alone_at_100_is_enough(manager, client_org, function):
    data = tender_data(price_weight=100, criteria=[])
    tender = act(client_org, ops.create_tender, manager, function, data)
    assert [c.is_price for c in tender.criteria] == [True]


def test_a_criterion_cannot_take_the_price_name_twice(manager, client_org, function):
    data = tender_data(criteria=[{"name": "price", "weight": 40}])
    with pytest.raises(TenderRuleError, match="twice"):
        act(client_org, ops.create_tender, manager, function, data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bid_deadline", None),
        ("term_months", 0),
        ("term_months", -3),
        ("monthly_volume", Decimal("-1")),
        ("title", "   "),
        ("visibility", "everyone"),
        ("location_preference", "moon"),
    ],
)
def test_terms_are_checked(manager, client_org, function, field, value):
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.create_tender, manager, function, tender_data(**{field: value}))
    assert error.value.field == field


def test_the_deadline_must_be_in_the_future(manager, client_org, function):
    data = tender_data(bid_deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(TenderRuleError, match="future") as error:
        act(client_org, ops.create_tender, manager, function, data)
    assert error.value.field == "bid_deadline"


def test_a_volume_of_zero_is_allowed(manager, client_org, function):
    tender = act(client_org, ops.create_tender, manager, function, tender_data(monthly_volume=0))
    assert tender.monthly_volume == 0


def test_an_sla_row_needs_metric_unit_and_target(manager, client_org, function):
    row = {"metric": "Accuracy", "unit": "", "target": Decimal("99"), "better": "higher"}
    with pytest.raises(TenderRuleError, match="SLA requirement 1") as error:
        act(client_org, ops.create_tender, manager, function, tender_data(sla_requirements=[row]))
    assert error.value.field == "sla_requirements"


def test_no_sla_requirement_at_all_is_allowed(manager, client_org, function):
    tender = act(client_org, ops.create_tender, manager, function, tender_data(sla_requirements=[]))
    assert tender.sla_requirements == []


def test_library_entries_are_added_once(manager, client_org, function):
    data = tender_data(
        sla_requirements=[
            {
                "metric": "Accuracy of invoices",
                "unit": "%",
                "target": Decimal("99.5"),
                "better": "higher",
                "library_key": "invoice_accuracy",
            }
        ],
        library_keys=["invoice_accuracy", "invoice_cycle_time"],
    )
    tender = act(client_org, ops.create_tender, manager, function, data)
    assert [(r.metric, r.library_key, r.target) for r in tender.sla_requirements] == [
        ("Accuracy of invoices", "invoice_accuracy", Decimal("99.5")),
        ("Invoice processing cycle time", "invoice_cycle_time", Decimal("3")),
    ]


def test_an_unknown_library_key_is_refused(manager, client_org, function):
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.create_tender, manager, function, tender_data(library_keys=["x"]))
    assert error.value.field == "library_keys"


def test_a_function_of_another_organization_is_refused(make, manager, client_org, other_client_org):
    foreign = make.function(other_client_org, name="Their payroll")
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.create_tender, manager, foreign, tender_data())
    assert error.value.field == "function_id"


def test_update_a_draft_keeps_the_price_criterion_row(make, manager, client_org):
    tender = make.tender(client_org)
    price_id = tender.price_criterion.id
    data = tender_data(
        title="Payables, revised",
        price_weight=50,
        criteria=[{"name": "Quality", "weight": 30}, {"name": "Transition", "weight": 20}],
    )
    act(client_org, ops.update_tender, manager, tender, data)
    assert tender.title == "Payables, revised"
    assert tender.price_criterion.id == price_id
    assert [(c.name, c.weight) for c in tender.criteria] == [
        ("Price", 50),
        ("Quality", 30),
        ("Transition", 20),
    ]
    [event] = events(client_org, "tender.updated")
    assert event.before["title"] != event.after["title"]


def test_editing_a_published_tender_is_refused(make, manager, client_org):
    tender = make.tender(client_org, status="published")
    with pytest.raises(TenderRuleError, match="addendum"):
        act(client_org, ops.update_tender, manager, tender, tender_data(title="Sneaky"))
    db.session.expire_all()
    assert tender.title != "Sneaky"


# --- Invitations ----------------------------------------------------------------------


def test_only_vendor_organizations_can_be_invited(
    make, manager, client_org, vendor_org, other_client_org
):
    tender = make.tender(client_org)
    for forged in ([other_client_org.id], [client_org.id], [999999], [vendor_org.id, 999999]):
        with pytest.raises(TenderRuleError, match="Only vendor organizations"):
            act(client_org, ops.invite_vendors, manager, tender, forged)
    assert tender.invitations == []


def test_inviting_twice_invites_once(make, manager, client_org, vendor_org):
    tender = make.tender(client_org)
    act(client_org, ops.invite_vendors, manager, tender, [vendor_org.id])
    again = act(client_org, ops.invite_vendors, manager, tender, [vendor_org.id])
    assert again == []
    assert [i.vendor_organization_id for i in tender.invitations] == [vendor_org.id]
    assert len(events(client_org, "tender.vendor_invited")) == 1


def test_inviting_a_draft_tells_nobody_inviting_after_publication_tells_the_vendor(
    make, manager, client_org, vendor_org, second_vendor
):
    bid_manager = make.member(vendor_org, "procurement")
    later_manager = make.member(second_vendor, "admin")
    tender = make.tender(client_org)
    act(client_org, ops.invite_vendors, manager, tender, [vendor_org.id])
    assert notified(bid_manager) == []
    act(client_org, ops.publish_tender, manager, tender)
    assert len(notified(bid_manager, "tender.invited")) == 1
    act(client_org, ops.invite_vendors, manager, tender, [second_vendor.id])
    [notification] = notified(later_manager, "tender.invited")
    assert notification.organization_id == second_vendor.id
    assert notification.link == f"/marketplace/{tender.id}"


def test_an_invitation_is_withdrawn_only_from_a_draft(make, manager, client_org, vendor_org):
    draft = make.tender(client_org, invite=[vendor_org])
    assert act(client_org, ops.uninvite_vendor, manager, draft, vendor_org.id) is True
    assert draft.invitations == []
    assert act(client_org, ops.uninvite_vendor, manager, draft, vendor_org.id) is False
    published = make.tender(client_org, status="published", invite=[vendor_org])
    with pytest.raises(TenderRuleError, match="draft"):
        act(client_org, ops.uninvite_vendor, manager, published, vendor_org.id)


def test_no_invitation_after_the_deadline(make, manager, client_org, vendor_org):
    tender = make.tender(
        client_org, status="published", bid_deadline=utcnow() - timedelta(minutes=1)
    )
    with pytest.raises(TenderRuleError, match="deadline"):
        act(client_org, ops.invite_vendors, manager, tender, [vendor_org.id])


# --- Publication ----------------------------------------------------------------------


def test_publish_moves_a_draft_once(make, manager, client_org, vendor_org):
    bid_manager = make.member(vendor_org, "admin")
    tender = make.tender(client_org, invite=[vendor_org])
    act(client_org, ops.publish_tender, manager, tender)
    assert tender.status == TenderStatus.PUBLISHED
    assert tender.published_at is not None
    with pytest.raises(TenderRuleError, match="already published"):
        act(client_org, ops.publish_tender, manager, tender)
    assert len(events(client_org, "tender.published")) == 1
    assert len(notified(bid_manager)) == 1


def test_publish_notifies_invited_vendors_bid_managers_only(
    make, manager, client_org, vendor_org, second_vendor
):
    admin = make.member(vendor_org, "admin")
    procurement = make.member(vendor_org, "procurement")
    delivery = make.member(vendor_org, "delivery")
    uninvited = make.member(second_vendor, "admin")
    make.vendor_profile(second_vendor, functions=["accounts_payable"])
    tender = make.tender(client_org, invite=[vendor_org])
    act(client_org, ops.publish_tender, manager, tender)
    assert len(notified(admin, "tender.invited")) == 1
    assert len(notified(procurement, "tender.invited")) == 1
    assert notified(delivery) == []
    # An invited tender is nobody else's business, even a vendor serving the function.
    assert notified(uninvited) == []


def test_an_open_tender_notifies_vendors_serving_the_function(
    make, manager, client_org, function, vendor_org, second_vendor
):
    serving = make.member(vendor_org, "admin")
    make.vendor_profile(vendor_org, functions=["accounts_payable"])
    other_function = make.member(second_vendor, "admin")
    make.vendor_profile(second_vendor, functions=["payroll"])
    unlisted_org = make.organization(kind="vendor")
    unlisted = make.member(unlisted_org, "admin")
    make.vendor_profile(unlisted_org, functions=["accounts_payable"], listed=False)
    tender = make.tender(client_org, function, visibility="open")
    act(client_org, ops.publish_tender, manager, tender)
    assert len(notified(serving, "tender.published")) == 1
    assert notified(other_function) == []
    assert notified(unlisted) == []


def test_an_open_tender_tells_an_invited_serving_vendor_once(
    make, manager, client_org, function, vendor_org
):
    person = make.member(vendor_org, "admin")
    make.vendor_profile(vendor_org, functions=["accounts_payable"])
    tender = make.tender(client_org, function, visibility="open", invite=[vendor_org])
    act(client_org, ops.publish_tender, manager, tender)
    assert [n.kind for n in notified(person)] == ["tender.invited"]


def test_a_tender_by_invitation_needs_an_invited_vendor(make, manager, client_org):
    tender = make.tender(client_org, visibility="invited")
    with pytest.raises(TenderRuleError, match="Invite at least one vendor"):
        act(client_org, ops.publish_tender, manager, tender)
    assert tender.status == TenderStatus.DRAFT


def test_an_open_tender_needs_no_invitation(make, manager, client_org):
    tender = make.tender(client_org, visibility="open")
    act(client_org, ops.publish_tender, manager, tender)
    assert tender.status == TenderStatus.PUBLISHED


def test_publish_refuses_a_past_deadline(make, manager, client_org):
    tender = make.tender(
        client_org, visibility="open", bid_deadline=utcnow() - timedelta(seconds=1)
    )
    with pytest.raises(TenderRuleError, match="deadline") as error:
        act(client_org, ops.publish_tender, manager, tender)
    assert error.value.field == "bid_deadline"


def test_publish_refuses_weights_that_do_not_add_up(make, manager, client_org):
    tender = make.tender(client_org, visibility="open")
    tender.criteria[1].weight = 30
    db.session.flush()
    with pytest.raises(TenderRuleError, match="add up to 90"):
        act(client_org, ops.publish_tender, manager, tender)


def test_publish_refuses_a_tender_without_price(make, manager, client_org):
    tender = make.tender(client_org, visibility="open")
    tender.criteria[0].is_price = False
    db.session.flush()
    with pytest.raises(TenderRuleError, match="Price"):
        act(client_org, ops.publish_tender, manager, tender)


def test_publish_needs_no_sla_requirement(make, manager, client_org):
    tender = make.tender(client_org, visibility="open")
    tender.sla_requirements.clear()
    db.session.flush()
    act(client_org, ops.publish_tender, manager, tender)
    assert tender.status == TenderStatus.PUBLISHED


# --- Addenda --------------------------------------------------------------------------


def addendum_data(tender, **overrides) -> dict:
    data = {
        "summary": "Volumes grew after the acquisition.",
        "scope": tender.scope,
        "monthly_volume": tender.monthly_volume,
        "volume_unit": tender.volume_unit,
        "term_months": tender.term_months,
        "start_date": tender.start_date,
        "location_preference": tender.location_preference,
        "bid_deadline": tender.bid_deadline,
        "sla_targets": [
            {"requirement_id": r.id, "target": r.target} for r in tender.sla_requirements
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def published(make, client_org, vendor_org):
    return make.tender(client_org, status="published", invite=[vendor_org])


def test_an_addendum_records_and_applies_the_changes(manager, client_org, published):
    requirement = published.sla_requirements[0]
    old_deadline = published.bid_deadline
    new_deadline = old_deadline + timedelta(days=7)
    data = addendum_data(
        published,
        monthly_volume=Decimal("15000"),
        bid_deadline=new_deadline,
        sla_targets=[{"requirement_id": requirement.id, "target": Decimal("99.5")}],
    )
    addendum = act(client_org, ops.publish_addendum, manager, published, data)
    assert addendum.number == 1
    assert addendum.changes == {
        "monthly_volume": ["12000", "15000"],
        "bid_deadline": [old_deadline.isoformat(), new_deadline.isoformat()],
        f"sla_target:{requirement.id}": ["99", "99.5"],
    }
    assert published.monthly_volume == Decimal("15000")
    assert published.bid_deadline == new_deadline
    assert requirement.target == Decimal("99.5")
    second = act(
        client_org,
        ops.publish_addendum,
        manager,
        published,
        addendum_data(published, term_months=48),
    )
    assert second.number == 2
    assert len(events(client_org, "tender.addendum_published")) == 2


def test_an_addendum_cannot_shorten_the_deadline(manager, client_org, published):
    earlier = published.bid_deadline - timedelta(hours=1)
    with pytest.raises(TenderRuleError, match="extended") as error:
        act(
            client_org,
            ops.publish_addendum,
            manager,
            published,
            addendum_data(published, bid_deadline=earlier),
        )
    assert error.value.field == "bid_deadline"
    assert published.addenda == []


def test_the_same_deadline_to_the_minute_is_no_change(manager, client_org, published):
    shown = published.bid_deadline.replace(second=0, microsecond=0)
    data = addendum_data(published, bid_deadline=shown, term_months=24)
    addendum = act(client_org, ops.publish_addendum, manager, published, data)
    assert list(addendum.changes) == ["term_months"]


def test_an_addendum_must_change_something(manager, client_org, published):
    with pytest.raises(TenderRuleError, match="Nothing changed"):
        act(client_org, ops.publish_addendum, manager, published, addendum_data(published))


def test_an_addendum_needs_a_summary(manager, client_org, published):
    data = addendum_data(published, summary=" ", term_months=24)
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.publish_addendum, manager, published, data)
    assert error.value.field == "summary"


def test_no_addendum_on_a_draft_or_after_the_deadline(make, manager, client_org):
    draft = make.tender(client_org)
    past = make.tender(client_org, status="published", bid_deadline=utcnow() - timedelta(seconds=1))
    for tender in (draft, past):
        with pytest.raises(TenderRuleError, match="before its deadline"):
            act(
                client_org,
                ops.publish_addendum,
                manager,
                tender,
                addendum_data(tender, term_months=24),
            )


def test_an_addendum_sends_submitted_bids_back_to_draft(
    make, manager, client_org, vendor_org, second_vendor, published
):
    submitted = make.bid(vendor_org, published)
    draft_only = make.bid(second_vendor, published, status="draft")
    data = addendum_data(published, term_months=48)
    addendum = act(client_org, ops.publish_addendum, manager, published, data)
    reopened = bid_status(submitted)
    assert reopened.status == BidStatus.DRAFT
    assert reopened.reopened_by_addendum_id == addendum.id
    untouched = bid_status(draft_only)
    assert untouched.status == BidStatus.DRAFT
    assert untouched.reopened_by_addendum_id is None
    # The vendor's own log says so; the client's log says nothing about bids.
    assert len(events(vendor_org, "bid.reopened")) == 1
    assert events(client_org, "bid.reopened") == []


def test_an_addendum_supersedes_a_submitted_bid_that_is_being_replaced(
    make, manager, client_org, vendor_org, published
):
    submitted = make.bid(vendor_org, published)
    replacement = make.bid(
        vendor_org, published, status="draft", version=2, supersedes_id=submitted.id
    )
    addendum = act(
        client_org,
        ops.publish_addendum,
        manager,
        published,
        addendum_data(published, term_months=48),
    )
    assert bid_status(submitted).status == BidStatus.SUPERSEDED
    assert bid_status(replacement).reopened_by_addendum_id == addendum.id


def test_an_addendum_tells_invited_vendors_and_every_bidder(
    make, manager, client_org, vendor_org, second_vendor
):
    tender = make.tender(client_org, status="published", visibility="open", invite=[vendor_org])
    invited = make.member(vendor_org, "admin")
    bidder = make.member(second_vendor, "procurement")
    make.bid(second_vendor, tender, status="draft")
    bystander_org = make.organization(kind="vendor")
    bystander = make.member(bystander_org, "admin")
    act(client_org, ops.publish_addendum, manager, tender, addendum_data(tender, term_months=24))
    assert len(notified(invited, "tender.addendum")) == 1
    assert len(notified(bidder, "tender.addendum")) == 1
    assert notified(bystander) == []


# --- Cancellation ---------------------------------------------------------------------


def test_cancel_needs_a_reason_and_tells_invited_vendors_and_bidders(
    make, manager, client_org, vendor_org, second_vendor
):
    tender = make.tender(client_org, status="published", visibility="open", invite=[vendor_org])
    invited = make.member(vendor_org, "admin")
    bidder = make.member(second_vendor, "admin")
    bid = make.bid(second_vendor, tender)
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.cancel_tender, manager, tender, "  ")
    assert error.value.field == "reason"
    act(client_org, ops.cancel_tender, manager, tender, "Budget frozen.")
    assert tender.status == TenderStatus.CANCELLED
    assert tender.cancel_reason == "Budget frozen."
    assert tender.cancelled_at is not None
    assert len(notified(invited, "tender.cancelled")) == 1
    assert len(notified(bidder, "tender.cancelled")) == 1
    assert bid_status(bid).status == BidStatus.SUBMITTED
    [event] = events(client_org, "tender.cancelled")
    assert event.before == {"status": "published"}


def test_cancelling_a_draft_tells_nobody(make, manager, client_org, vendor_org):
    person = make.member(vendor_org, "admin")
    tender = make.tender(client_org, invite=[vendor_org])
    act(client_org, ops.cancel_tender, manager, tender, "Changed our mind.")
    assert tender.status == TenderStatus.CANCELLED
    assert notified(person) == []


def test_a_closed_tender_can_be_cancelled(make, manager, client_org):
    tender = make.tender(client_org, status="closed", bid_deadline=utcnow() - timedelta(days=1))
    act(client_org, ops.cancel_tender, manager, tender, "No acceptable bid.")
    assert tender.status == TenderStatus.CANCELLED


@pytest.mark.parametrize("status", ["awarded", "cancelled"])
def test_a_final_tender_cannot_be_cancelled(make, manager, client_org, status):
    tender = make.tender(client_org, status=status, bid_deadline=utcnow() - timedelta(days=1))
    with pytest.raises(TenderRuleError):
        act(client_org, ops.cancel_tender, manager, tender, "Again")
    assert tender.status == TenderStatus(status)
    assert events(client_org, "tender.cancelled") == []


# --- Answers --------------------------------------------------------------------------


def test_an_answer_goes_to_invited_vendors_bidders_and_the_asker_without_naming_it(
    make, manager, client_org, vendor_org, second_vendor
):
    tender = make.tender(client_org, status="published", visibility="open", invite=[vendor_org])
    invited = make.member(vendor_org, "admin")
    bidder_org = make.organization(name="Bidder Ltd", kind="vendor")
    bidder = make.member(bidder_org, "admin")
    make.bid(bidder_org, tender, status="draft")
    asker = make.member(second_vendor, "procurement")
    bystander = make.member(make.organization(kind="vendor"), "admin")
    question = make.question(second_vendor, tender, "Is VAT included?")
    with organization_context(client_org.id):
        question = db.session.scalars(
            select(ClarificationQuestion).where(ClarificationQuestion.id == question.id)
        ).one()
    act(client_org, ops.answer_question, manager, tender, question, "No, prices exclude VAT.")
    assert question.answer == "No, prices exclude VAT."
    assert question.answered_at is not None
    assert question.answered_by_id == manager.id
    for person in (invited, bidder, asker):
        [notification] = notified(person, "tender.question_answered")
        assert "Meridian" not in notification.title + notification.body
        assert "No, prices exclude VAT." in notification.body
    assert notified(bystander) == []
    assert len(events(client_org, "question.answered")) == 1


def test_an_answer_can_be_corrected_before_the_deadline(
    make, manager, client_org, vendor_org, published
):
    question = make.question(vendor_org, published, answer="Yes.")
    act(client_org, ops.answer_question, manager, published, question, "No: excluded.")
    [event] = events(client_org, "question.answer_corrected")
    assert event.before["answer"] == "Yes."
    assert event.after["answer"] == "No: excluded."
    # The same answer again changes nothing.
    act(client_org, ops.answer_question, manager, published, question, "No: excluded.")
    assert len(events(client_org, "question.answer_corrected")) == 1


def test_no_answer_after_the_deadline(make, manager, client_org, vendor_org):
    tender = make.tender(
        client_org,
        status="published",
        invite=[vendor_org],
        bid_deadline=utcnow() - timedelta(seconds=1),
    )
    question = make.question(vendor_org, tender)
    with pytest.raises(TenderRuleError, match="open for bids"):
        act(client_org, ops.answer_question, manager, tender, question, "Too late")
    assert question.answer is None


def test_an_empty_answer_is_refused(make, manager, client_org, vendor_org, published):
    question = make.question(vendor_org, published)
    with pytest.raises(TenderRuleError) as error:
        act(client_org, ops.answer_question, manager, published, question, "  ")
    assert error.value.field == "answer"

"""DESIGN.md's tenancy table for tendering, checked at the wall itself.

Whatever a view or the API forgets, these queries are what they run: a draft
tender is its client's alone, a published one is seen by the vendors it is
open to, a bid by its vendor and, once submitted, by the client from the
deadline's second on; no vendor ever sees another's bid.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.tenancy import organization_context
from vendors.models import Bid, ClarificationQuestion, Tender, TenderInvitation


def _visible(model, org, *, at=None):
    def query():
        with organization_context(org.id):
            return set(db.session.scalars(select(model.id)).all())

    if at is None:
        return query()
    with freeze_time(at):
        return query()


@pytest.fixture
def second_vendor(make):
    return make.organization(name="Meridian", kind="vendor")


def test_a_draft_tender_is_its_clients_alone(make, client_org, vendor_org, other_client_org):
    draft = make.tender(client_org, visibility="open", invite=[vendor_org])
    assert draft.id in _visible(Tender, client_org)
    assert draft.id not in _visible(Tender, vendor_org)
    assert draft.id not in _visible(Tender, other_client_org)


def test_an_open_tender_is_seen_by_every_vendor_and_no_other_client(
    make, client_org, vendor_org, second_vendor, other_client_org
):
    tender = make.tender(client_org, status="published", visibility="open")
    assert tender.id in _visible(Tender, vendor_org)
    assert tender.id in _visible(Tender, second_vendor)
    assert tender.id not in _visible(Tender, other_client_org)


def test_an_invited_tender_is_seen_by_invited_vendors_only(
    make, client_org, vendor_org, second_vendor
):
    tender = make.tender(client_org, status="published", invite=[vendor_org])
    assert tender.id in _visible(Tender, vendor_org)
    assert tender.id not in _visible(Tender, second_vendor)
    invitations = _visible(TenderInvitation, vendor_org)
    assert len(invitations) == 1
    assert not _visible(TenderInvitation, second_vendor)


def test_a_bid_is_sealed_until_the_deadlines_second(make, client_org, vendor_org, second_vendor):
    deadline = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    tender = make.tender(
        client_org, status="published", invite=[vendor_org, second_vendor], bid_deadline=deadline
    )
    bid = make.bid(vendor_org, tender)
    rival = make.bid(second_vendor, tender)

    one_second_before = deadline - timedelta(seconds=1)
    assert _visible(Bid, client_org, at=one_second_before) == set()
    assert _visible(Bid, client_org, at=deadline) == {bid.id, rival.id}
    assert _visible(Bid, client_org, at=deadline + timedelta(seconds=1)) == {bid.id, rival.id}
    # Never another vendor's, before or after.
    for moment in (one_second_before, deadline, deadline + timedelta(days=30)):
        assert _visible(Bid, vendor_org, at=moment) == {bid.id}
        assert _visible(Bid, second_vendor, at=moment) == {rival.id}


@pytest.mark.parametrize("status", ["draft", "withdrawn", "superseded"])
def test_the_client_never_sees_a_bid_that_is_not_submitted(make, client_org, vendor_org, status):
    tender = make.tender(
        client_org,
        status="published",
        invite=[vendor_org],
        bid_deadline=utcnow() - timedelta(seconds=1),
    )
    bid = make.bid(vendor_org, tender, status=status)
    assert bid.id not in _visible(Bid, client_org)
    assert bid.id in _visible(Bid, vendor_org)


def test_another_client_never_sees_a_bid(make, client_org, vendor_org, other_client_org):
    tender = make.tender(
        client_org, status="published", visibility="open", bid_deadline=utcnow() - timedelta(1)
    )
    bid = make.bid(vendor_org, tender)
    assert bid.id not in _visible(Bid, other_client_org)


def test_questions_answered_ones_reach_every_eligible_bidder(
    make, client_org, vendor_org, second_vendor, other_client_org
):
    outsider = make.organization(name="Not invited", kind="vendor")
    tender = make.tender(client_org, status="published", invite=[vendor_org, second_vendor])
    pending = make.question(vendor_org, tender, "Pending?")
    answered = make.question(vendor_org, tender, "Answered?", answer="Yes.")

    assert _visible(ClarificationQuestion, vendor_org) == {pending.id, answered.id}
    assert _visible(ClarificationQuestion, client_org) == {pending.id, answered.id}
    assert _visible(ClarificationQuestion, second_vendor) == {answered.id}
    assert _visible(ClarificationQuestion, outsider) == set()
    assert _visible(ClarificationQuestion, other_client_org) == set()

"""The tendering API: the same rules as the pages, for vendors and clients."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.tenancy import across_tenants
from tests.portal.api.conftest import bearer
from vendors.models import Bid, BidStatus, ClarificationQuestion

API = "/api/v1"


@pytest.fixture
def rival_org(make):
    return make.organization(name="Meridian", kind="vendor")


@pytest.fixture
def tender(make, client_org, vendor_org, rival_org):
    function = make.function(client_org, name="Accounts payable", catalogue_key="accounts_payable")
    return make.tender(
        client_org,
        function,
        status="published",
        invite=[vendor_org, rival_org],
        bid_deadline=(utcnow() + timedelta(days=3)).replace(microsecond=0),
    )


@pytest.fixture
def vendor_api(client, make_token, vendor_org):
    secret = make_token(vendor_org, "procurement")

    def call(method, path, **kwargs):
        return client.open(API + path, method=method, headers=bearer(secret), **kwargs)

    return call


@pytest.fixture
def rival_api(client, make_token, rival_org):
    secret = make_token(rival_org, "admin")

    def call(method, path, **kwargs):
        return client.open(API + path, method=method, headers=bearer(secret), **kwargs)

    return call


@pytest.fixture
def client_api(client, make_token, client_org):
    secret = make_token(client_org, "viewer")

    def call(method, path, **kwargs):
        return client.open(API + path, method=method, headers=bearer(secret), **kwargs)

    return call


def _bid_body(tender, *, fixed="40000", per_unit="1.50", committed=None):
    requirement = tender.sla_requirements[0]
    return {
        "price_lines": [
            {"kind": "fixed_monthly", "description": "Team", "unit_price": fixed},
            {"kind": "per_unit", "description": "Per invoice", "unit_price": per_unit},
        ],
        "transition_cost": "120000",
        "sla_commitments": [
            {"requirement_id": requirement.id, "committed": committed or str(requirement.target)}
        ],
        "delivery_location": "Lisbon",
        "location_kind": "nearshore",
        "narrative": "Twenty clients like you.",
    }


def test_a_vendor_lists_the_tenders_open_to_it(make, client_org, vendor_org, tender, vendor_api):
    make.tender(client_org)  # a draft: nobody else sees it
    make.tender(client_org, status="published", invite=[make.organization(kind="vendor")])
    response = vendor_api("GET", "/marketplace/tenders")
    assert response.status_code == 200
    assert [row["id"] for row in response.json["data"]] == [tender.id]
    assert response.json["data"][0]["client"]["name"] == client_org.name


def test_a_vendor_reads_a_tender_without_the_clients_baseline(tender, vendor_api):
    body = vendor_api("GET", f"/marketplace/tenders/{tender.id}").json
    assert body["function"] == {"catalogue_key": "accounts_payable", "name": "Accounts payable"}
    assert body["invited"] is True
    assert body["sla_requirements"][0]["target"] == "99.0000"
    assert [c["weight"] for c in body["criteria"]] == [60, 40]
    assert "in_house" not in str(body) and "annual" not in str(body)


def test_a_bid_is_drafted_submitted_once_and_withdrawn(tender, vendor_api, vendor_org):
    saved = vendor_api("PUT", f"/marketplace/tenders/{tender.id}/bid", json=_bid_body(tender))
    assert saved.status_code == 200, saved.json
    assert saved.json["status"] == "draft"
    # 40,000 + 1.50 × 12,000 = 58,000 a month; × 36 + 120,000 = 2,208,000.
    assert saved.json["monthly_price"] == {"amount": "58000.00", "currency": "EUR"}
    assert saved.json["projected_total"] == {"amount": "2208000.00", "currency": "EUR"}

    submitted = vendor_api("POST", f"/marketplace/tenders/{tender.id}/bid/submit")
    assert submitted.status_code == 200
    assert submitted.json["status"] == "submitted"
    again = vendor_api("POST", f"/marketplace/tenders/{tender.id}/bid/submit")
    assert again.status_code == 200
    assert again.json["id"] == submitted.json["id"]
    bids = db.session.scalars(across_tenants(select(Bid).where(Bid.tender_id == tender.id))).all()
    assert [(bid.organization_id, bid.status) for bid in bids] == [
        (vendor_org.id, BidStatus.SUBMITTED)
    ]

    withdrawn = vendor_api("POST", f"/marketplace/tenders/{tender.id}/bid/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json["status"] == "withdrawn"


def test_a_weaker_commitment_is_kept_and_flagged(tender, vendor_api):
    response = vendor_api(
        "PUT", f"/marketplace/tenders/{tender.id}/bid", json=_bid_body(tender, committed="97")
    )
    assert response.json["sla_commitments"][0]["weaker"] is True


def test_bad_bid_input_names_the_field_and_saves_nothing(tender, vendor_api):
    body = _bid_body(tender)
    body["price_lines"][0]["kind"] = "per_week"
    response = vendor_api("PUT", f"/marketplace/tenders/{tender.id}/bid", json=body)
    assert response.status_code == 422
    assert "price_lines" in response.json["errors"]
    body = _bid_body(tender)
    body["price_lines"] = [{"kind": "per_fte", "unit_price": "5000"}]  # FTEs missing
    response = vendor_api("PUT", f"/marketplace/tenders/{tender.id}/bid", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert db.session.scalars(across_tenants(select(Bid))).all() == []


def test_after_the_deadline_a_bid_is_frozen(tender, vendor_api):
    vendor_api("PUT", f"/marketplace/tenders/{tender.id}/bid", json=_bid_body(tender))
    with freeze_time(tender.bid_deadline):
        response = vendor_api("POST", f"/marketplace/tenders/{tender.id}/bid/submit")
    assert response.status_code == 409
    assert response.json["detail"]


def test_a_viewer_token_cannot_bid(make_token, client, vendor_org, tender):
    secret = make_token(vendor_org, "viewer")
    response = client.put(
        f"{API}/marketplace/tenders/{tender.id}/bid", json=_bid_body(tender), headers=bearer(secret)
    )
    assert response.status_code == 403


def test_a_question_is_asked_and_its_asker_never_named(tender, vendor_api, rival_api):
    asked = vendor_api(
        "POST", f"/marketplace/tenders/{tender.id}/questions", json={"question": "VAT?"}
    )
    assert asked.status_code == 201
    assert asked.json["asked_by_you"] is True
    question = db.session.scalars(across_tenants(select(ClarificationQuestion))).one()
    question.answer, question.answered_at = "Excluded.", utcnow()
    db.session.flush()
    seen = rival_api("GET", f"/marketplace/tenders/{tender.id}").json["questions"]
    assert seen == [
        {
            "id": question.id,
            "question": "VAT?",
            "answer": "Excluded.",
            "asked_at": seen[0]["asked_at"],
            "answered_at": seen[0]["answered_at"],
            "asked_by_you": False,
        }
    ]
    empty = vendor_api("POST", f"/marketplace/tenders/{tender.id}/questions", json={"question": ""})
    assert empty.status_code == 422


def test_no_vendor_reaches_another_vendors_bid(make, tender, vendor_org, vendor_api, rival_api):
    make.bid(vendor_org, tender)
    response = rival_api("GET", f"/marketplace/tenders/{tender.id}/bid")
    assert response.status_code == 404
    own = vendor_api("GET", f"/marketplace/tenders/{tender.id}/bid")
    assert own.status_code == 200


def test_the_client_sees_bids_only_after_the_deadline(
    make, tender, vendor_org, rival_org, client_api
):
    bid = make.bid(vendor_org, tender)
    rival = make.bid(rival_org, tender, lines=[("fixed_monthly", None, Decimal("70000"))])
    make.bid(make.organization(kind="vendor"), tender, status="draft")

    sealed = client_api("GET", f"/tenders/{tender.id}/bids")
    assert sealed.status_code == 409
    assert sealed.json["bid_deadline"]
    assert client_api("GET", f"/tenders/{tender.id}/bids/{bid.id}").status_code == 404

    with freeze_time(tender.bid_deadline):
        opened = client_api("GET", f"/tenders/{tender.id}/bids")
        one = client_api("GET", f"/tenders/{tender.id}/bids/{rival.id}")
    assert opened.status_code == 200
    assert {row["vendor"]["name"] for row in opened.json} == {vendor_org.name, rival_org.name}
    # 50,000 + 2.00 × 12,000 = 74,000 a month; × 36 + 100,000.
    totals = {row["id"]: row["projected_total"]["amount"] for row in opened.json}
    assert totals == {bid.id: "2764000.00", rival.id: "2620000.00"}
    assert one.json["vendor"]["name"] == rival_org.name


def test_the_client_lists_and_reads_its_tenders(make, client_org, tender, client_api):
    make.tender(make.organization(kind="client"), status="published", visibility="open")
    listed = client_api("GET", "/tenders")
    assert [row["id"] for row in listed.json["data"]] == [tender.id]
    assert listed.json["data"][0]["function"]["name"] == "Accounts payable"
    one = client_api("GET", f"/tenders/{tender.id}").json
    assert {vendor["name"] for vendor in one["invited_vendors"]} == {
        "Atlas Back Office",
        "Meridian",
    }
    closed = client_api("GET", "/tenders?status=closed").json["data"]
    assert closed == []


def test_a_vendor_org_gets_404_on_the_client_endpoints(tender, vendor_api):
    assert vendor_api("GET", f"/tenders/{tender.id}").status_code == 404
    assert vendor_api("GET", f"/tenders/{tender.id}/bids").status_code == 404


def test_the_openapi_document_describes_tendering(client):
    paths = client.get(f"{API}/openapi.json").json["paths"]
    for path in (
        "/marketplace/tenders",
        "/marketplace/tenders/{tender_id}",
        "/marketplace/tenders/{tender_id}/questions",
        "/marketplace/tenders/{tender_id}/bid",
        "/marketplace/tenders/{tender_id}/bid/submit",
        "/marketplace/tenders/{tender_id}/bid/withdraw",
        "/tenders",
        "/tenders/{tender_id}",
        "/tenders/{tender_id}/bids",
        "/tenders/{tender_id}/bids/{bid_id}",
    ):
        assert "/api/v1" + path in paths, path
    assert "409" in paths["/api/v1/marketplace/tenders/{tender_id}/bid/submit"]["post"]["responses"]

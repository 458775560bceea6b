"""The JSON API of tendering: vendors read tenders, ask questions and bid; clients read
their tenders and, once the deadline has passed, the bids.

Every endpoint calls the same operations and queries as the pages, so the
rules (sealed bids, deadlines to the second, one submission per vendor) are
the pages' rules. A rule's refusal is a 409 problem, or a 422 naming the field.
"""

from __future__ import annotations

from flask import abort, g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from portal import tenancy
from portal.api.endpoints import endpoint
from portal.api.problems import problem_response
from portal.api.schemas import DecimalString, MoneyField
from portal.db import utcnow
from portal.functions.catalogue import catalogue_function
from portal.i18n import moment
from vendors import BID_MANAGERS
from vendors.models import (
    Better,
    BidStatus,
    LocationKind,
    LocationPreference,
    PriceLineKind,
    Tender,
    TenderStatus,
    TenderVisibility,
)
from vendors.operations import bids as bid_operations
from vendors.queries import bids as bid_queries
from vendors.queries import evaluation as evaluation_queries
from vendors.queries import tenders as tender_queries

TAG_VENDOR = "Tenders (vendor)"
TAG_CLIENT = "Tenders (client)"


# --- Schemas --------------------------------------------------------------------------


class SlaRequirementSchema(Schema):
    id = fields.Integer()
    metric = fields.String()
    unit = fields.String(metadata={"example": "%"})
    target = DecimalString(metadata={"example": "99.0000"})
    better = fields.Enum(
        Better, by_value=True, metadata={"description": "Which direction is better."}
    )


class CriterionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    weight = fields.Integer(metadata={"description": "Weights of a tender sum to 100."})
    is_price = fields.Boolean(metadata={"description": "Scored by computation from the price."})


class AddendumSchema(Schema):
    number = fields.Integer()
    summary = fields.String()
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Each changed term: [before, after]."},
    )
    published_at = fields.DateTime()


class PartySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class FunctionRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    catalogue_key = fields.String(allow_none=True)


class TenderSummarySchema(Schema):
    """A tender in a list."""

    id = fields.Integer()
    title = fields.String()
    status = fields.Function(
        lambda tender: tender.phase(utcnow()).value,
        metadata={
            "enum": [status.value for status in TenderStatus],
            "description": "A published tender past its deadline reads closed.",
        },
    )
    client = fields.Nested(PartySchema, attribute="organization")
    currency = fields.String()
    monthly_volume = DecimalString(places=2)
    volume_unit = fields.String()
    term_months = fields.Integer()
    start_date = fields.Date()
    location_preference = fields.Enum(LocationPreference, by_value=True)
    visibility = fields.Enum(TenderVisibility, by_value=True)
    bid_deadline = fields.DateTime(metadata={"description": "UTC."})


class TenderSchema(TenderSummarySchema):
    """A tender's terms, as every organization that may see it reads them."""

    scope = fields.String()
    sla_requirements = fields.List(fields.Nested(SlaRequirementSchema))
    criteria = fields.List(fields.Nested(CriterionSchema))
    addenda = fields.List(fields.Nested(AddendumSchema))


class AnsweredQuestionSchema(Schema):
    """A clarification; the asker is never named (``asked_by_you`` tells your own)."""

    id = fields.Integer()
    question = fields.String()
    answer = fields.String(allow_none=True)
    asked_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    asked_by_you = fields.Function(
        lambda question: question.organization_id == tenancy.current_organization_id()
    )


def _public_function(tender: Tender) -> dict:
    # The client's register entry (its baseline) is behind the wall for a
    # vendor; only the catalogue function is public.
    key = bid_queries.function_key(tender)
    entry = catalogue_function(key) if key else None
    return {"catalogue_key": key, "name": str(entry.name) if entry else None}


class VendorTenderSchema(TenderSchema):
    function = fields.Function(
        _public_function,
        metadata={"description": "The catalogue function tendered (null if custom)."},
    )
    invited = fields.Function(lambda tender: bid_queries.is_invited(tender))
    questions = fields.Function(
        lambda tender: AnsweredQuestionSchema(many=True).dump(_questions_seen(tender))
    )
    outcome = fields.Function(
        lambda tender: _outcome(tender),
        metadata={
            "description": "awarded / not_awarded once the client decided on your bid, else null."
        },
    )


class ClientTenderSummarySchema(TenderSummarySchema):
    function = fields.Nested(FunctionRefSchema)
    awarded_bid_id = fields.Integer(allow_none=True)


class ClientTenderSchema(TenderSchema):
    function = fields.Nested(FunctionRefSchema)
    invited_vendors = fields.Function(
        lambda tender: [
            {"id": invitation.vendor.id, "name": invitation.vendor.name}
            for invitation in tender.invitations
        ]
    )
    awarded_bid_id = fields.Integer(allow_none=True)
    award_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class PriceLineSchema(Schema):
    kind = fields.Enum(PriceLineKind, by_value=True, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))
    quantity = DecimalString(
        allow_none=True,
        load_default=None,
        metadata={"description": "FTEs, for a per_fte line only."},
    )
    unit_price = DecimalString(
        required=True,
        metadata={"description": "Monthly fee, price per unit, or monthly rate per FTE."},
    )


class CommitmentSchema(Schema):
    requirement_id = fields.Integer(required=True)
    committed = DecimalString(required=True)


class CommitmentOutSchema(CommitmentSchema):
    weaker = fields.Boolean(metadata={"description": "Falls short of the required target."})


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class BidBodySchema(Schema):
    """A bid draft: saving replaces the draft's lines and commitments with these."""

    price_lines = fields.List(fields.Nested(PriceLineSchema), required=True)
    transition_cost = DecimalString(load_default="0")
    sla_commitments = fields.List(fields.Nested(CommitmentSchema), load_default=list)
    delivery_location = fields.String(load_default="", validate=validate.Length(max=200))
    location_kind = fields.Enum(LocationKind, by_value=True, allow_none=True, load_default=None)
    narrative = fields.String(load_default="")


class BidSchema(Schema):
    id = fields.Integer()
    tender_id = fields.Integer()
    vendor = fields.Nested(PartySchema)
    version = fields.Integer()
    status = fields.Enum(BidStatus, by_value=True)
    currency = fields.String()
    price_lines = fields.List(fields.Nested(PriceLineSchema))
    transition_cost = MoneyField()
    monthly_price = MoneyField(getter=lambda bid: bid_queries.pricing(bid, bid.tender).monthly)
    projected_total = MoneyField(
        getter=lambda bid: bid_queries.pricing(bid, bid.tender).total,
        metadata={"description": "Monthly price × term + transition cost."},
    )
    sla_commitments = fields.Function(
        lambda bid: CommitmentOutSchema(many=True).dump(
            [
                {
                    "requirement_id": row.requirement.id,
                    "committed": row.committed,
                    "weaker": row.weaker,
                }
                for row in bid_queries.commitment_rows(bid, bid.tender)
                if row.committed is not None
            ]
        )
    )
    delivery_location = fields.String()
    location_kind = fields.Enum(LocationKind, by_value=True, allow_none=True)
    narrative = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))


class QuestionBodySchema(Schema):
    question = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class MarketplaceQuerySchema(Schema):
    function = fields.String(metadata={"description": "Catalogue key of the function."})
    location = fields.Enum(LocationPreference, by_value=True)
    deadline = fields.String(
        validate=validate.OneOf(["open", "7", "30", "all"]),
        load_default="open",
        metadata={"description": "open (default), closing within 7 or 30 days, or all."},
    )
    invited_only = fields.Boolean(load_default=False)


class TenderListQuerySchema(Schema):
    status = fields.Enum(TenderStatus, by_value=True)


# --- Helpers --------------------------------------------------------------------------


def _questions_seen(tender: Tender):
    seen = bid_queries.tender_questions(tender)
    return [question for question, _own in seen.answered] + list(seen.pending)


def _outcome(tender: Tender) -> str | None:
    live = bid_queries.bid_state(tender).live
    if live is not None and live.status in (BidStatus.AWARDED, BidStatus.NOT_AWARDED):
        return live.status.value
    return None


def _marketplace_tender(tender_id: int) -> Tender:
    tender = tenancy.get_or_404(Tender, tender_id)
    if tender.organization_id == tenancy.current_organization_id():
        # One's own tender is read through the client endpoints.
        abort(404)
    return tender


# --- Vendors --------------------------------------------------------------------------


@endpoint(
    "GET",
    "/marketplace/tenders",
    summary="Tenders open to your organization (open ones and those you are invited to)",
    query=MarketplaceQuerySchema,
    response=TenderSummarySchema,
    paginated=True,
    side="vendor",
    tag=TAG_VENDOR,
    name="marketplace_tenders",
)
def marketplace_tenders(query: dict):
    return bid_queries.marketplace_statement(query)


@endpoint(
    "GET",
    "/marketplace/tenders/<int:tender_id>",
    summary="One tender as a vendor sees it, with its answered questions",
    response=VendorTenderSchema,
    side="vendor",
    tag=TAG_VENDOR,
    name="marketplace_tender",
    load=_marketplace_tender,
)
def marketplace_tender(tender: Tender):
    return tender


@endpoint(
    "POST",
    "/marketplace/tenders/<int:tender_id>/questions",
    summary="Ask a clarification question (before the deadline)",
    description="The answer is published to every eligible bidder without naming you.",
    roles=BID_MANAGERS,
    side="vendor",
    body=QuestionBodySchema,
    response=AnsweredQuestionSchema,
    status=201,
    tag=TAG_VENDOR,
    name="ask_question",
    load=_marketplace_tender,
)
def ask_question(tender: Tender, body: dict):
    return bid_operations.ask_question(g.actor, tender, body["question"])


@endpoint(
    "GET",
    "/marketplace/tenders/<int:tender_id>/bid",
    summary="Your bid on the tender (the draft you work on, else the submitted version)",
    response=BidSchema,
    side="vendor",
    tag=TAG_VENDOR,
    name="own_bid",
    load=_marketplace_tender,
)
def own_bid(tender: Tender):
    bid = bid_queries.bid_state(tender).current
    if bid is None:
        return problem_response(404, _("You have no bid on this tender yet."))
    return bid


@endpoint(
    "PUT",
    "/marketplace/tenders/<int:tender_id>/bid",
    summary="Save your bid draft (created on first save)",
    description=(
        "Before the deadline only. A submitted bid is not edited: withdraw it, or replace "
        "it from the portal. Commitments weaker than a target are kept and flagged `weaker`."
    ),
    roles=BID_MANAGERS,
    side="vendor",
    body=BidBodySchema,
    response=BidSchema,
    tag=TAG_VENDOR,
    name="save_bid",
    load=_marketplace_tender,
)
def save_bid(tender: Tender, body: dict):
    data = {
        "price_lines": [{**line, "kind": line["kind"].value} for line in body["price_lines"]],
        "commitments": {
            item["requirement_id"]: item["committed"] for item in body["sla_commitments"]
        },
        "transition_cost": body["transition_cost"],
        "delivery_location": body["delivery_location"],
        "location_kind": body["location_kind"].value if body["location_kind"] else None,
        "narrative": body["narrative"],
    }
    return bid_operations.save_bid_draft(g.actor, tender, data)


@endpoint(
    "POST",
    "/marketplace/tenders/<int:tender_id>/bid/submit",
    summary="Submit your draft (before the deadline; once)",
    description="Submitting again changes nothing and answers the submitted bid.",
    roles=BID_MANAGERS,
    side="vendor",
    response=BidSchema,
    tag=TAG_VENDOR,
    name="submit_bid",
    load=_marketplace_tender,
)
def submit_bid(tender: Tender):
    state = bid_queries.bid_state(tender)
    if state.draft is None:
        if state.live is not None and state.live.status == BidStatus.SUBMITTED:
            return state.live  # already submitted: applied once
        return problem_response(409, _("You have no bid draft on this tender to submit."))
    try:
        return bid_operations.submit_bid(g.actor, state.draft)
    except bid_operations.AlreadyDone:
        return bid_queries.bid_state(tender).live


@endpoint(
    "POST",
    "/marketplace/tenders/<int:tender_id>/bid/withdraw",
    summary="Withdraw your bid (before the deadline)",
    roles=BID_MANAGERS,
    side="vendor",
    response=BidSchema,
    tag=TAG_VENDOR,
    name="withdraw_bid",
    load=_marketplace_tender,
)
def withdraw_bid(tender: Tender):
    state = bid_queries.bid_state(tender)
    bid = state.live or state.draft
    if bid is None:
        latest = state.latest
        if latest is not None and latest.status == BidStatus.WITHDRAWN:
            return latest  # already withdrawn: applied once
        return problem_response(409, _("You have no bid on this tender to withdraw."))
    try:
        return bid_operations.withdraw_bid(g.actor, bid)
    except bid_operations.AlreadyDone:
        return bid


# --- Clients --------------------------------------------------------------------------


@endpoint(
    "GET",
    "/tenders",
    summary="Your organization's tenders, newest first",
    query=TenderListQuerySchema,
    response=ClientTenderSummarySchema,
    paginated=True,
    side="client",
    tag=TAG_CLIENT,
    name="client_tenders",
)
def client_tenders(query: dict):
    return tender_queries.tenders_statement(query.get("status"), utcnow())


@endpoint(
    "GET",
    "/tenders/<int:tender_id>",
    summary="One of your tenders",
    response=ClientTenderSchema,
    side="client",
    tag=TAG_CLIENT,
    name="client_tender",
    load=tender_queries.tender_page,
)
def client_tender(tender: Tender):
    return tender


def _opened_tender(tender_id: int):
    tender = tender_queries.own_tender_or_404(tender_id)
    now = utcnow()
    if not evaluation_queries.is_opened(tender, now):
        return tender, problem_response(
            409,
            _("Bids stay sealed until %(deadline)s.", deadline=moment(tender.bid_deadline)),
            bid_deadline=tender.bid_deadline.isoformat(),
        )
    return tender, None


@endpoint(
    "GET",
    "/tenders/<int:tender_id>/bids",
    summary="The submitted bids of your tender (after its deadline)",
    description="Before the deadline bids are sealed: 409 with the deadline.",
    response=BidSchema(many=True),
    side="client",
    tag=TAG_CLIENT,
    name="client_bids",
)
def client_bids(tender_id: int):
    tender, sealed = _opened_tender(tender_id)
    if sealed is not None:
        return sealed
    return evaluation_queries.sealed_bids(tender)


@endpoint(
    "GET",
    "/tenders/<int:tender_id>/bids/<int:bid_id>",
    summary="One submitted bid of your tender (after its deadline)",
    response=BidSchema,
    side="client",
    tag=TAG_CLIENT,
    name="client_bid",
)
def client_bid(tender_id: int, bid_id: int):
    # Before the deadline the bid does not exist for the client: 404, as the
    # wall answers, rather than a hint that it is there.
    tender = tender_queries.own_tender_or_404(tender_id)
    return evaluation_queries.opened_bid_or_404(tender, bid_id, utcnow())

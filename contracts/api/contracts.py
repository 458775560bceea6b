"""API endpoints of contracts: both parties read their contracts and every version
of the terms.

The client's own cost data on a contract (the retained governance cost and the
transition cost, used by savings analytics) is never sent to the vendor: those
fields are null in the vendor's reading.
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from contracts.models import Contract, ContractStatus, RateKind, VatTreatment
from contracts.queries.common import contract_or_404
from portal.api.endpoints import endpoint
from portal.api.schemas import DecimalString, MoneyField
from portal.tenancy import current_organization_id
from vendors.api import PartySchema
from vendors.models import Better

TAG = "Contracts"


class RateLineSchema(Schema):
    code = fields.String(metadata={"description": "Names the line in delivery reports."})
    kind = fields.Enum(RateKind, by_value=True)
    description = fields.String()
    unit = fields.String(metadata={"description": "Volume unit of a per-unit line."})
    rate = DecimalString(places=4)


class SlaMetricSchema(Schema):
    code = fields.String(metadata={"description": "Names the metric in delivery reports."})
    name = fields.String()
    unit = fields.String()
    target = DecimalString(places=4)
    better = fields.Enum(Better, by_value=True)
    critical_threshold = DecimalString(places=4, allow_none=True)
    credit_percent = DecimalString(
        places=2, metadata={"description": "Percent of the period's fees credited on a breach."}
    )


def _client_only(getter):
    """The client's cost data; None when the vendor reads the contract."""
    return lambda record: getter(record) if _read_by_client(record) else None


def _read_by_client(record) -> bool:
    contract = getattr(record, "contract", record)
    return contract.client_organization_id == current_organization_id()


class ContractVersionSchema(Schema):
    number = fields.Integer()
    effective_from = fields.Date(metadata={"description": "First month these terms apply to."})
    end_date = fields.Date()
    summary = fields.String(metadata={"description": "The amendment's reason."})
    monthly_minimum = MoneyField(allow_none=True)
    credit_cap_percent = DecimalString(places=2)
    retained_governance_monthly = MoneyField(
        allow_none=True,
        getter=_client_only(lambda version: version.retained_governance_monthly),
        metadata={"description": "The client's own cost; null for the vendor."},
    )
    rate_lines = fields.List(fields.Nested(RateLineSchema))
    metrics = fields.List(fields.Nested(SlaMetricSchema))
    created_at = fields.DateTime()


class ContractSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.Enum(ContractStatus, by_value=True)
    client = fields.Nested(PartySchema)
    vendor = fields.Nested(PartySchema)
    catalogue_key = fields.String(allow_none=True)
    currency = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    last_service_day = fields.Date(
        metadata={"description": "The end date, or the termination date."}
    )


class ContractSchema(ContractSummarySchema):
    scope = fields.String()
    payment_terms_days = fields.Integer()
    vat_treatment = fields.Enum(VatTreatment, by_value=True)
    vat_rate = DecimalString(places=2)
    transition_cost = MoneyField(
        allow_none=True,
        getter=_client_only(lambda contract: contract.transition_cost),
        metadata={"description": "The client's own cost; null for the vendor."},
    )
    tender_id = fields.Integer(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    terminated_on = fields.Date(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    versions = fields.List(
        fields.Nested(ContractVersionSchema),
        metadata={"description": "Every version of the terms, oldest first."},
    )


class ContractQuerySchema(Schema):
    status = fields.Enum(ContractStatus, by_value=True, load_default=None)
    side = fields.String(
        load_default=None,
        validate=validate.OneOf(["client", "vendor"]),
        metadata={"description": "Only contracts where your organization is this party."},
    )


@endpoint(
    "GET",
    "/contracts",
    summary="Your organization's contracts, as client and as vendor",
    query=ContractQuerySchema,
    response=ContractSummarySchema,
    paginated=True,
    tag=TAG,
    name="contracts",
)
def contracts(query: dict):
    organization_id = g.organization.id
    statement = (
        select(Contract)
        .options(selectinload(Contract.client), selectinload(Contract.vendor))
        .order_by(Contract.start_date.desc(), Contract.id.desc())
    )
    if query["status"] is not None:
        statement = statement.where(Contract.status == query["status"])
    if query["side"] == "client":
        statement = statement.where(Contract.client_organization_id == organization_id)
    elif query["side"] == "vendor":
        statement = statement.where(Contract.vendor_organization_id == organization_id)
    else:
        statement = statement.where(
            or_(
                Contract.client_organization_id == organization_id,
                Contract.vendor_organization_id == organization_id,
            )
        )
    return statement


@endpoint(
    "GET",
    "/contracts/<int:contract_id>",
    summary="One contract with every version of its terms",
    response=ContractSchema,
    tag=TAG,
    name="contract",
    load=contract_or_404,
)
def contract(record: Contract):
    return record

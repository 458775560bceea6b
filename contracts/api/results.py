"""API endpoints of SLA results: a contract's accepted periods (both parties), the
vendor's own scorecard and the client's ranking of its vendors.

The same queries as the pages, so the figures are the pages' figures. Periods
are months written ``YYYY-MM``; amounts carry their currency, and credits
summed across contracts are listed per currency, never added across them.
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields

from contracts.models import ContractStatus, SlaOutcome
from contracts.queries import results as queries
from contracts.queries.common import contract_or_404
from portal.api.endpoints import endpoint
from portal.api.schemas import DecimalString, MoneyField, MoneySchema
from portal.money import round_money
from vendors.models import Better

TAG = "SLA results"

TRENDS = ["up", "down", "flat"]


def _month(attribute: str):
    """A period as ``YYYY-MM`` (None stays null)."""

    def serialize(record):
        value = getattr(record, attribute)
        return f"{value:%Y-%m}" if value is not None else None

    return serialize


class AmountsByCurrency(fields.List):
    """Amounts per currency (``{"EUR": Decimal}``) as a list of money objects."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(fields.Nested(MoneySchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        amounts = [
            {"amount": round_money(amount, currency), "currency": currency}
            for currency, amount in value.items()
        ]
        return super()._serialize(amounts, attr, obj, **kwargs)


def _attainment(**kwargs):
    return DecimalString(
        places=1,
        allow_none=True,
        metadata={
            "description": "Percent of metrics met; null without an accepted period.",
            "example": "95.0",
        },
        **kwargs,
    )


def _trend():
    return fields.String(
        metadata={
            "enum": TRENDS,
            "description": "The latest period's attainment against the 12 periods before it "
            "(within one point: flat).",
        }
    )


# --- A contract's results -------------------------------------------------------------


class MetricColumnSchema(Schema):
    code = fields.String(metadata={"description": "Names the metric in results and reports."})
    name = fields.String()
    unit = fields.String()
    better = fields.Enum(Better, by_value=True)
    target = DecimalString(places=4, metadata={"description": "In the latest terms."})
    current = fields.Boolean(metadata={"description": "False once an amendment dropped it."})


class MetricResultSchema(Schema):
    code = fields.String()
    target = DecimalString(places=4, metadata={"description": "In the terms of that period."})
    actual = DecimalString(
        places=4, allow_none=True, metadata={"description": "Null: not reported."}
    )
    outcome = fields.Enum(
        SlaOutcome,
        by_value=True,
        metadata={"description": "missing (not reported) counts as breached."},
    )
    credit_percent = DecimalString(
        places=2, metadata={"description": "Percent of the period's fees."}
    )
    credit_amount = MoneyField(metadata={"description": "Before the period's cap."})


class PeriodResultsSchema(Schema):
    period = fields.Function(_month("period"), metadata={"example": "2026-10"})
    report_id = fields.Integer()
    report_version = fields.Integer()
    fees = MoneyField()
    credit_uncapped = MoneyField(metadata={"description": "Sum of the metrics' credits."})
    credit_amount = MoneyField(metadata={"description": "The credit due: after the cap."})
    capped = fields.Boolean(metadata={"description": "The cap reduced the credit."})
    metrics_met = fields.Integer()
    metrics_total = fields.Integer()
    attainment = _attainment()
    results = fields.List(fields.Nested(MetricResultSchema), attribute="metrics")


class ContractResultsSchema(Schema):
    contract_id = fields.Integer()
    currency = fields.String()
    attainment_latest = _attainment()
    attainment_last_12 = _attainment(
        data_key="attainment_last_12_periods",
    )
    trend = _trend()
    credit_latest = MoneyField(allow_none=True)
    credit_total = MoneyField(metadata={"description": "Credits due over the term so far."})
    metrics = fields.List(fields.Nested(MetricColumnSchema), attribute="columns")
    periods = fields.List(
        fields.Nested(PeriodResultsSchema),
        metadata={"description": "Accepted periods, oldest first."},
    )


@endpoint(
    "GET",
    "/contracts/<int:contract_id>/results",
    summary="SLA results of a contract: every accepted period, per metric, with credits",
    description="Both parties. Each period is evaluated against the terms in force then.",
    response=ContractResultsSchema,
    tag=TAG,
    name="contract_results",
    load=contract_or_404,
)
def contract_results(contract):
    return queries.contract_results(contract)


# --- Scorecards -----------------------------------------------------------------------


class ScorecardPeriodSchema(Schema):
    period = fields.Function(_month("period"), metadata={"example": "2026-10"})
    reports = fields.Integer(metadata={"description": "Accepted reports of the month."})
    metrics_met = fields.Integer()
    metrics_total = fields.Integer()
    attainment = _attainment()
    credits = AmountsByCurrency(metadata={"description": "Credits due, per currency."})


class ContractScoreSchema(Schema):
    contract_id = fields.Integer()
    title = fields.String()
    client = fields.String(attribute="counterparty")
    status = fields.Enum(ContractStatus, by_value=True)
    currency = fields.String()
    periods = fields.Integer(metadata={"description": "Accepted periods."})
    latest_period = fields.Function(_month("latest_period"), metadata={"example": "2026-10"})
    attainment = _attainment()
    attainment_last_12 = _attainment(data_key="attainment_last_12_months")
    credit_total = MoneyField()
    credit_last_12 = MoneyField(data_key="credit_last_12_months")


class ScorecardSchema(Schema):
    since = fields.Function(
        _month("since"), metadata={"description": "First month of the last 12 months."}
    )
    attainment_last_12 = _attainment(data_key="attainment_last_12_months")
    trend = _trend()
    credits_last_12 = AmountsByCurrency(data_key="credits_last_12_months")
    active_contracts = fields.Integer()
    contracts = fields.List(fields.Nested(ContractScoreSchema))
    periods = fields.List(
        fields.Nested(ScorecardPeriodSchema),
        metadata={"description": "Months with accepted reports, newest first."},
    )


@endpoint(
    "GET",
    "/scorecard",
    summary="Your scorecard as a vendor: attainment and credits across every client",
    response=ScorecardSchema,
    side="vendor",
    tag=TAG,
    name="vendor_own_scorecard",
)
def vendor_own_scorecard():
    return queries.vendor_own_scorecard(g.organization.id)


class VendorRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class VendorRankSchema(Schema):
    rank = fields.Integer()
    vendor = fields.Nested(VendorRefSchema)
    contracts = fields.Integer()
    active_contracts = fields.Integer()
    attainment_last_12 = _attainment(data_key="attainment_last_12_months")
    trend = _trend()
    credits_last_12 = AmountsByCurrency(data_key="credits_last_12_months")


@endpoint(
    "GET",
    "/vendor-performance",
    summary="Your vendors ranked by the service levels met over the last 12 months",
    description="Best first; vendors without an accepted report in those months come last.",
    response=VendorRankSchema(many=True),
    side="client",
    tag=TAG,
    name="vendor_performance",
)
def vendor_performance():
    return queries.vendor_ranking(g.organization.id)

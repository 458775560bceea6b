"""API endpoints of delivery reports: the vendor pushes a period or a batch, both
parties read them, the client accepts or disputes.

A pushed body goes through ``contracts.reporting`` like the form and CSV
files: all or nothing, and a 422 problem naming each refused value by its
JSON pointer (``/reports/1/measurements/accuracy``). Lines and metrics are
named by their codes (``GET /contracts/{id}`` lists them).
"""

from __future__ import annotations

from flask import abort, g
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts import REPORT_REVIEWERS, REPORTERS
from contracts.models import Contract, DeliveryReport, ReportStatus
from contracts.operations import reports as operations
from contracts.queries import reports as queries
from contracts.queries.common import contract_or_404, is_client_of, is_vendor_of
from contracts.reporting import (
    MEASUREMENT,
    VOLUME,
    PeriodEntry,
    ReportLine,
    ReportProblem,
    ReportRejected,
    parse_period,
    validate_lines,
)
from portal.api.endpoints import endpoint
from portal.api.problems import problem_response, validation_problem
from portal.api.schemas import MoneyField
from portal.db import utcnow

TAG = "Delivery reports"
#: One request reports at most three years of months.
MAX_BATCH = 36
MAX_CODES = 200


# --- Schemas --------------------------------------------------------------------------


def _by_code(items, value) -> dict:
    return {item_code(item): value(item) for item in items}


def item_code(item) -> str:
    return item.line.code if hasattr(item, "line") else item.metric.code


def _text(value) -> str | None:
    return None if value is None else str(value)


class ReportSchema(Schema):
    """A delivery report: one version of one month's values."""

    id = fields.Integer()
    contract_id = fields.Integer()
    period = fields.Function(
        lambda report: f"{report.period:%Y-%m}", metadata={"example": "2026-10"}
    )
    version = fields.Integer(metadata={"description": "1, then one more per correction."})
    status = fields.Enum(ReportStatus, by_value=True)
    source = fields.String(metadata={"description": "form, csv or api."})
    terms_version = fields.Integer(
        attribute="contract_version.number",
        metadata={"description": "The version of the terms in force in the period."},
    )
    supersedes_id = fields.Integer(
        allow_none=True, metadata={"description": "The disputed version this one corrects."}
    )
    comment = fields.String()
    volumes = fields.Function(
        lambda report: _by_code(report.volumes, lambda item: _text(item.quantity)),
        metadata={"description": "Volume per unit-rate line code (decimal strings)."},
    )
    measurements = fields.Function(
        lambda report: _by_code(report.measurements, lambda item: _text(item.value)),
        metadata={"description": "Value per metric code; null: not reported (breached)."},
    )
    notes = fields.Function(
        lambda report: {
            code: note
            for code, note in {
                **_by_code(report.volumes, lambda item: item.note),
                **_by_code(report.measurements, lambda item: item.note),
            }.items()
            if note
        }
    )
    submitted_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    dispute_reason = fields.String(allow_none=True)
    dispute_items = fields.Function(
        lambda report: {
            code: reason
            for code, reason in {
                **_by_code(report.volumes, lambda item: item.dispute_reason),
                **_by_code(report.measurements, lambda item: item.dispute_reason),
            }.items()
            if reason
        },
        metadata={"description": "The client's reason per disputed value, by code."},
    )
    fees_amount = MoneyField(
        currency="contract.currency",
        allow_none=True,
        metadata={"description": "Once accepted: the period's fees."},
    )
    credit_amount = MoneyField(
        currency="contract.currency",
        allow_none=True,
        metadata={"description": "Once accepted: the service credit due, after the cap."},
    )
    metrics_met = fields.Integer(allow_none=True)
    metrics_total = fields.Integer(allow_none=True)


class ReportsSchema(Schema):
    reports = fields.List(fields.Nested(ReportSchema))


class ReportItemSchema(Schema):
    """One month's report: values by code. Numbers as JSON numbers or decimal strings."""

    period = fields.String(required=True, metadata={"example": "2026-10"})
    volumes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=validate.Length(max=MAX_CODES),
        metadata={
            "description": "Volume per unit-rate line code; every unit-rate line needs one.",
            "example": {"invoices": 12450},
        },
    )
    measurements = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=validate.Length(max=MAX_CODES),
        metadata={
            "description": "Value per metric code; null or left out: not reported (breached).",
            "example": {"accuracy": 99.2, "cycle-time": None},
        },
    )
    notes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.String(),
        load_default=dict,
        validate=validate.Length(max=MAX_CODES),
        metadata={"description": "A note per line or metric code."},
    )
    comment = fields.String(load_default="")


class ReportBodySchema(ReportItemSchema):
    """One period (``period``, ``volumes``…) or a batch (``reports``): all or nothing."""

    period = fields.String(metadata={"example": "2026-10"})
    reports = fields.List(
        fields.Nested(ReportItemSchema),
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": "A batch of periods, instead of one period's fields."},
    )
    submit = fields.Boolean(
        load_default=False,
        metadata={"description": "Submit for the client's review at once (else drafts)."},
    )

    @validates_schema
    def _one_or_batch(self, data, **kwargs):
        if "reports" in data:
            single = [name for name in ("volumes", "measurements", "notes") if data.get(name)]
            if data.get("period") is not None or single or data.get("comment"):
                raise ValidationError(
                    _("Send one period's fields or a batch in reports, not both."), "reports"
                )
        elif not data.get("period"):
            raise ValidationError(_("Missing data for required field."), "period")


class ReportListQuerySchema(Schema):
    period = fields.String(metadata={"description": "Only this month (YYYY-MM)."})


class DisputeBodySchema(Schema):
    reason = fields.String(
        load_default="", metadata={"description": "What is wrong overall (or give items)."}
    )
    items = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={
            "description": "Why each disputed value is wrong, by line or metric code.",
            "example": {"accuracy": "Our sample shows 97.1 %."},
        },
    )


# --- Loading through the wall ---------------------------------------------------------


def _vendor_contract(contract_id: int) -> Contract:
    contract = contract_or_404(contract_id)
    if not is_vendor_of(contract):
        abort(404)
    return contract


def _report(contract_id: int, report_id: int) -> DeliveryReport:
    return queries.report_or_404(contract_or_404(contract_id), report_id)


def _vendor_report(contract_id: int, report_id: int) -> DeliveryReport:
    return queries.report_or_404(_vendor_contract(contract_id), report_id)


def _client_report(contract_id: int, report_id: int) -> DeliveryReport:
    contract = contract_or_404(contract_id)
    if not is_client_of(contract):
        abort(404)
    return queries.report_or_404(contract, report_id)


# --- From JSON to the neutral lines, and problems back to pointers ----------------------


def _escape(code: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return code.replace("~", "~0").replace("/", "~1")


def _lines(body: dict) -> tuple[list[ReportLine], list[PeriodEntry]]:
    batch = "reports" in body
    items = body["reports"] if batch else [body]
    lines: list[ReportLine] = []
    periods: list[PeriodEntry] = []
    for index, item in enumerate(items):
        base = f"/reports/{index}" if batch else ""
        period = item["period"]
        periods.append(PeriodEntry(period, item["comment"], base))
        notes = dict(item["notes"])
        for kind, group in ((VOLUME, "volumes"), (MEASUREMENT, "measurements")):
            for code, value in item[group].items():
                where = f"{base}/{group}/{_escape(code)}"
                lines.append(ReportLine(period, code, value, notes.pop(code, ""), where, kind))
        # A note on a metric left out reports it as not measured, with the note.
        for code, note in notes.items():
            lines.append(ReportLine(period, code, None, note, f"{base}/notes/{_escape(code)}"))
    return lines, periods


def _pointer(problem: ReportProblem, bases: dict[str, str]) -> str:
    where = problem.where if isinstance(problem.where, str) else ""
    base = bases.get(where, where)
    if problem.column == "period":
        return f"{base}/period"
    if problem.column == "comment":
        return f"{base}/comment"
    if problem.column == "note" and problem.code:
        return f"{base}/notes/{_escape(problem.code)}"
    if where == base and problem.code:
        # Nothing was sent for it: a unit-rate line without its volume.
        return f"{base}/volumes/{_escape(problem.code)}"
    return where or "/"


def _rejected(rejected: ReportRejected, lines, periods):
    bases = {entry.where: entry.where for entry in periods}
    for line in lines:
        bases[line.where] = line.where.rsplit("/", 2)[0]
    if all(problem.where is None and problem.column is None for problem in rejected.problems):
        return problem_response(409, str(rejected.problems[0].message))
    errors: dict[str, list[str]] = {}
    for problem in rejected.problems:
        messages = errors.setdefault(_pointer(problem, bases), [])
        if str(problem.message) not in messages:  # a bad period is named once, not per value
            messages.append(str(problem.message))
    return validation_problem(errors, detail=str(rejected.message))


# --- Endpoints ------------------------------------------------------------------------


@endpoint(
    "GET",
    "/contracts/<int:contract_id>/reports",
    summary="The contract's delivery reports, newest period first (every version)",
    description="The vendor reads its drafts too; the client reads what was submitted.",
    query=ReportListQuerySchema,
    response=ReportSchema,
    paginated=True,
    tag=TAG,
    name="contract_reports",
    load=contract_or_404,
)
def contract_reports(contract: Contract, query: dict):
    period = parse_period(query["period"]) if query.get("period") else None
    if query.get("period") and period is None:
        raise ValidationError({"period": [_("Write the month as YYYY-MM, e.g. 2026-10.")]})
    return queries.reports_statement(contract, period)


@endpoint(
    "GET",
    "/contracts/<int:contract_id>/reports/<int:report_id>",
    summary="One delivery report with its values",
    response=ReportSchema,
    tag=TAG,
    name="contract_report",
    load=_report,
)
def contract_report(report: DeliveryReport):
    return report


@endpoint(
    "POST",
    "/contracts/<int:contract_id>/reports",
    summary="Report one period, or a batch of periods (vendor)",
    description=(
        "Creates each period's draft, or replaces its values; with `submit`, submits them "
        "for the client's review. All or nothing: a 422 problem names each refused value "
        "by its JSON pointer in `errors`. A period already submitted or accepted is refused."
    ),
    roles=REPORTERS,
    side="vendor",
    body=ReportBodySchema,
    response=ReportsSchema,
    status=201,
    tag=TAG,
    name="push_reports",
    load=_vendor_contract,
)
def push_reports(contract: Contract, body: dict):
    lines, periods = _lines(body)
    try:
        validated = validate_lines(contract, lines, periods=periods, today=utcnow().date())
    except ReportRejected as rejected:
        return _rejected(rejected, lines, periods)
    saved = operations.save_reports(
        g.actor, contract, validated, source="api", submit=body["submit"]
    )
    return {"reports": saved}


@endpoint(
    "POST",
    "/contracts/<int:contract_id>/reports/<int:report_id>/submit",
    summary="Submit a draft report for the client's review (vendor)",
    description="Submitting again changes nothing and answers the submitted report.",
    roles=REPORTERS,
    side="vendor",
    response=ReportSchema,
    tag=TAG,
    name="submit_report",
    load=_vendor_report,
)
def submit_report(report: DeliveryReport):
    try:
        return operations.submit_report(g.actor, report)
    except operations.AlreadyDone:
        return report


@endpoint(
    "POST",
    "/contracts/<int:contract_id>/reports/<int:report_id>/accept",
    summary="Accept a submitted report (client): it is frozen and its SLA results computed",
    description="Accepting again changes nothing and answers the accepted report.",
    roles=REPORT_REVIEWERS,
    side="client",
    response=ReportSchema,
    tag=TAG,
    name="accept_report",
    load=_client_report,
)
def accept_report(report: DeliveryReport):
    try:
        return operations.accept_report(g.actor, report)
    except operations.AlreadyDone:
        return report


@endpoint(
    "POST",
    "/contracts/<int:contract_id>/reports/<int:report_id>/dispute",
    summary="Dispute a submitted report (client), overall or value by value",
    description="Give a `reason`, or a reason per disputed value in `items` (by code).",
    roles=REPORT_REVIEWERS,
    side="client",
    body=DisputeBodySchema,
    response=ReportSchema,
    tag=TAG,
    name="dispute_report",
    load=_client_report,
)
def dispute_report(report: DeliveryReport, body: dict):
    try:
        return operations.dispute_report(g.actor, report, body["reason"], body["items"])
    except operations.AlreadyDone:
        return report

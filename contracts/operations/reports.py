"""Every change of a delivery report: saving and submitting (vendor), accepting and
disputing (client), correcting a disputed report, and chasing missing ones.

Values always arrive validated by ``contracts.reporting`` (one path for the
form, CSV files and the API). A period holds at most one live report (draft,
submitted or accepted; a partial unique index holds it too); a disputed
report is corrected as a new version that supersedes it once submitted, so
every version stays readable. An accepted report is frozen: nothing here
changes it again. Status moves are conditional UPDATEs, so a request sent
twice (a double click, an API retry) is applied once. A report is shared by
both parties: each change the other party should know of is written in both
audit logs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts import REPORT_REVIEWERS, REPORTERS
from contracts.models import (
    REPORT_TRANSITIONS,
    Contract,
    DeliveryReport,
    ReportMeasurement,
    ReportReminder,
    ReportStatus,
    ReportVolume,
)
from contracts.operations.results import record_results
from contracts.reporting import (
    MAX_COMMENT,
    REPORTABLE_CONTRACT_STATUSES,
    SOURCES,
    ReportedValue,
    ValidatedReport,
)
from contracts.rules import closed_periods
from portal import audit, db, tenancy
from portal.audit_log.labels import ACTION_LABELS, TARGET_LABELS
from portal.db import utcnow
from portal.models import User
from portal.notifications.service import link_to, notify_organization
from portal.rules import RuleError

log = logging.getLogger(__name__)

ACTION_LABELS.update(
    {
        "report.draft_created": _l("Delivery report started"),
        "report.draft_saved": _l("Delivery report draft saved"),
        "report.submitted": _l("Delivery report submitted"),
        "report.accepted": _l("Delivery report accepted"),
        "report.disputed": _l("Delivery report disputed"),
        "report.correction_started": _l("Correction of a disputed report started"),
        "report.superseded": _l("Delivery report superseded by its correction"),
    }
)
TARGET_LABELS.update({"DeliveryReport": _l("Delivery report")})

REPORT_FIELDS = ("contract_id", "period", "version", "status", "source", "supersedes_id")
MAX_DISPUTE_REASON = 4000


class ReportRuleError(RuleError):
    """A change of a delivery report that the rules refuse."""


class AlreadyDone(ReportRuleError):
    """The change was already made (a form or API call sent twice): nothing to do."""


# --- Shared checks --------------------------------------------------------------------


def _ensure_vendor(contract: Contract) -> None:
    if contract.vendor_organization_id != tenancy.require_organization_id():
        raise ReportRuleError(_l("Only the vendor reports its delivery."))


def _ensure_client(contract: Contract) -> None:
    if contract.client_organization_id != tenancy.require_organization_id():
        raise ReportRuleError(_l("Only the client reviews delivery reports."))


def _ensure_move(report: DeliveryReport, status: ReportStatus) -> None:
    if report.status is ReportStatus.ACCEPTED:
        raise ReportRuleError(_l("This report is accepted: it is frozen."))
    if status not in REPORT_TRANSITIONS[ReportStatus(report.status)]:
        raise ReportRuleError(_l("This report can no longer change this way."))


def _claim(report: DeliveryReport, expected: ReportStatus, **values) -> bool:
    """Change the report only if it still has the ``expected`` status; False when not.

    Of two identical requests racing, exactly one changes the row.
    """
    result = db.session.execute(
        update(DeliveryReport)
        .where(DeliveryReport.id == report.id, DeliveryReport.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(report)
    return result.rowcount == 1


def _snapshot(report: DeliveryReport) -> dict[str, Any]:
    snapshot = audit.snapshot(report, REPORT_FIELDS)
    snapshot["comment"] = report.comment
    snapshot["volumes"] = {
        volume.line.code: [str(volume.quantity), volume.note] for volume in report.volumes
    }
    snapshot["measurements"] = {
        measurement.metric.code: [
            None if measurement.value is None else str(measurement.value),
            measurement.note,
        ]
        for measurement in report.measurements
    }
    return snapshot


def _summary(report: DeliveryReport) -> str:
    return f"{report.contract.title} · {report.period:%Y-%m} v{report.version}"


def _record_for_both(action: str, report: DeliveryReport, actor: User | None, **fields) -> None:
    """The event in both parties' logs."""
    audit.record_for_parties(
        action,
        report,
        (report.client_organization_id, report.vendor_organization_id),
        actor=actor,
        summary=_summary(report),
        **fields,
    )


def _next_version(contract: Contract, period: date) -> int:
    statement = select(func.max(DeliveryReport.version)).where(
        DeliveryReport.contract_id == contract.id, DeliveryReport.period == period
    )
    return (db.session.scalar(statement) or 0) + 1


def _fill(report: DeliveryReport, validated: ValidatedReport) -> None:
    """Replace the report's values with the validated ones (old rows go first: the
    unique (report, line) constraint would otherwise see both)."""
    if report.volumes or report.measurements:
        report.volumes.clear()
        report.measurements.clear()
        db.session.flush()
    report.contract_version_id = validated.version.id
    report.contract_version = validated.version
    report.volumes = [
        ReportVolume(line_id=line.id, line=line, quantity=item.value, note=item.note)
        for line, item in validated.volumes.items()
    ]
    report.measurements = [
        ReportMeasurement(metric_id=metric.id, metric=metric, value=item.value, note=item.note)
        for metric, item in validated.measurements.items()
    ]
    if validated.comment is not None:
        report.comment = validated.comment


# --- Saving and submitting (vendor) ---------------------------------------------------


def save_reports(
    actor: User | None,
    contract: Contract,
    validated: list[ValidatedReport],
    *,
    source: str,
    submit: bool = False,
) -> list[DeliveryReport]:
    """Write each validated period as its draft (created or replaced), and submit them if asked.

    All or nothing: when one period cannot be written (a twin request
    submitted it meanwhile), none is.
    """
    _ensure_vendor(contract)
    if source not in SOURCES:
        raise ValueError(f"unknown report source {source!r}")
    if contract.status not in REPORTABLE_CONTRACT_STATUSES:
        raise ReportRuleError(_l("Reports are made for an accepted contract; this one is not."))
    saved: list[DeliveryReport] = []
    try:
        with db.session.begin_nested():
            for item in validated:
                saved.append(_save_one(actor, contract, item, source))
            if submit:
                for report in saved:
                    submit_report(actor, report)
    except IntegrityError:
        raise ReportRuleError(
            _l("Another report of the same period was saved meanwhile: reload and try again.")
        ) from None
    log.info(
        "user %s saved %d report(s) of contract %s from %s",
        getattr(actor, "id", None),
        len(saved),
        contract.id,
        source,
    )
    return saved


def _save_one(
    actor: User | None, contract: Contract, item: ValidatedReport, source: str
) -> DeliveryReport:
    report = item.draft
    if report is not None:
        if report.status is not ReportStatus.DRAFT:
            raise ReportRuleError(
                _l("The report of %(period)s is no longer a draft.", period=f"{item.period:%Y-%m}")
            )
        before = _snapshot(report)
        _fill(report, item)
        report.source = source
        db.session.flush()
        after = _snapshot(report)
        if before != after:
            audit.record(
                "report.draft_saved",
                report,
                actor=actor,
                before=before,
                after=after,
                summary=_summary(report),
            )
        return report
    report = DeliveryReport(
        contract_id=contract.id,
        contract=contract,
        client_organization_id=contract.client_organization_id,
        vendor_organization_id=contract.vendor_organization_id,
        period=item.period,
        version=_next_version(contract, item.period),
        supersedes_id=item.disputed.id if item.disputed is not None else None,
        status=ReportStatus.DRAFT,
        source=source,
        comment="",
    )
    _fill(report, item)
    db.session.add(report)
    db.session.flush()
    action = "report.correction_started" if item.disputed is not None else "report.draft_created"
    audit.record(action, report, actor=actor, after=_snapshot(report), summary=_summary(report))
    return report


def submit_report(actor: User | None, report: DeliveryReport) -> DeliveryReport:
    """Send a draft to the client for review; a correction supersedes the disputed version.

    Sent twice, it is applied once: the second time raises ``AlreadyDone``.
    """
    contract = report.contract
    _ensure_vendor(contract)
    if report.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        raise AlreadyDone(_l("This report is already submitted."))
    _ensure_move(report, ReportStatus.SUBMITTED)
    in_force = contract.version_for(report.period)
    if report.contract_version_id != in_force.id:
        # An amendment from this month on came after the draft was written: the
        # values must be read against the new terms before the client sees them.
        raise ReportRuleError(
            _l(
                "The terms of %(period)s changed (amendment, version %(version)s): check the "
                "report and save it again before submitting it.",
                period=f"{report.period:%Y-%m}",
                version=in_force.number,
            )
        )
    missing = {line.id for line in report.contract_version.unit_lines} - {
        volume.line_id for volume in report.volumes
    }
    if missing:
        raise ReportRuleError(_l("Enter the volume of every unit-rate line before submitting."))
    before = _snapshot(report)
    superseded = report.supersedes
    with db.session.begin_nested():
        if not _claim(
            report,
            ReportStatus.DRAFT,
            status=ReportStatus.SUBMITTED,
            submitted_at=utcnow(),
            submitted_by_id=getattr(actor, "id", None),
        ):
            raise AlreadyDone(_l("This report is already submitted."))
        if superseded is not None and superseded.status is ReportStatus.DISPUTED:
            _claim(superseded, ReportStatus.DISPUTED, status=ReportStatus.SUPERSEDED)
    if superseded is not None and superseded.status is ReportStatus.SUPERSEDED:
        _record_for_both(
            "report.superseded",
            superseded,
            actor,
            before={"status": ReportStatus.DISPUTED.value},
            after={"status": ReportStatus.SUPERSEDED.value, "superseded_by": report.id},
        )
    _record_for_both(
        "report.submitted",
        report,
        actor,
        before=before,
        after=_snapshot(report),
    )
    notify_organization(
        contract.client_organization_id,
        REPORT_REVIEWERS,
        "contract.report_submitted",
        _l(
            "Delivery report to review: %(contract)s, %(period)s",
            contract=contract.title,
            period=f"{report.period:%Y-%m}",
        ),
        _l(
            "%(vendor)s submitted its report of %(period)s (version %(version)s). Accept it or "
            "dispute it.",
            vendor=contract.vendor.name,
            period=f"{report.period:%Y-%m}",
            version=report.version,
        ),
        link_to("contracts.report", contract_id=contract.id, report_id=report.id),
    )
    log.info("user %s submitted report %s", getattr(actor, "id", None), report.id)
    return report


# --- Reviewing (client) ---------------------------------------------------------------


def accept_report(actor: User | None, report: DeliveryReport) -> DeliveryReport:
    """Accept a submitted report: it is frozen and its SLA results are computed.

    Sent twice, it is applied once (``AlreadyDone``): one set of results, one notice.
    """
    contract = report.contract
    _ensure_client(contract)
    if report.status is ReportStatus.ACCEPTED:
        raise AlreadyDone(_l("This report is already accepted."))
    if report.status is not ReportStatus.SUBMITTED:
        raise ReportRuleError(_l("Only a submitted report can be accepted."))
    before = audit.snapshot(report, REPORT_FIELDS)
    if not _claim(
        report,
        ReportStatus.SUBMITTED,
        status=ReportStatus.ACCEPTED,
        reviewed_at=utcnow(),
        reviewed_by_id=getattr(actor, "id", None),
    ):
        if report.status is ReportStatus.ACCEPTED:
            raise AlreadyDone(_l("This report is already accepted."))
        raise ReportRuleError(_l("Only a submitted report can be accepted."))
    record_results(report)
    db.session.flush()
    after = audit.snapshot(report, REPORT_FIELDS)
    after.update(
        fees_amount=report.fees_amount,
        credit_amount=report.credit_amount,
        metrics_met=report.metrics_met,
        metrics_total=report.metrics_total,
    )
    _record_for_both(
        "report.accepted",
        report,
        actor,
        before=before,
        after=after,
    )
    notify_organization(
        contract.vendor_organization_id,
        REPORTERS,
        "contract.report_accepted",
        _l(
            "Report accepted: %(contract)s, %(period)s",
            contract=contract.title,
            period=f"{report.period:%Y-%m}",
        ),
        _l(
            "%(client)s accepted your report of %(period)s.",
            client=contract.client.name,
            period=f"{report.period:%Y-%m}",
        ),
        link_to("contracts.report", contract_id=contract.id, report_id=report.id),
    )
    log.info("user %s accepted report %s", getattr(actor, "id", None), report.id)
    return report


def dispute_report(
    actor: User | None,
    report: DeliveryReport,
    reason: str | None,
    item_reasons: Mapping[str, str | None] | None = None,
) -> DeliveryReport:
    """Dispute a submitted report, with a reason overall or for each disputed value.

    ``item_reasons`` maps a line or metric code to why its value is disputed.
    """
    contract = report.contract
    _ensure_client(contract)
    if report.status is ReportStatus.DISPUTED:
        raise AlreadyDone(_l("This report is already disputed."))
    if report.status is not ReportStatus.SUBMITTED:
        _ensure_move(report, ReportStatus.DISPUTED)
    reason = (reason or "").strip()
    if len(reason) > MAX_DISPUTE_REASON:
        raise ReportRuleError(
            _l("Keep the reason under %(count)s characters.", count=MAX_DISPUTE_REASON), "reason"
        )
    items = {
        **{volume.line.code: volume for volume in report.volumes},
        **{measurement.metric.code: measurement for measurement in report.measurements},
    }
    reasons: dict[str, str] = {}
    for code, text in (item_reasons or {}).items():
        text = (text or "").strip()
        if not text:
            continue
        if code not in items:
            raise ReportRuleError(
                _l("“%(code)s” is not a value of this report.", code=code), "items"
            )
        if len(text) > MAX_DISPUTE_REASON:
            raise ReportRuleError(
                _l("Keep each reason under %(count)s characters.", count=MAX_DISPUTE_REASON),
                "items",
            )
        reasons[code] = text
    if not reason and not reasons:
        raise ReportRuleError(
            _l("Say why you dispute the report: overall, or for the values concerned."), "reason"
        )
    before = audit.snapshot(report, REPORT_FIELDS)
    if not _claim(
        report,
        ReportStatus.SUBMITTED,
        status=ReportStatus.DISPUTED,
        reviewed_at=utcnow(),
        reviewed_by_id=getattr(actor, "id", None),
        dispute_reason=reason or None,
    ):
        raise AlreadyDone(_l("This report was reviewed meanwhile."))
    for code, text in reasons.items():
        items[code].dispute_reason = text
    db.session.flush()
    after = audit.snapshot(report, REPORT_FIELDS)
    after.update(dispute_reason=reason, items=reasons)
    _record_for_both(
        "report.disputed",
        report,
        actor,
        before=before,
        after=after,
    )
    notify_organization(
        contract.vendor_organization_id,
        REPORTERS,
        "contract.report_disputed",
        _l(
            "Report disputed: %(contract)s, %(period)s",
            contract=contract.title,
            period=f"{report.period:%Y-%m}",
        ),
        _l(
            "%(client)s disputed your report of %(period)s: %(reason)s Correct it and resubmit.",
            client=contract.client.name,
            period=f"{report.period:%Y-%m}",
            reason=reason or "; ".join(f"{code}: {text}" for code, text in reasons.items()),
        ),
        link_to("contracts.report", contract_id=contract.id, report_id=report.id),
    )
    log.info("user %s disputed report %s", getattr(actor, "id", None), report.id)
    return report


# --- Correcting (vendor) --------------------------------------------------------------


def correct_report(actor: User | None, report: DeliveryReport) -> DeliveryReport:
    """Open the next version of a disputed report, copying its values and notes.

    The disputed version stands until the correction is submitted; then it is
    superseded. Asked twice, the draft already open is returned by ``AlreadyDone``.
    """
    contract = report.contract
    _ensure_vendor(contract)
    if report.status is not ReportStatus.DISPUTED:
        raise ReportRuleError(_l("Only a disputed report is corrected."))
    open_draft = db.session.scalars(
        select(DeliveryReport).where(
            DeliveryReport.contract_id == contract.id,
            DeliveryReport.period == report.period,
            DeliveryReport.status == ReportStatus.DRAFT,
        )
    ).one_or_none()
    if open_draft is not None:
        error = AlreadyDone(_l("A correction of this report is already in progress."))
        error.report = open_draft  # type: ignore[attr-defined]
        raise error
    version = contract.version_for(report.period)
    volumes = {volume.line.code: volume for volume in report.volumes}
    values = {measurement.metric.code: measurement for measurement in report.measurements}
    item = ValidatedReport(
        period=report.period,
        version=version,
        volumes={
            line: ReportedValue(volumes[line.code].quantity, volumes[line.code].note)
            for line in version.unit_lines
            if line.code in volumes
        },
        measurements={
            metric: ReportedValue(values[metric.code].value, values[metric.code].note)
            if metric.code in values
            else ReportedValue(None)
            for metric in version.metrics
        },
        comment=report.comment[:MAX_COMMENT],
        disputed=report,
    )
    try:
        with db.session.begin_nested():
            draft = _save_one(actor, contract, item, report.source)
    except IntegrityError:
        raise AlreadyDone(_l("A correction of this report is already in progress.")) from None
    log.info(
        "user %s opened report %s to correct %s", getattr(actor, "id", None), draft.id, report.id
    )
    return draft


# --- Chasing missing reports (job) ----------------------------------------------------


def chase_missing_reports(today: date) -> int:
    """Tell each vendor once of every closed period that has no submitted or accepted report.

    Runs outside any request across every organization (``flask contracts
    run-due``); a period once told has its ``ReportReminder`` and is never
    told again, so a second run changes nothing. Returns how many periods
    were chased.
    """
    contracts = list(
        db.session.scalars(
            tenancy.across_tenants(
                select(Contract)
                .where(Contract.status.in_(REPORTABLE_CONTRACT_STATUSES))
                .order_by(Contract.id)
            )
        )
    )
    if not contracts:
        return 0
    ids = [contract.id for contract in contracts]
    reported = set(
        db.session.execute(
            tenancy.across_tenants(
                select(DeliveryReport.contract_id, DeliveryReport.period).where(
                    DeliveryReport.contract_id.in_(ids),
                    DeliveryReport.status.in_([ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]),
                )
            )
        ).all()
    )
    reminded = set(
        db.session.execute(
            select(ReportReminder.contract_id, ReportReminder.period).where(
                ReportReminder.contract_id.in_(ids)
            )
        ).all()
    )
    chased = 0
    for contract in contracts:
        due = [
            period
            for period in closed_periods(contract.start_date, contract.last_service_day, today)
            if (contract.id, period) not in reported and (contract.id, period) not in reminded
        ]
        told = []
        for period in due:
            try:
                with db.session.begin_nested():
                    db.session.add(ReportReminder(contract_id=contract.id, period=period))
                    db.session.flush()
            except IntegrityError:
                continue  # another run told it meanwhile
            told.append(period)
        if not told:
            continue
        chased += len(told)
        months = ", ".join(f"{period:%Y-%m}" for period in told)
        notify_organization(
            contract.vendor_organization_id,
            REPORTERS,
            "contract.report_missing",
            _l("Delivery report missing: %(contract)s", contract=contract.title),
            _l(
                "No report was submitted for %(periods)s. Report these periods: the client sees "
                "them as late.",
                periods=months,
            ),
            link_to("contracts.reports", contract_id=contract.id),
        )
        log.info("chased contract %s for %s", contract.id, months)
    return chased

"""Delivery report operations: save, submit, accept, dispute, correct and resubmit,
versions kept, accepted reports frozen, double requests applied once, chasing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.models import (
    DeliveryReport,
    ReportReminder,
    ReportStatus,
    SlaOutcome,
)
from contracts.operations import reports as operations
from contracts.reporting import PeriodEntry, ReportLine, ReportRejected, validate_lines
from portal import db
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context

TODAY = date(2026, 11, 15)


@pytest.fixture(autouse=True)
def _request(app):
    """Operations run inside a request (links, audit, lazy messages read by assertions)."""
    with app.test_request_context():
        yield


@pytest.fixture
def acting():
    @contextmanager
    def _acting(org):
        with organization_context(org.id):
            yield
            db.session.flush()

    return _acting


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def reporter(make, vendor_org):
    return make.member(vendor_org, "delivery", email="delivery@atlas.test")


@pytest.fixture
def reviewer(make, client_org):
    return make.member(client_org, "finance", email="finance@northwind.test")


def _lines(period="2026-10", accuracy="99.5", cycle="2", invoices="12000"):
    return [
        ReportLine(period, "invoices", invoices, "", "volumes-0"),
        ReportLine(period, "accuracy", accuracy, "", "values-0"),
        ReportLine(period, "cycle-time", cycle, "", "values-1"),
    ]


def _save(contract, lines, actor, *, submit=False, comment="", source="form"):
    period = lines[0].period if lines else "2026-10"
    validated = validate_lines(
        contract, lines, periods=[PeriodEntry(period, comment, "period")], today=TODAY
    )
    return operations.save_reports(actor, contract, validated, source=source, submit=submit)


def _events(org_id, action):
    statement = across_tenants(
        select(AuditEvent).where(AuditEvent.organization_id == org_id, AuditEvent.action == action)
    )
    return list(db.session.scalars(statement))


def _notifications(org_id, kind):
    statement = across_tenants(
        select(Notification).where(
            Notification.organization_id == org_id, Notification.kind == kind
        )
    )
    return list(db.session.scalars(statement))


def _submitted(acting, contract, vendor_org, reporter, **values):
    with acting(vendor_org):
        [report] = _save(contract, _lines(**values), reporter, submit=True)
    return report


# --- Saving and submitting ------------------------------------------------------------


def test_saving_creates_then_updates_the_periods_draft(acting, contract, vendor_org, reporter):
    with acting(vendor_org):
        [draft] = _save(contract, _lines(), reporter, comment="first")
        [again] = _save(contract, _lines(accuracy="98"), reporter)
    assert again.id == draft.id
    assert draft.status is ReportStatus.DRAFT
    assert draft.comment == ""  # the second save gave an empty comment
    assert [m.value for m in draft.measurements] == [Decimal("98"), Decimal("2")]
    assert draft.contract_version_id == contract.versions[0].id
    assert len(_events(vendor_org.id, "report.draft_created")) == 1
    assert len(_events(vendor_org.id, "report.draft_saved")) == 1


def test_submitting_tells_the_clients_reviewers_and_both_logs(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter)
    assert report.status is ReportStatus.SUBMITTED
    assert report.submitted_by_id == reporter.id
    assert [n.user_id for n in _notifications(client_org.id, "contract.report_submitted")] == [
        reviewer.id
    ]
    assert len(_events(vendor_org.id, "report.submitted")) == 1
    assert len(_events(client_org.id, "report.submitted")) == 1


def test_a_double_submit_is_applied_once(acting, contract, client_org, vendor_org, reporter):
    report = _submitted(acting, contract, vendor_org, reporter)
    with acting(vendor_org), pytest.raises(operations.AlreadyDone):
        operations.submit_report(reporter, report)
    assert len(_events(client_org.id, "report.submitted")) == 1
    # The same period sent again is refused by the validation: it awaits review.
    with acting(vendor_org), pytest.raises(ReportRejected, match="awaits"):
        _save(contract, _lines(), reporter, submit=True)


def test_only_the_vendor_reports(acting, contract, client_org, vendor_org, reporter, client_admin):
    with acting(vendor_org):
        validated = validate_lines(contract, _lines(), today=TODAY)
    with acting(client_org), pytest.raises(operations.ReportRuleError):
        operations.save_reports(client_admin, contract, validated, source="form")


# --- Review ---------------------------------------------------------------------------


def test_accepting_freezes_the_report_and_records_results(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter, accuracy="98.5")
    with acting(client_org):
        operations.accept_report(reviewer, report)
    assert report.status is ReportStatus.ACCEPTED
    assert report.reviewed_by_id == reviewer.id
    outcomes = {result.code: result.outcome for result in report.results}
    assert outcomes == {"accuracy": SlaOutcome.BREACHED, "cycle-time": SlaOutcome.MET}
    # 40,000 + 12,000 × 2.50 = 70,000; accuracy breached: 5 % = 3,500.
    assert report.fees_amount == Decimal("70000.00")
    assert report.credit_amount == Decimal("3500.00")
    assert len(_events(vendor_org.id, "report.accepted")) == 1
    assert _notifications(vendor_org.id, "contract.report_accepted")


def test_a_double_accept_is_applied_once(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter)
    with acting(client_org):
        operations.accept_report(reviewer, report)
        with pytest.raises(operations.AlreadyDone):
            operations.accept_report(reviewer, report)
    assert len(report.results) == 2
    assert len(_events(client_org.id, "report.accepted")) == 1
    assert len(_notifications(vendor_org.id, "contract.report_accepted")) == 1


def test_a_stale_accept_after_another_is_refused_by_the_conditional_update(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter)
    # A twin request accepted the report in the database meanwhile.
    db.session.execute(
        across_tenants(
            DeliveryReport.__table__.update()
            .where(DeliveryReport.id == report.id)
            .values(status=ReportStatus.ACCEPTED.value)
        )
    )
    with acting(client_org), pytest.raises(operations.AlreadyDone):
        operations.accept_report(reviewer, report)


def test_an_accepted_report_is_frozen(acting, contract, client_org, vendor_org, reporter, reviewer):
    report = _submitted(acting, contract, vendor_org, reporter)
    with acting(client_org):
        operations.accept_report(reviewer, report)
        with pytest.raises(operations.ReportRuleError, match="frozen"):
            operations.dispute_report(reviewer, report, "late", {})
    with acting(vendor_org):
        with pytest.raises(operations.ReportRuleError):
            operations.correct_report(reporter, report)
        with pytest.raises(operations.AlreadyDone):
            operations.submit_report(reporter, report)
        with pytest.raises(ReportRejected, match="frozen"):
            _save(contract, _lines(), reporter)


def test_a_dispute_needs_a_reason_overall_or_per_item(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter)
    with acting(client_org):
        with pytest.raises(operations.ReportRuleError, match="Say why"):
            operations.dispute_report(reviewer, report, "  ", {"accuracy": " "})
        with pytest.raises(operations.ReportRuleError, match="not a value"):
            operations.dispute_report(reviewer, report, "", {"speed": "what?"})
        operations.dispute_report(reviewer, report, "", {"accuracy": "Our sample says 97 %."})
    assert report.status is ReportStatus.DISPUTED
    reasons = {m.metric.code: m.dispute_reason for m in report.measurements}
    assert reasons == {"accuracy": "Our sample says 97 %.", "cycle-time": None}
    assert _notifications(vendor_org.id, "contract.report_disputed")
    assert len(_events(vendor_org.id, "report.disputed")) == 1


# --- Correction and versions ----------------------------------------------------------


def test_a_disputed_report_is_corrected_as_a_new_version_that_supersedes_it(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter, accuracy="99.5")
    with acting(client_org):
        operations.dispute_report(reviewer, report, "Accuracy is overstated.", {})
    with acting(vendor_org):
        draft = operations.correct_report(reporter, report)
        with pytest.raises(operations.AlreadyDone) as again:
            operations.correct_report(reporter, report)
        assert again.value.report.id == draft.id
    assert (draft.version, draft.supersedes_id, draft.status) == (2, report.id, ReportStatus.DRAFT)
    assert [m.value for m in draft.measurements] == [Decimal("99.5"), Decimal("2")]
    assert report.status is ReportStatus.DISPUTED  # stands until the correction is submitted

    with acting(vendor_org):
        [saved] = _save(contract, _lines(accuracy="97.8"), reporter, submit=True)
    assert saved.id == draft.id
    with acting(client_org):
        db.session.refresh(report)
    assert report.status is ReportStatus.SUPERSEDED
    assert draft.status is ReportStatus.SUBMITTED
    assert len(_events(client_org.id, "report.superseded")) == 1

    with acting(client_org):
        operations.accept_report(reviewer, draft)
    versions = db.session.execute(
        across_tenants(
            select(DeliveryReport.version, DeliveryReport.status)
            .where(DeliveryReport.period == date(2026, 10, 1))
            .order_by(DeliveryReport.version)
        )
    )
    assert [tuple(row) for row in versions] == [
        (1, ReportStatus.SUPERSEDED),
        (2, ReportStatus.ACCEPTED),
    ]


def test_an_upload_for_a_disputed_period_opens_the_next_version(
    acting, contract, client_org, vendor_org, reporter, reviewer
):
    report = _submitted(acting, contract, vendor_org, reporter)
    with acting(client_org):
        operations.dispute_report(reviewer, report, "Wrong volume.", {})
    with acting(vendor_org):
        [corrected] = _save(contract, _lines(invoices="11000"), reporter, source="csv")
    assert (corrected.version, corrected.supersedes_id) == (2, report.id)


# --- Chasing missing reports ----------------------------------------------------------


def test_chasing_tells_the_vendor_once_per_closed_period_without_report(
    make, client_org, vendor_org, reporter, app
):
    contract = make.contract(client_org, vendor_org, start_date=date(2026, 8, 1))
    make.delivery_report(contract, date(2026, 8, 1), status="submitted")
    make.delivery_report(contract, date(2026, 9, 1), status="draft")
    # Not in force: never chased.
    make.contract(client_org, vendor_org, status="sent", start_date=date(2026, 1, 1))
    chased = operations.chase_missing_reports(TODAY)
    # August reported; September (a draft) and October closed without report;
    # November is not over.
    assert chased == 2
    periods = db.session.scalars(
        select(ReportReminder.period).where(ReportReminder.contract_id == contract.id)
    )
    assert sorted(periods) == [date(2026, 9, 1), date(2026, 10, 1)]
    [notice] = _notifications(vendor_org.id, "contract.report_missing")
    assert notice.user_id == reporter.id
    assert "2026-09" in notice.body and "2026-10" in notice.body
    assert operations.chase_missing_reports(TODAY) == 0
    assert len(_notifications(vendor_org.id, "contract.report_missing")) == 1
    # A month later, only the newly closed month is chased.
    assert operations.chase_missing_reports(date(2026, 12, 2)) == 1

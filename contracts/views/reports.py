"""Delivery reports: the periods of a contract, the vendor's monthly report (form or CSV
upload) and the client's review (accept or dispute).

Both parties read a contract's reports (a draft only its vendor); the vendor
reports and corrects, the client reviews. Every way in goes through
``contracts.reporting``, so the form and the CSV file refuse the same things.
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from contracts import REPORT_REVIEWERS, REPORTERS, bp
from contracts.forms.reports import DisputeForm, ReportForm, UploadForm
from contracts.models import Contract, DeliveryReport, ReportStatus
from contracts.operations import reports as operations
from contracts.queries import reports as queries
from contracts.queries.common import contract_or_404, is_client_of, is_vendor_of
from contracts.reporting import (
    MAX_CSV_BYTES,
    ReportRejected,
    parse_period,
    read_csv,
    reportable_periods,
    template_csv,
    validate_lines,
)
from portal.db import utcnow
from portal.security import READ, has_role, requires


def _today():
    return utcnow().date()


def _vendor_contract_or_404(contract_id: int) -> Contract:
    """A contract of which the current organization is the vendor."""
    contract = contract_or_404(contract_id)
    if not is_vendor_of(contract):
        abort(404)
    return contract


def _client_contract_or_404(contract_id: int) -> Contract:
    contract = contract_or_404(contract_id)
    if not is_client_of(contract):
        abort(404)
    return contract


def _to_reports(contract: Contract):
    return redirect(url_for("contracts.reports", contract_id=contract.id))


def _to_report(report: DeliveryReport):
    return redirect(
        url_for("contracts.report", contract_id=report.contract_id, report_id=report.id)
    )


# --- The periods of the term ----------------------------------------------------------


def _reports_page(contract: Contract, upload_form: UploadForm, problems=None, status: int = 200):
    today = _today()
    vendor = is_vendor_of(contract)
    return render_template(
        "contracts/reports/index.html",
        contract=contract,
        rows=queries.period_rows(contract, today),
        awaiting=queries.awaiting_review(contract) if not vendor else [],
        is_vendor=vendor,
        can_report=vendor and has_role(REPORTERS),
        can_review=not vendor and has_role(REPORT_REVIEWERS),
        upload_form=upload_form,
        problems=problems,
        next_period=queries.next_period_to_report(contract, today),
        max_csv_mb=MAX_CSV_BYTES // (1024 * 1024),
    ), status


@bp.get("/contracts/<int:contract_id>/reports")
@requires(*READ)
def reports(contract_id: int):
    contract = contract_or_404(contract_id)
    return _reports_page(contract, UploadForm(formdata=None))


@bp.get("/contracts/<int:contract_id>/reports/template.csv")
@requires(*READ)
def report_template(contract_id: int):
    contract = contract_or_404(contract_id)
    today = _today()
    period = parse_period(request.args.get("period", "")) or queries.next_period_to_report(
        contract, today
    )
    first, _last = reportable_periods(contract, today)
    period = period or first
    body = "\ufeff" + template_csv(contract.version_for(period), period)
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="report-contract-{contract.id}-{period:%Y-%m}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/contracts/<int:contract_id>/reports/upload")
@requires(*REPORTERS, side="vendor")
def upload_reports(contract_id: int):
    contract = _vendor_contract_or_404(contract_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _reports_page(contract, form, status=400)
    content = form.file.data.stream.read(MAX_CSV_BYTES + 1)
    try:
        lines, locale = read_csv(content, locale=str(get_locale() or "en"))
        validated = validate_lines(contract, lines, today=_today(), locale=locale)
        saved = operations.save_reports(
            g.actor, contract, validated, source="csv", submit=bool(form.submit_reports.data)
        )
    except ReportRejected as rejected:
        return _reports_page(contract, form, problems=rejected.problems, status=400)
    except operations.ReportRuleError as error:
        form.file.errors = [*form.file.errors, error.message]
        return _reports_page(contract, form, status=400)
    months = ", ".join(f"{report.period:%Y-%m}" for report in saved)
    if form.submit_reports.data:
        message = ngettext(
            "%(num)s report imported and submitted: %(months)s.",
            "%(num)s reports imported and submitted: %(months)s.",
            len(saved),
            months=months,
        )
    else:
        message = ngettext(
            "%(num)s report imported as a draft: %(months)s. Check it, then submit it.",
            "%(num)s reports imported as drafts: %(months)s. Check them, then submit them.",
            len(saved),
            months=months,
        )
    flash(message, "success")
    _flash_not_reported(validated)
    if len(saved) == 1:
        return _to_report(saved[0])
    return _to_reports(contract)


def _flash_not_reported(validated) -> None:
    for item in validated:
        missing = item.not_reported
        if missing:
            flash(
                ngettext(
                    "%(period)s: %(metrics)s not reported: it counts as breached.",
                    "%(period)s: %(metrics)s not reported: they count as breached.",
                    len(missing),
                    period=f"{item.period:%Y-%m}",
                    metrics=", ".join(metric.name for metric in missing),
                ),
                "warning",
            )


# --- The vendor's form ----------------------------------------------------------------


def _form_page(contract, form, period, draft, status):
    version = contract.version_for(period)
    return render_template(
        "contracts/reports/form.html",
        contract=contract,
        form=form,
        period=period,
        version=version,
        draft=draft,
        disputed=draft.supersedes if draft is not None else None,
        disputed_rows={row.code: row for row in queries.value_rows(draft.supersedes)}
        if draft is not None and draft.supersedes is not None
        else {},
    ), status


def _save_from_form(contract: Contract, form: ReportForm, period, draft):
    """Validate and save what the form holds; the page again (400) when refused."""
    submit = request.form.get("action") == "submit"
    if form.validate_on_submit():
        lines, periods = form.to_lines(period)
        try:
            validated = validate_lines(contract, lines, periods=periods, today=_today())
            [report] = operations.save_reports(
                g.actor, contract, validated, source="form", submit=submit
            )
        except ReportRejected as rejected:
            form.show_problems(rejected.problems)
        except operations.ReportRuleError as error:
            form.form_errors.append(error.message)
        else:
            if submit:
                flash(_("Report submitted: the client reviews it now."), "success")
            else:
                flash(_("Draft saved. It is not submitted yet."), "success")
            _flash_not_reported(validated)
            return _to_report(report)
    return _form_page(contract, form, period, draft, 400)


@bp.route("/contracts/<int:contract_id>/reports/new", methods=["GET", "POST"])
@requires(*REPORTERS, side="vendor")
def new_report(contract_id: int):
    contract = _vendor_contract_or_404(contract_id)
    today = _today()
    period = parse_period(request.args.get("period", "")) or queries.next_period_to_report(
        contract, today
    )
    first, last = reportable_periods(contract, today)
    if period is None or not first <= period <= last:
        flash(_("This period cannot be reported."), "error")
        return _to_reports(contract)
    versions = queries.period_versions(contract, period)
    live = [report for report in versions if report.status in queries.REPORTED_STATUSES]
    if live:
        flash(_("This period is already reported."), "info")
        return _to_report(live[-1])
    draft = next((r for r in versions if r.status is ReportStatus.DRAFT), None)
    if draft is not None and request.method == "GET":
        return redirect(
            url_for("contracts.edit_report", contract_id=contract.id, report_id=draft.id)
        )
    form = ReportForm(version=contract.version_for(period))
    if request.method == "POST":
        return _save_from_form(contract, form, period, draft)
    return _form_page(contract, form, period, draft, 200)


@bp.route("/contracts/<int:contract_id>/reports/<int:report_id>/edit", methods=["GET", "POST"])
@requires(*REPORTERS, side="vendor")
def edit_report(contract_id: int, report_id: int):
    contract = _vendor_contract_or_404(contract_id)
    report = queries.report_or_404(contract, report_id)
    if report.status is not ReportStatus.DRAFT:
        flash(_("Only a draft can be edited."), "info")
        return _to_report(report)
    version = contract.version_for(report.period)
    data = ReportForm.data_of(queries.form_data(report), version)
    form = ReportForm(version=version, data=data if request.method == "GET" else None)
    if request.method == "POST":
        return _save_from_form(contract, form, report.period, report)
    return _form_page(contract, form, report.period, report, 200)


# --- One report -----------------------------------------------------------------------


def _report_page(contract, report, dispute_form=None, status: int = 200):
    rows = queries.value_rows(report)
    client = is_client_of(contract)
    if dispute_form is None:
        dispute_form = DisputeForm(formdata=None, codes=[row.code for row in rows])
    return render_template(
        "contracts/reports/report.html",
        contract=contract,
        report=report,
        rows=rows,
        versions=queries.period_versions(contract, report.period),
        is_client=client,
        can_review=client
        and has_role(REPORT_REVIEWERS)
        and report.status is ReportStatus.SUBMITTED,
        can_report=not client and has_role(REPORTERS),
        dispute_form=dispute_form,
        dispute_rows=list(zip(rows, dispute_form.items.entries, strict=True)),
    ), status


@bp.get("/contracts/<int:contract_id>/reports/<int:report_id>")
@requires(*READ)
def report(contract_id: int, report_id: int):
    contract = contract_or_404(contract_id)
    return _report_page(contract, queries.report_or_404(contract, report_id))


@bp.post("/contracts/<int:contract_id>/reports/<int:report_id>/submit")
@requires(*REPORTERS, side="vendor")
def submit_report(contract_id: int, report_id: int):
    contract = _vendor_contract_or_404(contract_id)
    record = queries.report_or_404(contract, report_id)
    try:
        operations.submit_report(g.actor, record)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.ReportRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Report submitted: the client reviews it now."), "success")
    return _to_report(record)


@bp.post("/contracts/<int:contract_id>/reports/<int:report_id>/accept")
@requires(*REPORT_REVIEWERS, side="client")
def accept_report(contract_id: int, report_id: int):
    contract = _client_contract_or_404(contract_id)
    record = queries.report_or_404(contract, report_id)
    try:
        operations.accept_report(g.actor, record)
    except operations.AlreadyDone as done:
        flash(done.message, "info")
    except operations.ReportRuleError as error:
        flash(error.message, "error")
    else:
        flash(_("Report accepted. Its SLA results are computed."), "success")
    return _to_report(record)


@bp.post("/contracts/<int:contract_id>/reports/<int:report_id>/dispute")
@requires(*REPORT_REVIEWERS, side="client")
def dispute_report(contract_id: int, report_id: int):
    contract = _client_contract_or_404(contract_id)
    record = queries.report_or_404(contract, report_id)
    rows = queries.value_rows(record)
    form = DisputeForm(codes=[row.code for row in rows])
    if form.validate_on_submit():
        try:
            operations.dispute_report(g.actor, record, form.reason.data, form.item_reasons())
        except operations.AlreadyDone as done:
            flash(done.message, "info")
            return _to_report(record)
        except operations.ReportRuleError as error:
            form.show(error)
        else:
            flash(_("Report disputed. The vendor is asked to correct it."), "success")
            return _to_report(record)
    return _report_page(contract, record, form, 400)


@bp.post("/contracts/<int:contract_id>/reports/<int:report_id>/correct")
@requires(*REPORTERS, side="vendor")
def correct_report(contract_id: int, report_id: int):
    contract = _vendor_contract_or_404(contract_id)
    record = queries.report_or_404(contract, report_id)
    try:
        draft = operations.correct_report(g.actor, record)
    except operations.AlreadyDone as done:
        draft = getattr(done, "report", None)
        if draft is None:
            flash(done.message, "info")
            return _to_report(record)
    except operations.ReportRuleError as error:
        flash(error.message, "error")
        return _to_report(record)
    else:
        flash(_("A new version is open. Correct the disputed values, then submit it."), "success")
    return redirect(url_for("contracts.edit_report", contract_id=contract.id, report_id=draft.id))

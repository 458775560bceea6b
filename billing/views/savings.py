"""Savings analytics of the client: the organization, one function month by month, how a
month's figures were computed, the settings, and every table as a CSV file.

All of it is the client's alone: a vendor finds none of these pages (404).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from billing import bp
from billing.forms.savings import SavingsPeriodForm, SavingsSettingsForm
from billing.operations import savings as operations
from billing.queries import savings as queries
from contracts.reporting import parse_period
from portal import tenancy
from portal.audit_log.queries import spreadsheet_safe
from portal.db import utcnow
from portal.models import BackOfficeFunction, Role
from portal.security import READ, has_role, requires

#: Who may change how savings are computed.
SETTINGS_EDITORS = (Role.ADMIN, Role.FINANCE)

TABLES = ("functions", "months")


def _period_form() -> SavingsPeriodForm:
    return SavingsPeriodForm(request.args)


def _range_args(form: SavingsPeriodForm) -> dict[str, str]:
    """The period filter as query-string arguments (for links and exports)."""
    return {
        name: value
        for name, value in (
            ("period_from", form.period_from.data),
            ("period_to", form.period_to.data),
        )
        if value
    }


@bp.get("/savings")
@requires(*READ, side="client")
def savings():
    form = _period_form()
    start, end = form.months()
    settings = queries.settings_of_current()
    functions = queries.organization_savings(start=start, end=end)
    return render_template(
        "billing/savings/index.html",
        functions=functions,
        totals=queries.organization_totals(functions, settings),
        settings=settings,
        filters=form,
        range_args=_range_args(form),
        last_closed=queries.last_closed_month(),
        can_configure=has_role(SETTINGS_EDITORS),
    )


def _function_or_404(function_id: int) -> BackOfficeFunction:
    return tenancy.get_or_404(BackOfficeFunction, function_id)


@bp.get("/savings/functions/<int:function_id>")
@requires(*READ, side="client")
def function_savings(function_id: int):
    function = _function_or_404(function_id)
    form = _period_form()
    start, end = form.months()
    return render_template(
        "billing/savings/function.html",
        savings=queries.function_savings(function, start=start, end=end),
        settings=queries.settings_of_current(),
        filters=form,
        range_args=_range_args(form),
        last_closed=queries.last_closed_month(),
    )


@bp.get("/savings/functions/<int:function_id>/months")
@requires(*READ, side="client")
def savings_month(function_id: int):
    function = _function_or_404(function_id)
    period = parse_period(request.args.get("period", ""))
    currency = (request.args.get("currency") or function.currency).upper()[:3]
    if period is None:
        abort(404)
    detail = queries.month_detail(function, period, currency)
    if detail is None:
        abort(404)
    return render_template("billing/savings/month.html", detail=detail, month=detail.month)


def _settings_page(form: SavingsSettingsForm, status: int = 200):
    return render_template(
        "billing/savings/settings.html",
        form=form,
        can_edit=has_role(SETTINGS_EDITORS),
        settings=queries.settings_of_current(),
    ), status


@bp.get("/savings/settings")
@requires(*READ, side="client")
def savings_settings():
    return _settings_page(SavingsSettingsForm.of(queries.settings_of_current()))


@bp.post("/savings/settings")
@requires(*SETTINGS_EDITORS, side="client")
def update_savings_settings():
    form = SavingsSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    operations.update_savings_settings(current_user, form.settings_data())
    flash(_("The savings settings were saved."), "success")
    return redirect(url_for("billing.savings"))


# --- CSV ------------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _month(value: date | None) -> str:
    return f"{value:%Y-%m}" if value else ""


def _csv_response(rows: Iterable[list[str]], header: list[str], filename: str) -> Response:
    buffer = io.StringIO()
    # A byte-order mark, so that Excel reads the file as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _month_columns() -> list[str]:
    return [
        _("Month"),
        _("Currency"),
        _("Baseline"),
        _("Invoiced"),
        _("Credited"),
        _("Governance"),
        _("Transition"),
        _("Outsourced cost"),
        _("Saving"),
        _("Saving (%)"),
        _("Cumulative saving"),
    ]


def _month_row(month: queries.CostMonth, currency: str) -> list[str]:
    return [
        _month(month.period),
        currency,
        _amount(month.baseline),
        _amount(month.invoiced),
        _amount(month.credited),
        _amount(month.governance),
        _amount(month.transition),
        _amount(month.outsourced),
        _amount(month.saving),
        _amount(month.saving_percent),
        _amount(month.cumulative),
    ]


def _function_rows(functions: list[queries.FunctionSavings]) -> Iterable[list[str]]:
    for entry in functions:
        for currency in entry.by_currency:
            latest = currency.latest
            yield [
                spreadsheet_safe(entry.function.name),
                spreadsheet_safe(", ".join(vendor.name for vendor in entry.vendors)),
                currency.currency,
                _month(currency.first_period),
                _month(currency.last_period),
                _amount(latest.baseline if latest else None),
                _amount(latest.outsourced if latest else None),
                _amount(currency.baseline_total),
                _amount(currency.outsourced_total),
                _amount(currency.saving_total),
                _amount(currency.saving_percent),
                _month(currency.break_even),
                _amount(currency.npv),
            ]


@bp.get("/savings.csv")
@requires(*READ, side="client")
def savings_csv():
    table = request.args.get("table", "functions")
    if table not in TABLES:
        abort(404)
    start, end = _period_form().months()
    settings = queries.settings_of_current()
    functions = queries.organization_savings(start=start, end=end)
    today = utcnow().date()
    if table == "functions":
        header = [
            _("Function"),
            _("Vendors"),
            _("Currency"),
            _("First month"),
            _("Last month"),
            _("Baseline, latest month"),
            _("Outsourced cost, latest month"),
            _("Baseline"),
            _("Outsourced cost"),
            _("Saving"),
            _("Saving (%)"),
            _("Break-even month"),
            _("NPV"),
        ]
        rows: Iterable[list[str]] = _function_rows(functions)
    else:
        header = _month_columns()
        rows = [
            _month_row(month, currency.currency)
            for currency in queries.organization_totals(functions, settings)
            for month in currency.months
        ]
    return _csv_response(rows, header, f"savings-{table}-{today:%Y-%m-%d}.csv")


@bp.get("/savings/functions/<int:function_id>.csv")
@requires(*READ, side="client")
def function_savings_csv(function_id: int):
    function = _function_or_404(function_id)
    start, end = _period_form().months()
    savings = queries.function_savings(function, start=start, end=end)
    header = [*_month_columns(), _("Volume"), _("Unit cost outsourced")]
    rows = [
        [
            *_month_row(month, currency.currency),
            _amount(month.volume),
            _amount(month.unit_cost_outsourced),
        ]
        for currency in savings.by_currency
        for month in currency.months
    ]
    today = utcnow().date()
    return _csv_response(rows, header, f"savings-function-{function.id}-{today:%Y-%m-%d}.csv")

"""``flask contracts run-due``: contracts past their last day expire, closed periods
without a report are chased; a second run changes nothing."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time
from sqlalchemy import select

from contracts.models import Contract, ContractStatus, ReportReminder
from contracts.rules import add_months, month_start
from portal import db
from portal.models import Notification
from portal.tenancy import across_tenants

THIS_MONTH = month_start(date.today())


def _missing_notices(org):
    statement = across_tenants(
        select(Notification).where(
            Notification.organization_id == org.id,
            Notification.kind == "contract.report_missing",
        )
    )
    return list(db.session.scalars(statement))


def test_run_due_expires_and_chases_and_a_second_run_changes_nothing(
    app, make, client_org, vendor_org
):
    make.member(vendor_org, "delivery")
    # Ran three months and ended last month: it expires, its three months are chased.
    ended = make.contract(client_org, vendor_org, start_date=add_months(THIS_MONTH, -3), months=3)
    # Started two months ago: one month is over and reported, the other is not.
    running = make.contract(client_org, vendor_org, start_date=add_months(THIS_MONTH, -2))
    make.delivery_report(running, add_months(THIS_MONTH, -2), status="accepted")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["contracts", "run-due"])
    assert first.exit_code == 0, first.output
    assert "1 contract(s) expired" in first.output
    assert "4 missing report(s) chased" in first.output
    status = db.session.scalar(
        across_tenants(select(Contract.status).where(Contract.id == ended.id))
    )
    assert status is ContractStatus.EXPIRED
    reminders = db.session.scalars(
        select(ReportReminder.period).where(ReportReminder.contract_id == running.id)
    )
    assert list(reminders) == [add_months(THIS_MONTH, -1)]
    assert len(_missing_notices(vendor_org)) == 2  # one per contract

    second = runner.invoke(args=["contracts", "run-due"])
    assert second.exit_code == 0, second.output
    assert "0 contract(s) expired" in second.output
    assert "0 missing report(s) chased" in second.output
    assert len(_missing_notices(vendor_org)) == 2


def test_the_current_month_is_chased_only_once_it_is_over(app, make, client_org, vendor_org):
    make.contract(client_org, vendor_org, start_date=date(2026, 3, 1))
    runner = app.test_cli_runner()
    with freeze_time("2026-03-31 23:00:00"):
        assert "0 missing report(s) chased" in runner.invoke(args=["contracts", "run-due"]).output
    with freeze_time("2026-04-01 06:00:00"):
        assert "1 missing report(s) chased" in runner.invoke(args=["contracts", "run-due"]).output

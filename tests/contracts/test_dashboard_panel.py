"""The dashboard's contracts panel: what needs each side, and nothing of others."""

from __future__ import annotations

from contracts.models import ReportStatus
from contracts.rules import add_months, month_start
from portal.db import utcnow
from tests.statements import counting_statements

#: The contracts start in January four months before this one: months 0..3 are over.
THIS_MONTH = month_start(utcnow().date())
START = add_months(THIS_MONTH, -4)
MONTHS = [add_months(START, n) for n in range(5)]


def _month(n: int) -> str:
    return MONTHS[n].strftime("%B %Y")


def _panel(page) -> str:
    html = page.get_data(as_text=True)
    start = html.index('data-testid="contracts-panel"')
    return html[start : html.index("</section>", start)]


def test_the_client_sees_reports_to_review_late_months_and_drafts_to_send(
    make, client_org, vendor_org, as_client_admin
):
    contract = make.contract(client_org, vendor_org, title="Payables run", start_date=START)
    make.delivery_report(contract, MONTHS[0], status=ReportStatus.ACCEPTED)
    make.delivery_report(contract, MONTHS[1], status=ReportStatus.SUBMITTED)
    make.delivery_report(contract, MONTHS[2], status=ReportStatus.DRAFT)
    make.contract(client_org, make.organization(kind="vendor"), status="draft", title="Payroll")

    panel = _panel(as_client_admin.get("/dashboard"))

    assert 'data-testid="todo-review"' in panel and f"Payables run · {_month(1)}" in panel
    # The third month is over and only the vendor's draft exists: late, like the fourth.
    assert f"Payables run · {_month(2)}" in panel and f"Payables run · {_month(3)}" in panel
    # This month is not over.
    assert f"Payables run · {_month(4)}" not in panel
    assert 'data-testid="todo-send"' in panel and "Payroll" in panel
    assert 'data-testid="todo-accept"' not in panel


def test_the_vendor_sees_contracts_to_accept_and_disputes_to_correct(
    make, client_org, vendor_org, as_vendor_admin
):
    contract = make.contract(client_org, vendor_org, title="Payables run", start_date=START)
    make.delivery_report(contract, MONTHS[0], status=ReportStatus.DISPUTED)
    make.contract(client_org, vendor_org, status="sent", title="Ledger")
    # A draft never sent is the client's working copy: not on the vendor's dashboard.
    make.contract(client_org, vendor_org, status="draft", title="Secret draft")

    panel = _panel(as_vendor_admin.get("/dashboard"))

    assert 'data-testid="todo-correct"' in panel and f"Payables run · {_month(0)}" in panel
    assert 'data-testid="todo-accept"' in panel and "Ledger" in panel
    assert "Secret draft" not in panel
    assert 'data-testid="todo-review"' not in panel


def test_no_panel_without_contracts_and_nothing_of_another_organization(
    make, client_org, vendor_org, as_other_client_admin
):
    make.contract(client_org, vendor_org, title="Payables run")

    html = as_other_client_admin.get("/dashboard").get_data(as_text=True)

    assert 'data-testid="contracts-panel"' not in html
    assert "Payables run" not in html


def test_the_panel_costs_the_same_statements_for_3_and_30_contracts(
    app, make, client_org, as_client_admin
):
    def statements_for(count: int) -> int:
        for _ in range(count):
            vendor = make.organization(kind="vendor")
            contract = make.contract(client_org, vendor, start_date=START)
            make.delivery_report(contract, MONTHS[0], status=ReportStatus.SUBMITTED)
        with counting_statements(app) as counted:
            assert as_client_admin.get("/dashboard").status_code == 200
        return len(counted)

    assert statements_for(3) == statements_for(27)

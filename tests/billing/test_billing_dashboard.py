"""The dashboard's billing panel: what needs each side on its invoices, nothing of others."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.models import ReportStatus
from portal.db import utcnow
from tests.statements import counting_statements

TODAY = utcnow().date()
LONG_AGO = TODAY - timedelta(days=90)


def _panel(page) -> str:
    html = page.get_data(as_text=True)
    start = html.index('data-testid="billing-panel"')
    return html[start : html.index("</section>", start)]


def _section(panel: str, testid: str) -> str:
    start = panel.index(f'data-testid="{testid}"')
    return panel[start : panel.index("</ul>", start)]


def test_the_client_sees_invoices_to_approve_and_overdue_ones(
    make, client_org, vendor_org, as_client_admin
):
    contract = make.contract(client_org, vendor_org)
    to_approve = make.invoice(contract, status="issued", issue_date=TODAY)
    late = make.invoice(contract, status="approved", issue_date=LONG_AGO)
    draft = make.invoice(contract)

    panel = _panel(as_client_admin.get("/dashboard"))

    assert to_approve.number in _section(panel, "todo-approve")
    assert late.number not in _section(panel, "todo-approve")
    assert late.number in _section(panel, "todo-overdue-payables")
    assert f"/invoices/{draft.id}" not in panel
    assert 'data-testid="todo-drafts"' not in panel and 'data-testid="todo-reports"' not in panel


def test_the_vendor_sees_drafts_reports_to_invoice_and_overdue_receivables(
    make, client_org, vendor_org, as_vendor_admin
):
    contract = make.contract(client_org, vendor_org, title="Payables run")
    draft = make.invoice(contract, period=date(2026, 2, 1))
    make.delivery_report(contract, date(2026, 1, 1), status=ReportStatus.ACCEPTED)
    late = make.invoice(contract, status="issued", issue_date=LONG_AGO)
    issued = make.invoice(contract, status="issued", issue_date=TODAY)

    panel = _panel(as_vendor_admin.get("/dashboard"))

    assert f"/invoices/{draft.id}" in _section(panel, "todo-drafts")
    assert "Payables run · January 2026" in _section(panel, "todo-reports")
    assert late.number in _section(panel, "todo-overdue-receivables")
    assert issued.number not in panel
    assert 'data-testid="todo-approve"' not in panel


def test_no_panel_when_nothing_is_due_and_nothing_of_another_organization(
    make, client_org, vendor_org, as_other_client_admin
):
    contract = make.contract(client_org, vendor_org)
    make.invoice(contract, status="issued", issue_date=LONG_AGO)

    html = as_other_client_admin.get("/dashboard").get_data(as_text=True)

    assert 'data-testid="billing-panel"' not in html


def test_the_panel_says_how_many_more_there_are(make, client_org, vendor_org, as_vendor_admin):
    for month in range(1, 10):
        contract = make.contract(client_org, vendor_org)
        make.delivery_report(contract, date(2026, month, 1), status=ReportStatus.ACCEPTED)

    section = _section(_panel(as_vendor_admin.get("/dashboard")), "todo-reports")

    assert ">9</span>" in section and "and 3 more" in section


def test_the_panel_costs_the_same_statements_for_3_and_30_invoices(app, make, login, vendor_org):
    both = make.organization(kind="both")
    browser = login(make.member(both, "admin"), both)

    def statements_for(count: int) -> int:
        for _ in range(count):
            outgoing = make.contract(make.organization(kind="client"), both)
            make.invoice(outgoing)
            make.invoice(outgoing, status="issued", issue_date=LONG_AGO)
            make.delivery_report(outgoing, date(2026, 1, 1), status=ReportStatus.ACCEPTED)
            incoming = make.contract(both, vendor_org)
            make.invoice(incoming, status="issued", issue_date=TODAY)
            make.invoice(incoming, status="approved", issue_date=LONG_AGO)
        with counting_statements(app) as counted:
            assert browser.get("/dashboard").status_code == 200
        return len(counted)

    assert statements_for(3) == statements_for(30)

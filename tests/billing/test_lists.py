"""The invoice lists: what each side sees, the filters, totals per currency, the reports
still to invoice and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from billing.models import InvoiceStatus, LineKind
from contracts.models import ReportStatus, VatTreatment
from contracts.rules import month_start
from portal import db
from portal.db import utcnow
from portal.tenancy import organization_context
from tests.statements import counting_statements

TODAY = utcnow().date()
THIS_MONTH = month_start(TODAY)


def _set(invoice, **values):
    """Change an issued invoice's life-after-issue fields (payments, credits, status)."""
    with organization_context(invoice.vendor_organization_id):
        for name, value in values.items():
            setattr(invoice, name, value)
        db.session.flush()
    return invoice


def _cancelled(draft):
    return _set(draft, status=InvoiceStatus.CANCELLED, cancelled_at=utcnow())


def _current(make, contract, **fields):
    """An issued invoice of this month, due in 30 days (not overdue)."""
    fields.setdefault("period", THIS_MONTH)
    fields.setdefault("issue_date", TODAY)
    return make.invoice(contract, status=fields.pop("status", "issued"), **fields)


def _late(make, contract, **fields):
    """An issued invoice whose due date is 30 days ago."""
    fields.setdefault("period", month_start(TODAY - timedelta(days=90)))
    fields.setdefault("issue_date", TODAY - timedelta(days=60))
    return make.invoice(contract, status=fields.pop("status", "issued"), **fields)


def _rows(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('data-testid="invoices"')
    return html[start : html.index("</table>", start)]


def _csv(response) -> list[dict]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_vendor_lists_its_drafts_and_issued_invoices(
    make, client_org, vendor_org, as_vendor_admin
):
    contract = make.contract(client_org, vendor_org)
    draft = make.invoice(contract, period=THIS_MONTH)
    issued = _current(make, contract)

    rows = _rows(as_vendor_admin.get("/invoices"))

    assert f'data-testid="invoice-{draft.id}"' in rows
    assert f'data-testid="invoice-{issued.id}"' in rows and issued.number in rows
    assert "Northwind Holdings" in rows


def test_the_client_never_sees_a_draft_or_a_cancelled_one(
    make, client_org, vendor_org, as_client_admin
):
    contract = make.contract(client_org, vendor_org)
    draft = make.invoice(contract, period=THIS_MONTH)
    cancelled = _cancelled(make.invoice(contract, period=THIS_MONTH))
    issued = _current(make, contract)

    page = as_client_admin.get("/invoices")
    rows = _rows(page)
    exported = _csv(as_client_admin.get("/invoices.csv"))

    assert f'data-testid="invoice-{issued.id}"' in rows and "Atlas Back Office" in rows
    assert f'data-testid="invoice-{draft.id}"' not in rows
    assert f'data-testid="invoice-{cancelled.id}"' not in rows
    assert [row["Number"] for row in exported] == [issued.number]
    # Even asked for, drafts stay the vendor's.
    assert as_client_admin.get("/invoices?status=draft").status_code == 200
    assert f'data-testid="invoice-{draft.id}"' not in as_client_admin.get(
        "/invoices?status=draft"
    ).get_data(as_text=True)


def test_another_organization_sees_none_of_them(
    make, client_org, vendor_org, as_other_client_admin
):
    contract = make.contract(client_org, vendor_org)
    issued = _current(make, contract)

    html = as_other_client_admin.get("/invoices").get_data(as_text=True)
    exported = _csv(as_other_client_admin.get("/invoices.csv"))

    assert issued.number not in html and 'data-testid="totals"' not in html
    assert exported == []


def test_filters_by_status_counterparty_period_and_overdue(
    make, client_org, vendor_org, as_vendor_admin
):
    contract = make.contract(client_org, vendor_org)
    other_client = make.organization(name="Globex", kind="client")
    other_contract = make.contract(other_client, vendor_org)
    late = _late(make, contract)
    current = _current(make, contract)
    approved = _current(make, other_contract, status="approved")
    march = make.invoice(contract, period=date(2026, 3, 1))

    def listed(query: str) -> set[int]:
        rows = _rows(as_vendor_admin.get(f"/invoices?{query}"))
        return {
            invoice.id
            for invoice in (late, current, approved, march)
            if f'data-testid="invoice-{invoice.id}"' in rows
        }

    assert listed("status=approved") == {approved.id}
    assert listed(f"counterparty={other_client.id}") == {approved.id}
    assert listed("overdue=y") == {late.id}
    assert listed("month=2026-03") == {march.id}
    assert listed(f"period_from={THIS_MONTH:%Y-%m}") == {current.id, approved.id}
    assert listed(f"period_from=2026-03&period_to={THIS_MONTH:%Y-%m}") == {
        march.id,
        current.id,
        approved.id,
        *([late.id] if late.period_start >= date(2026, 3, 1) else []),
    }
    # A value that is not a choice or not a month is ignored, not an error.
    assert listed("status=bogus&period_from=soon") == {late.id, current.id, approved.id, march.id}


def test_overdue_invoices_carry_a_badge(make, client_org, vendor_org, as_client_admin):
    contract = make.contract(client_org, vendor_org)
    late = _late(make, contract)
    current = _current(make, contract)
    paid_late = _late(make, contract)
    _set(paid_late, amount_paid=paid_late.gross_total, status=InvoiceStatus.PAID)

    rows = _rows(as_client_admin.get("/invoices"))

    def row(invoice) -> str:
        start = rows.index(f'data-testid="invoice-{invoice.id}"')
        return rows[start : rows.index("</tr>", start)]

    assert 'data-testid="overdue"' in row(late)
    assert 'data-testid="overdue"' not in row(current)
    assert 'data-testid="overdue"' not in row(paid_late)


def test_totals_are_per_currency_and_never_mixed(make, client_org, vendor_org, as_client_admin):
    euros = make.contract(client_org, vendor_org)
    dollars = make.contract(client_org, vendor_org, currency="USD")
    first = _current(make, euros)  # 48,000.00 EUR gross
    _set(first, amount_paid=Decimal("8000.00"))
    _current(make, euros, lines=[(LineKind.FIXED_FEE, "Setup", 1, "1000")])  # 1,200.00
    usd = _current(make, dollars, lines=[(LineKind.FIXED_FEE, "Run", 1, "500")])  # 600.00
    _set(usd, amount_credited=Decimal("100.00"))
    make.invoice(euros, period=THIS_MONTH)  # a draft: the client does not see it

    html = as_client_admin.get("/invoices").get_data(as_text=True)
    start = html.index('data-testid="totals"')
    totals = html[start : html.index("</table>", start)]

    eur = totals[totals.index('data-testid="total-EUR"') : totals.index('data-testid="total-USD"')]
    usd_row = totals[totals.index('data-testid="total-USD"') :]
    assert "€49,200.00" in eur and "€8,000.00" in eur and "€41,200.00" in eur
    assert "$600.00" in usd_row and "$100.00" in usd_row and "$500.00" in usd_row
    assert "€" not in usd_row and "$" not in eur


def test_totals_in_sql_agree_with_each_invoice(make, client_org, vendor_org):
    from billing.queries.lists import InvoiceFilters, totals

    contract = make.contract(client_org, vendor_org)
    issued = _current(make, contract, lines=[(LineKind.FIXED_FEE, "Run", 3, "0.335")])
    settled_contract = make.contract(client_org, vendor_org, vat_treatment=VatTreatment.INTERNAL)
    _current(make, settled_contract, status="settled")
    _set(issued, amount_paid=Decimal("0.20"))

    with organization_context(client_org.id):
        [total] = totals(InvoiceFilters(), TODAY)

    # 3 × 0.335 = 1.005 → 1.01 net, VAT 0.20, gross 1.21; settled chargeback: nothing due.
    assert total.currency == "EUR" and total.count == 2
    assert total.balance == Decimal("1.01")


def test_the_list_costs_the_same_statements_for_3_and_30_invoices(
    app, make, client_org, vendor_org, as_vendor_admin
):
    def statements_for(count: int) -> int:
        for _ in range(count):
            contract = make.contract(make.organization(kind="client"), vendor_org)
            _current(make, contract)
            make.delivery_report(contract, date(2026, 1, 1), status=ReportStatus.ACCEPTED)
            credited = _current(make, contract)
            _set(credited, amount_credited=Decimal("1"))
        with counting_statements(app) as counted:
            assert as_vendor_admin.get("/invoices").status_code == 200
        return len(counted)

    assert statements_for(3) == statements_for(30)


def test_the_vendor_sees_accepted_reports_to_invoice(
    make, client_org, vendor_org, as_vendor_admin, as_client_admin
):
    contract = make.contract(client_org, vendor_org, title="Payables run")
    to_invoice = make.delivery_report(contract, date(2026, 1, 1), status=ReportStatus.ACCEPTED)
    invoiced = make.delivery_report(contract, date(2026, 2, 1), status=ReportStatus.ACCEPTED)
    make.invoice(contract, report_id=invoiced.id, period=date(2026, 2, 1))
    dropped = make.delivery_report(contract, date(2026, 3, 1), status=ReportStatus.ACCEPTED)
    _cancelled(make.invoice(contract, report_id=dropped.id, period=date(2026, 3, 1)))
    submitted = make.delivery_report(contract, date(2026, 4, 1), status=ReportStatus.SUBMITTED)

    html = as_vendor_admin.get("/invoices").get_data(as_text=True)
    section = html[html.index('data-testid="to-invoice"') : html.index('data-testid="filters"')]

    assert f'data-testid="to-invoice-{to_invoice.id}"' in section
    assert f'data-testid="to-invoice-{dropped.id}"' in section
    assert f'data-testid="to-invoice-{invoiced.id}"' not in section
    assert f'data-testid="to-invoice-{submitted.id}"' not in section
    assert f'action="/invoices/from-report/{to_invoice.id}"' in section
    assert 'data-testid="to-invoice"' not in as_client_admin.get("/invoices").get_data(as_text=True)


def test_a_vendor_viewer_sees_the_reports_without_the_button(make, login, client_org, vendor_org):
    contract = make.contract(client_org, vendor_org)
    report = make.delivery_report(contract, date(2026, 1, 1), status=ReportStatus.ACCEPTED)
    viewer = login(make.member(vendor_org, "viewer"), vendor_org)

    html = viewer.get("/invoices").get_data(as_text=True)

    assert f'data-testid="to-invoice-{report.id}"' in html
    assert 'data-testid="prepare-invoice"' not in html


def test_the_csv_holds_the_filtered_list_with_decimal_text(
    make, client_org, vendor_org, as_vendor_admin
):
    contract = make.contract(client_org, vendor_org)
    late = _late(make, contract)
    _set(late, amount_paid=Decimal("1000.50"))
    _current(make, contract)

    response = as_vendor_admin.get("/invoices.csv?overdue=y")
    [row] = _csv(response)

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert row["Number"] == late.number
    assert row["Kind"] == "Invoice" and row["Status"] == "Issued"
    assert row["Counterparty"] == "Northwind Holdings"
    assert row["Period"] == f"{late.period_start:%Y-%m}"
    assert row["Issue date"] == late.issue_date.isoformat()
    assert row["Due date"] == late.due_date.isoformat()
    assert row["Currency"] == "EUR"
    assert (row["Net"], row["VAT"], row["Gross"]) == ("40000.00", "8000.00", "48000.00")
    assert (row["Credited"], row["Paid"], row["Balance due"]) == ("0.00", "1000.50", "46999.50")
    assert row["Overdue"] == "yes"


def test_the_csv_defuses_formulas_in_names(make, client_org, as_client_admin):
    vendor = make.organization(name="=HYPERLINK(evil)", kind="vendor")
    _current(make, make.contract(client_org, vendor))

    [row] = _csv(as_client_admin.get("/invoices.csv"))

    assert row["Counterparty"] == "'=HYPERLINK(evil)"


def test_an_organization_on_both_sides_filters_one(make, login, client_org):
    both = make.organization(name="Hybrid Group", kind="both")
    outgoing = _current(make, make.contract(client_org, both))
    incoming = _current(make, make.contract(both, make.organization(kind="vendor")))
    browser = login(make.member(both, "admin"), both)

    issued = _rows(browser.get("/invoices?side=issued"))
    received = _rows(browser.get("/invoices?side=received"))

    assert f'data-testid="invoice-{outgoing.id}"' in issued
    assert f'data-testid="invoice-{incoming.id}"' not in issued
    assert f'data-testid="invoice-{incoming.id}"' in received
    assert f'data-testid="invoice-{outgoing.id}"' not in received

"""The pages of one invoice: drafting, editing, issuing, credit notes and downloads."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from billing import pdf as pdf_module
from billing.models import Invoice, InvoiceKind, InvoiceStatus, LineKind
from contracts.operations.results import record_results
from portal import db
from portal.tenancy import across_tenants, organization_context


def reload(invoice_id: int) -> Invoice:
    return db.session.scalars(across_tenants(select(Invoice).where(Invoice.id == invoice_id))).one()


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def report(make, contract):
    report = make.delivery_report(contract, date(2026, 3, 1), status="accepted")
    with organization_context(contract.client_organization_id):
        record_results(report, notify_breaches=False)
        db.session.flush()
    return report


@pytest.fixture
def draft(make, contract):
    return make.invoice(contract)


@pytest.fixture
def issued(make, contract, as_vendor_admin, draft):
    response = as_vendor_admin.post(f"/invoices/{draft.id}/issue")
    assert response.status_code == 302
    return reload(draft.id)


@pytest.fixture
def as_vendor_viewer(make, login, vendor_org):
    return login(make.member(vendor_org, "viewer"), vendor_org)


# --- Drafting from a report -----------------------------------------------------------------


def test_the_vendor_drafts_an_invoice_from_an_accepted_report(as_vendor_admin, report):
    response = as_vendor_admin.post(f"/invoices/from-report/{report.id}")

    invoice = db.session.scalars(
        across_tenants(select(Invoice).where(Invoice.report_id == report.id))
    ).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/invoices/{invoice.id}")
    # 40,000 + 10,000 × 2.50 = 65,000 + 20 %.
    assert invoice.gross_total == Decimal("78000.00")

    again = as_vendor_admin.post(f"/invoices/from-report/{report.id}")
    assert again.headers["Location"].endswith(f"/invoices/{invoice.id}")


def test_drafting_is_the_vendors_only(as_client_admin, as_other_client_admin, report):
    assert as_client_admin.post(f"/invoices/from-report/{report.id}").status_code == 404
    assert as_other_client_admin.post(f"/invoices/from-report/{report.id}").status_code == 404


def test_a_viewer_drafts_nothing(as_vendor_viewer, report):
    assert as_vendor_viewer.post(f"/invoices/from-report/{report.id}").status_code == 403


# --- The invoice page -----------------------------------------------------------------------


def test_the_vendor_sees_its_draft_with_its_actions(as_vendor_admin, draft):
    page = as_vendor_admin.get(f"/invoices/{draft.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for testid in ("edit", "issue", "cancel"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="download-pdf"' not in html


def test_a_draft_is_hidden_from_the_client(as_client_admin, draft):
    assert as_client_admin.get(f"/invoices/{draft.id}").status_code == 404
    assert as_client_admin.get(f"/invoices/{draft.id}/pdf").status_code == 404


def test_the_client_sees_the_issued_invoice_and_its_downloads(as_client_admin, issued):
    page = as_client_admin.get(f"/invoices/{issued.id}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert issued.number in html
    assert 'data-testid="download-pdf"' in html
    assert 'data-testid="download-xml"' in html
    assert 'data-testid="credit"' not in html
    assert 'data-testid="issue"' not in html


def test_another_organization_gets_404_everywhere(as_other_client_admin, issued, draft):
    for url in (
        f"/invoices/{issued.id}",
        f"/invoices/{issued.id}/pdf",
        f"/invoices/{issued.id}/xml",
    ):
        assert as_other_client_admin.get(url).status_code == 404, url
    for url in (f"/invoices/{issued.id}/credit-note", f"/invoices/{issued.id}/issue"):
        assert as_other_client_admin.post(url).status_code == 404, url


def test_a_viewer_changes_nothing(as_vendor_viewer, draft):
    for action in ("issue", "cancel", "edit", "credit-note"):
        assert as_vendor_viewer.post(f"/invoices/{draft.id}/{action}").status_code == 403
    assert reload(draft.id).status is InvoiceStatus.DRAFT


def test_the_client_cannot_act_as_the_vendor(as_client_admin, issued):
    assert as_client_admin.post(f"/invoices/{issued.id}/credit-note").status_code == 404


# --- Editing, issuing, cancelling -----------------------------------------------------------


def test_the_vendor_adds_and_removes_a_line(as_vendor_admin, draft):
    added = as_vendor_admin.post(
        f"/invoices/{draft.id}/edit",
        data={
            "action": "add_line",
            "description": "Travel to Lisbon",
            "quantity": "2",
            "unit": "trip",
            "unit_price": "450.50",
        },
    )
    assert added.status_code == 302
    invoice = reload(draft.id)
    line = invoice.lines[-1]
    assert (line.kind, line.description, line.net_amount) == (
        LineKind.EXTRA,
        "Travel to Lisbon",
        Decimal("901.00"),
    )
    assert invoice.gross_total == Decimal("49081.20")  # (40,000 + 901) × 1.2

    page = as_vendor_admin.get(f"/invoices/{draft.id}/edit")
    assert 'data-testid="remove-line"' in page.get_data(as_text=True)
    removed = as_vendor_admin.post(
        f"/invoices/{draft.id}/edit", data={"action": "remove_line", "line_id": str(line.id)}
    )
    assert removed.status_code == 302
    assert len(reload(draft.id).lines) == 1


def test_a_wrong_line_keeps_what_was_typed(as_vendor_admin, draft):
    response = as_vendor_admin.post(
        f"/invoices/{draft.id}/edit",
        data={"action": "add_line", "description": "Courier", "quantity": "0", "unit_price": "x"},
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="Courier"' in html
    assert 'value="x"' in html
    assert len(reload(draft.id).lines) == 1


def test_the_note_is_saved(as_vendor_admin, draft):
    response = as_vendor_admin.post(
        f"/invoices/{draft.id}/edit", data={"action": "note", "note": "PO 4500012345"}
    )

    assert response.status_code == 302
    assert reload(draft.id).note == "PO 4500012345"


def test_issuing_from_the_page(as_vendor_admin, draft, vendor_org):
    response = as_vendor_admin.post(f"/invoices/{draft.id}/issue", follow_redirects=True)

    invoice = reload(draft.id)
    assert invoice.status is InvoiceStatus.ISSUED
    assert invoice.number.startswith(f"{vendor_org.slug}-")
    assert invoice.number in response.get_data(as_text=True)
    # An issued invoice is no longer edited.
    edit = as_vendor_admin.get(f"/invoices/{draft.id}/edit")
    assert edit.status_code == 302


def test_cancelling_a_draft(as_vendor_admin, draft):
    response = as_vendor_admin.post(f"/invoices/{draft.id}/cancel")

    assert response.status_code == 302
    assert reload(draft.id).status is InvoiceStatus.CANCELLED


# --- Downloads ------------------------------------------------------------------------------


def test_the_pdf_is_the_stored_one_whatever_the_template_becomes(
    as_vendor_admin, as_client_admin, issued, monkeypatch
):
    first = as_vendor_admin.get(f"/invoices/{issued.id}/pdf")

    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.headers["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    assert hashlib.sha256(first.data).hexdigest() == issued.pdf_sha256

    def changed_template(*args, **kwargs):
        raise AssertionError("an issued invoice is never rendered again")

    monkeypatch.setattr(pdf_module, "render_html", changed_template)
    monkeypatch.setattr(pdf_module, "TEMPLATE", "billing/pdf/a-new-layout.html")
    second = as_client_admin.get(f"/invoices/{issued.id}/pdf")

    assert second.data == first.data
    assert hashlib.sha256(second.data).hexdigest() == issued.pdf_sha256


def test_the_xml_download(as_client_admin, issued):
    response = as_client_admin.get(f"/invoices/{issued.id}/xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{issued.number}.xml"'
    assert response.data == issued.xml


# --- Credit notes ---------------------------------------------------------------------------


def test_the_vendor_credits_part_of_an_issued_invoice(as_vendor_admin, as_client_admin, issued):
    page = as_vendor_admin.get(f"/invoices/{issued.id}")
    assert 'data-testid="credit"' in page.get_data(as_text=True)
    form = as_vendor_admin.get(f"/invoices/{issued.id}/credit-note")
    assert form.status_code == 200

    response = as_vendor_admin.post(
        f"/invoices/{issued.id}/credit-note",
        data={
            "reason": "Two days of outage",
            "mode": "lines",
            "line_amounts-0": "1000",
        },
    )

    assert response.status_code == 302
    invoice = reload(issued.id)
    [note] = invoice.credit_notes
    assert response.headers["Location"].endswith(f"/invoices/{note.id}")
    assert note.kind is InvoiceKind.CREDIT_NOTE
    assert note.gross_total == Decimal("1200.00")
    assert invoice.amount_credited == Decimal("1200.00")
    client_page = as_client_admin.get(f"/invoices/{note.id}").get_data(as_text=True)
    assert invoice.number in client_page and note.number in client_page
    assert note.number in as_client_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)


def test_a_credit_note_without_reason_keeps_what_was_typed(as_vendor_admin, issued):
    response = as_vendor_admin.post(
        f"/invoices/{issued.id}/credit-note",
        data={"reason": "", "mode": "amount", "amount": "123.45", "description": "Goodwill"},
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="123.45"' in html and 'value="Goodwill"' in html
    assert reload(issued.id).credit_notes == []


def test_a_credit_note_above_the_balance_is_refused_on_its_field(as_vendor_admin, issued):
    response = as_vendor_admin.post(
        f"/invoices/{issued.id}/credit-note",
        data={"reason": "Too much", "mode": "amount", "amount": "40000.01"},
    )

    assert response.status_code == 400
    assert "cannot exceed" in response.get_data(as_text=True)
    assert reload(issued.id).amount_credited == 0

"""The client's review of an invoice: approve, dispute with a reason, and a captive
centre's chargeback settled on approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from billing.models import InvoiceKind, InvoiceStatus, LineKind
from billing.operations import review
from contracts.models import VatTreatment
from portal import db
from portal.db import utcnow
from portal.models import AuditEvent, Notification
from portal.tenancy import across_tenants, organization_context

TODAY = utcnow().date()


@pytest.fixture
def contract(make, client_org, vendor_org):
    return make.contract(client_org, vendor_org)


@pytest.fixture
def vendor_finance(make, vendor_org):
    return make.member(vendor_org, "finance", email="finance@atlas.test")


@pytest.fixture
def issued(make, contract, vendor_finance):
    return make.invoice(contract, status="issued", issue_date=TODAY)


@pytest.fixture
def chargeback(make, client_org, make_captive):
    return make.invoice(make_captive, status="issued", issue_date=TODAY)


@pytest.fixture
def make_captive(make, client_org):
    centre = make.organization(name="Northwind Shared Services", kind="vendor")
    return make.contract(
        client_org, centre, vat_treatment=VatTreatment.INTERNAL, title="Captive chargeback"
    )


def _reload(invoice):
    db.session.expire(invoice)
    with organization_context(invoice.vendor_organization_id):
        db.session.refresh(invoice)
    return invoice


def _events(action: str, invoice) -> list[int]:
    statement = across_tenants(
        select(AuditEvent.organization_id).where(
            AuditEvent.action == action, AuditEvent.target_id == invoice.id
        )
    )
    return sorted(db.session.scalars(statement))


def _notifications(kind: str) -> list[int]:
    statement = across_tenants(
        select(Notification.user_id).where(Notification.kind == kind).order_by(Notification.id)
    )
    return list(db.session.scalars(statement))


def test_the_client_approves_an_issued_invoice(
    client_admin, as_client_admin, issued, client_org, vendor_org, vendor_finance
):
    response = as_client_admin.post(f"/invoices/{issued.id}/approve")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/invoices/{issued.id}")
    _reload(issued)
    assert issued.status is InvoiceStatus.APPROVED
    assert issued.approved_by_id == client_admin.id and issued.approved_at is not None
    assert issued.settled_at is None
    assert _events("invoice.approved", issued) == sorted([client_org.id, vendor_org.id])
    assert _notifications("invoice.approved") == [vendor_finance.id]


def test_an_approval_sent_twice_is_applied_once(as_client_finance, issued, vendor_finance):
    first = as_client_finance.post(f"/invoices/{issued.id}/approve")
    second = as_client_finance.post(f"/invoices/{issued.id}/approve", follow_redirects=True)

    assert first.status_code == 302 and second.status_code == 200
    assert "already approved" in second.get_data(as_text=True)
    assert _reload(issued).status is InvoiceStatus.APPROVED
    assert len(_events("invoice.approved", issued)) == 2  # one in each party's log
    assert _notifications("invoice.approved") == [vendor_finance.id]


def test_the_client_disputes_with_a_reason(
    client_admin, as_client_admin, issued, client_org, vendor_org, vendor_finance
):
    response = as_client_admin.post(
        f"/invoices/{issued.id}/dispute", data={"reason": "  March volumes are counted twice. "}
    )

    assert response.status_code == 302
    _reload(issued)
    assert issued.status is InvoiceStatus.DISPUTED
    assert issued.dispute_reason == "March volumes are counted twice."
    assert issued.disputed_by_id == client_admin.id
    assert _events("invoice.disputed", issued) == sorted([client_org.id, vendor_org.id])
    assert _notifications("invoice.disputed") == [vendor_finance.id]
    with organization_context(vendor_org.id):
        body = db.session.scalars(
            select(Notification.body).where(Notification.kind == "invoice.disputed")
        ).one()
    assert "counted twice" in body


def test_a_dispute_without_a_reason_comes_back_with_what_was_typed(as_client_admin, issued):
    empty = as_client_admin.post(f"/invoices/{issued.id}/dispute", data={"reason": ""})
    blank = as_client_admin.post(f"/invoices/{issued.id}/dispute", data={"reason": "   "})
    long = as_client_admin.post(f"/invoices/{issued.id}/dispute", data={"reason": "x" * 4001})

    assert empty.status_code == blank.status_code == long.status_code == 400
    assert "Say why you dispute the invoice." in empty.get_data(as_text=True)
    assert "Say why you dispute the invoice." in blank.get_data(as_text=True)
    assert "x" * 4001 in long.get_data(as_text=True)
    assert _reload(issued).status is InvoiceStatus.ISSUED


def test_a_dispute_sent_twice_is_applied_once(as_client_admin, issued, vendor_finance):
    for _ in range(2):
        response = as_client_admin.post(
            f"/invoices/{issued.id}/dispute", data={"reason": "Wrong rate"}
        )
        assert response.status_code == 302
    assert _reload(issued).status is InvoiceStatus.DISPUTED
    assert _notifications("invoice.disputed") == [vendor_finance.id]


def test_a_disputed_invoice_can_still_be_approved_not_disputed_again_once_approved(
    as_client_admin, issued
):
    as_client_admin.post(f"/invoices/{issued.id}/dispute", data={"reason": "Wrong rate"})
    as_client_admin.post(f"/invoices/{issued.id}/approve")
    assert _reload(issued).status is InvoiceStatus.APPROVED

    response = as_client_admin.post(
        f"/invoices/{issued.id}/dispute", data={"reason": "Changed my mind"}, follow_redirects=True
    )

    assert "can be disputed" in response.get_data(as_text=True)
    assert _reload(issued).status is InvoiceStatus.APPROVED


def test_approving_a_captive_chargeback_settles_it(as_client_admin, chargeback, client_org):
    response = as_client_admin.post(f"/invoices/{chargeback.id}/approve", follow_redirects=True)

    assert "it is settled" in response.get_data(as_text=True)
    _reload(chargeback)
    assert chargeback.status is InvoiceStatus.SETTLED
    assert chargeback.settled_at is not None and chargeback.approved_at is not None
    assert chargeback.amount_paid == 0 and chargeback.payments == []
    assert _events("invoice.settled", chargeback) == sorted(
        [client_org.id, chargeback.vendor_organization_id]
    )


def test_a_disputed_chargeback_is_settled_on_approval(make, as_client_admin, make_captive):
    chargeback = make.invoice(make_captive, status="disputed", issue_date=TODAY)

    as_client_admin.post(f"/invoices/{chargeback.id}/approve")

    assert _reload(chargeback).status is InvoiceStatus.SETTLED


def test_the_invoice_page_offers_the_review_to_the_client_only(
    as_client_admin, as_client_viewer, as_vendor_admin, issued, chargeback
):
    page = as_client_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)
    captive_page = as_client_admin.get(f"/invoices/{chargeback.id}").get_data(as_text=True)

    assert 'data-testid="approve"' in page and 'data-testid="dispute-form"' in page
    assert "Approve and settle the chargeback" in captive_page
    assert 'data-testid="approve"' not in as_client_viewer.get(f"/invoices/{issued.id}").get_data(
        as_text=True
    )
    assert 'data-testid="approve"' not in as_vendor_admin.get(f"/invoices/{issued.id}").get_data(
        as_text=True
    )


def test_both_parties_read_the_dispute_on_the_invoice_page(
    as_client_admin, as_vendor_admin, issued
):
    as_client_admin.post(f"/invoices/{issued.id}/dispute", data={"reason": "Wrong <b>rate</b>"})

    page = as_vendor_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)

    assert 'data-testid="dispute-reason"' in page and "Wrong &lt;b&gt;rate&lt;/b&gt;" in page
    client_page = as_client_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)
    assert 'data-testid="dispute-form"' not in client_page  # disputed: approve only
    assert 'data-testid="approve"' in client_page


def test_a_credit_note_is_not_reviewed(make, contract, as_client_admin, issued):
    note = make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=issued.id,
        status="issued",
        issue_date=TODAY,
        lines=[(LineKind.CREDIT, "Rate corrected", 1, "100")],
    )

    response = as_client_admin.post(f"/invoices/{note.id}/approve", follow_redirects=True)

    assert "A credit note is not approved or disputed" in response.get_data(as_text=True)
    assert _reload(note).status is InvoiceStatus.ISSUED
    assert 'data-testid="approve"' not in as_client_admin.get(f"/invoices/{note.id}").get_data(
        as_text=True
    )


def test_a_viewer_may_not_review(as_client_viewer, issued):
    assert as_client_viewer.post(f"/invoices/{issued.id}/approve").status_code == 403
    assert (
        as_client_viewer.post(f"/invoices/{issued.id}/dispute", data={"reason": "x"}).status_code
        == 403
    )
    assert _reload(issued).status is InvoiceStatus.ISSUED


def test_another_organization_and_the_issuer_get_404(
    as_other_client_admin, as_vendor_admin, issued
):
    for browser in (as_other_client_admin, as_vendor_admin):
        assert browser.post(f"/invoices/{issued.id}/approve").status_code == 404
        assert (
            browser.post(f"/invoices/{issued.id}/dispute", data={"reason": "x"}).status_code == 404
        )
    assert _reload(issued).status is InvoiceStatus.ISSUED


def test_the_client_cannot_review_a_draft(make, contract, as_client_admin):
    draft = make.invoice(contract)

    assert as_client_admin.post(f"/invoices/{draft.id}/approve").status_code == 404
    assert (
        as_client_admin.post(f"/invoices/{draft.id}/dispute", data={"reason": "x"}).status_code
        == 404
    )


def test_an_issuer_on_both_sides_may_see_but_not_approve_its_own_invoice(make, login, client_org):
    both = make.organization(kind="both")
    invoice = make.invoice(make.contract(client_org, both), status="issued", issue_date=TODAY)
    browser = login(make.member(both, "admin"), both)

    assert browser.post(f"/invoices/{invoice.id}/approve").status_code == 403
    assert _reload(invoice).status is InvoiceStatus.ISSUED


def test_the_operation_refuses_the_vendor(issued, vendor_org):
    with organization_context(vendor_org.id), pytest.raises(review.ReviewRuleError):
        review.approve_invoice(None, issued)


def test_the_overdue_flag_does_not_block_a_review(make, contract, as_client_admin):
    late = make.invoice(contract, status="issued", issue_date=TODAY - timedelta(days=90))

    as_client_admin.post(f"/invoices/{late.id}/approve")

    assert _reload(late).status is InvoiceStatus.APPROVED

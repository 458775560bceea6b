"""Bank transfers the vendor records: partial payments, paid at the balance, never more,
never twice for one form, never on what is not to be paid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from billing.models import InvoiceKind, InvoiceStatus, LineKind, Payment, PaymentKind
from billing.operations import payments
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
def client_finance(make, client_org):
    return make.member(client_org, "finance", email="payables@northwind.test")


@pytest.fixture
def issued(make, contract, client_finance):
    """48,000.00 EUR gross (40,000 + 20 % VAT), due in 30 days."""
    return make.invoice(contract, status="issued", issue_date=TODAY)


def _reload(invoice):
    db.session.expire(invoice)
    with organization_context(invoice.vendor_organization_id):
        db.session.refresh(invoice)
    return invoice


def _set(invoice, **values):
    with organization_context(invoice.vendor_organization_id):
        for name, value in values.items():
            setattr(invoice, name, value)
        db.session.flush()
    return invoice


def _payments(invoice) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)
        )
    )


def _form(invoice, amount="1000.00", reference="VIR 2026-118", **extra) -> dict:
    data = {
        "received_on": TODAY.isoformat(),
        "amount": amount,
        "reference": reference,
        "paid_before": str(invoice.amount_paid),
    }
    data.update(extra)
    return data


def _pay(browser, invoice, **form):
    return browser.post(f"/invoices/{invoice.id}/payments", data=_form(invoice, **form))


def test_a_partial_payment_is_recorded(
    as_vendor_admin, issued, client_org, vendor_org, client_finance
):
    response = _pay(as_vendor_admin, issued, amount="12000.50")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/invoices/{issued.id}")
    _reload(issued)
    assert issued.amount_paid == Decimal("12000.50")
    assert issued.status is InvoiceStatus.ISSUED and issued.paid_at is None
    [payment] = _payments(issued)
    assert payment.kind is PaymentKind.MANUAL and payment.amount == Decimal("12000.50")
    assert payment.received_on == TODAY and payment.reference == "VIR 2026-118"
    assert payment.currency == "EUR"
    events = db.session.scalars(
        across_tenants(
            select(AuditEvent.organization_id).where(
                AuditEvent.action == "invoice.payment_recorded"
            )
        )
    ).all()
    assert sorted(events) == sorted([client_org.id, vendor_org.id])
    notified = db.session.scalars(
        across_tenants(select(Notification).where(Notification.kind == "invoice.payment_recorded"))
    ).all()
    assert [n.user_id for n in notified] == [client_finance.id]
    assert "35999.50" in notified[0].body


def test_the_payment_that_reaches_the_balance_makes_it_paid(as_vendor_admin, issued):
    _pay(as_vendor_admin, issued, amount="40000")
    _reload(issued)
    response = _pay(as_vendor_admin, issued, amount="8000.00", reference="VIR 2")

    assert response.status_code == 302
    _reload(issued)
    assert issued.status is InvoiceStatus.PAID and issued.paid_at is not None
    assert issued.amount_paid == issued.gross_total
    assert len(_payments(issued)) == 2
    title = db.session.scalars(
        across_tenants(
            select(Notification.title)
            .where(Notification.kind == "invoice.payment_recorded")
            .order_by(Notification.id.desc())
        )
    ).first()
    assert title == f"Invoice paid: {issued.number}"


def test_paid_at_the_total_less_credit_notes(as_vendor_admin, issued):
    _set(issued, amount_credited=Decimal("8000.00"))

    too_much = _pay(as_vendor_admin, issued, amount="40000.01")
    exact = _pay(as_vendor_admin, issued, amount="40000.00")

    assert too_much.status_code == 400
    assert exact.status_code == 302
    assert _reload(issued).status is InvoiceStatus.PAID


def test_a_disputed_or_approved_invoice_may_be_paid_in_part(make, contract, as_vendor_admin):
    for status in ("disputed", "approved"):
        invoice = make.invoice(contract, status=status, issue_date=TODAY)
        assert _pay(as_vendor_admin, invoice, amount="100").status_code == 302
        _reload(invoice)
        assert invoice.status == status and invoice.amount_paid == Decimal("100.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("48000.01", "more than the balance due"),
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("12.345", "decimal places"),
        ("lots", "Enter a number"),
        ("", "Enter the amount received."),
    ],
)
def test_a_wrong_amount_comes_back_with_what_was_typed(as_vendor_admin, issued, amount, message):
    response = _pay(as_vendor_admin, issued, amount=amount, reference="Kept reference")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'value="Kept reference"' in html and f'value="{amount}"' in html
    assert _payments(issued) == []
    assert _reload(issued).amount_paid == 0


def test_a_day_in_the_future_is_refused(as_vendor_admin, issued):
    tomorrow = (TODAY + timedelta(days=1)).isoformat()

    response = _pay(as_vendor_admin, issued, received_on=tomorrow)

    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert _payments(issued) == []


def test_the_same_form_sent_twice_records_one_payment(as_vendor_admin, issued, client_finance):
    form = _form(issued, amount="5000.00")

    first = as_vendor_admin.post(f"/invoices/{issued.id}/payments", data=form)
    second = as_vendor_admin.post(
        f"/invoices/{issued.id}/payments", data=form, follow_redirects=True
    )

    assert first.status_code == 302 and second.status_code == 200
    assert "already recorded" in second.get_data(as_text=True)
    assert [payment.amount for payment in _payments(issued)] == [Decimal("5000.00")]
    assert _reload(issued).amount_paid == Decimal("5000.00")


def test_a_form_opened_before_another_payment_is_refused(as_vendor_admin, issued):
    stale = _form(issued, amount="3000.00", reference="VIR B")
    _pay(as_vendor_admin, issued, amount="5000.00", reference="VIR A")

    response = as_vendor_admin.post(
        f"/invoices/{issued.id}/payments", data=stale, follow_redirects=True
    )

    assert "changed since you opened the form" in response.get_data(as_text=True)
    assert [payment.reference for payment in _payments(issued)] == ["VIR A"]


def test_the_page_form_carries_the_amount_already_paid(as_vendor_admin, issued):
    _set(issued, amount_paid=Decimal("1500.00"))

    html = as_vendor_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)

    assert 'data-testid="payment-form"' in html
    assert 'name="paid_before" type="hidden" value="1500.00"' in html
    assert 'data-testid="payments-balance-due"' in html and "€46,500.00" in html


def test_the_client_reads_the_payments_without_the_form(as_vendor_admin, as_client_admin, issued):
    _pay(as_vendor_admin, issued, amount="2000.00", reference="VIR 77")

    html = as_client_admin.get(f"/invoices/{issued.id}").get_data(as_text=True)

    assert 'data-testid="payment-rows"' in html and "VIR 77" in html and "€2,000.00" in html
    assert "€46,000.00" in html
    assert 'data-testid="payment-form"' not in html


@pytest.mark.parametrize("status", ["paid", "credited", "settled"])
def test_nothing_is_recorded_on_an_invoice_with_nothing_to_pay(
    make, contract, as_vendor_admin, status
):
    invoice = make.invoice(contract, status=status, issue_date=TODAY)

    response = _pay(as_vendor_admin, invoice, amount="1")

    assert response.status_code == 302
    assert _payments(invoice) == []
    assert 'data-testid="payment-form"' not in as_vendor_admin.get(
        f"/invoices/{invoice.id}"
    ).get_data(as_text=True)


def test_no_payment_on_a_draft(make, contract, as_vendor_admin):
    draft = make.invoice(contract)

    response = _pay(as_vendor_admin, draft, amount="1", follow_redirects=False)

    assert response.status_code == 302
    assert _payments(draft) == []


def test_no_payment_on_a_credit_note(make, contract, as_vendor_admin, issued):
    note = make.invoice(
        contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice_id=issued.id,
        status="issued",
        issue_date=TODAY,
        lines=[(LineKind.CREDIT, "Rate corrected", 1, "100")],
    )

    response = _pay(as_vendor_admin, note, amount="1")

    assert response.status_code == 302
    assert _payments(note) == []


def test_no_payment_on_a_captive_chargeback(app, make, client_org, login):
    centre = make.organization(kind="vendor")
    contract = make.contract(client_org, centre, vat_treatment=VatTreatment.INTERNAL)
    chargeback = make.invoice(contract, status="issued", issue_date=TODAY)
    browser = login(make.member(centre, "finance"), centre)

    response = _pay(browser, chargeback, amount="1", follow_redirects=True)
    html = browser.get(f"/invoices/{chargeback.id}").get_data(as_text=True)

    assert _payments(chargeback) == []
    assert 'data-testid="captive"' in html and 'data-testid="payment-form"' not in html
    with (
        app.test_request_context(),
        organization_context(centre.id),
        pytest.raises(payments.PaymentRuleError, match="settled"),
    ):
        payments.record_payment(
            None, chargeback, {"amount": Decimal(1), "received_on": TODAY, "reference": ""}
        )
    assert response.status_code == 302


def test_a_viewer_may_not_record_a_payment(make, login, vendor_org, issued):
    viewer = login(make.member(vendor_org, "viewer"), vendor_org)

    assert _pay(viewer, issued).status_code == 403
    assert _payments(issued) == []


def test_the_client_and_another_organization_get_404(
    as_client_admin, as_other_client_admin, issued
):
    assert _pay(as_client_admin, issued).status_code == 404
    assert _pay(as_other_client_admin, issued).status_code == 404
    assert _payments(issued) == []


def test_a_vendor_that_received_the_invoice_may_not_record_on_it(make, login, client_org):
    both = make.organization(kind="both")
    invoice = make.invoice(
        make.contract(both, make.organization(kind="vendor")), status="issued", issue_date=TODAY
    )
    browser = login(make.member(both, "admin"), both)

    assert _pay(browser, invoice).status_code == 403


def test_the_operation_never_overpays_even_without_the_form_token(app, issued, vendor_org):
    with app.test_request_context(), organization_context(vendor_org.id):
        payments.record_payment(
            None, issued, {"amount": Decimal("47000"), "received_on": TODAY, "reference": "a"}
        )
        with pytest.raises(payments.PaymentRuleError, match="balance due"):
            payments.record_payment(
                None, issued, {"amount": Decimal("1000.01"), "received_on": TODAY}
            )
    assert issued.amount_paid == Decimal("47000.00")

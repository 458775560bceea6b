"""Demo data of invoicing: a year of invoices between Northwind and its three providers.

Loaded by ``portal.demo.load_demo`` after the contracts demo, through the real
operations (draft from the accepted report, issue with its number, PDF and
e-invoice, approve, dispute, credit, record transfers), dated as they happened:

- Atlas (accounts payable, reverse charge): paid month after month; July was
  disputed over its cycle-time credit and settled by a partial credit note;
  August is approved and partly paid; September is issued and now overdue;
  October's report still waits for Northwind's review, so it is not invoiced;
- Clairval (payroll, French VAT): paid, with a credit note for payslip errors
  in March; September is disputed; October is a draft Clairval has not issued;
- Northwind Shared Services Kraków (general ledger): internal chargebacks
  without VAT, settled on approval; October's waits for approval.

History is not news: the notifications and e-mails these steps would send are
dropped. Created only when the contract has no invoice yet: loading twice
creates nothing twice.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import g, has_app_context
from sqlalchemy import delete, func, select

from billing.models import Invoice
from billing.operations.credit_notes import issue_credit_note
from billing.operations.invoices import draft_invoice_from_report, issue_invoice
from billing.operations.payments import record_payment
from billing.operations.review import approve_invoice, dispute_invoice
from contracts.models import Contract, DeliveryReport, ReportStatus
from contracts.rules import month_end
from portal import db
from portal.models import Notification, Organization, Role, User
from portal.notifications.service import members_of
from portal.tenancy import across_tenants, organization_context

#: Contract titles of the contracts demo, and what happened to each month's invoice
#: (keyed by the month's position from the latest accepted one: 0 = the latest).
PAYABLES = "Accounts payable — purchase-to-pay processing"
PAYROLL = "Payroll — France and Benelux"
LEDGER = "General ledger — record to report"


def load_demo(organizations: dict[str, Organization | None]) -> bool:
    northwind = organizations.get("northwind")
    if northwind is None:
        return False
    with organization_context(northwind.id):
        contracts = {
            contract.title: contract
            for contract in db.session.scalars(
                select(Contract).where(Contract.title.in_([PAYABLES, PAYROLL, LEDGER]))
            )
        }
    if not contracts:
        return False
    first_notification = db.session.scalar(
        across_tenants(select(func.coalesce(func.max(Notification.id), 0)))
    )
    created = False
    for title, story in ((PAYABLES, _payables), (PAYROLL, _payroll), (LEDGER, _ledger)):
        contract = contracts.get(title)
        if contract is not None and not _invoiced(contract):
            story(contract, _reports(contract))
            created = True
    if created:
        # The year's invoices were issued, reviewed and paid long ago: nobody is told now.
        db.session.execute(
            across_tenants(delete(Notification).where(Notification.id > first_notification))
        )
        if has_app_context():
            g.pop("_relais_pending_mail", None)
    db.session.flush()
    return created


def _invoiced(contract: Contract) -> bool:
    with organization_context(contract.vendor_organization_id):
        return (
            db.session.scalar(select(Invoice.id).where(Invoice.contract_id == contract.id))
            is not None
        )


def _reports(contract: Contract) -> list[DeliveryReport]:
    """The contract's accepted reports, oldest first."""
    with organization_context(contract.vendor_organization_id):
        return list(
            db.session.scalars(
                select(DeliveryReport)
                .where(
                    DeliveryReport.contract_id == contract.id,
                    DeliveryReport.status == ReportStatus.ACCEPTED,
                )
                .order_by(DeliveryReport.period)
            )
        )


def _person(organization_id: int, role: Role) -> User:
    return (members_of(organization_id, (role,)) or members_of(organization_id, (Role.ADMIN,)))[0]


def _issued(report: DeliveryReport) -> Invoice:
    """The report's invoice, drafted and issued three days after its month."""
    contract = report.contract
    issuer = _person(contract.vendor_organization_id, Role.FINANCE)
    with organization_context(contract.vendor_organization_id):
        invoice = draft_invoice_from_report(issuer, report)
        return issue_invoice(issuer, invoice, today=month_end(report.period) + timedelta(days=3))


def _approve(invoice: Invoice) -> None:
    with organization_context(invoice.client_organization_id):
        approve_invoice(_person(invoice.client_organization_id, Role.FINANCE), invoice)


def _dispute(invoice: Invoice, reason: str) -> None:
    with organization_context(invoice.client_organization_id):
        dispute_invoice(_person(invoice.client_organization_id, Role.FINANCE), invoice, reason)


def _pay(invoice: Invoice, amount: Decimal | None = None, *, days: int = 25) -> None:
    """A bank transfer received ``days`` after the issue date (the whole balance by default)."""
    with organization_context(invoice.vendor_organization_id):
        record_payment(
            _person(invoice.vendor_organization_id, Role.FINANCE),
            invoice,
            {
                "received_on": invoice.issue_date + timedelta(days=days),
                "amount": amount if amount is not None else invoice.balance_due,
                "reference": f"VIR {invoice.client.slug} {invoice.number}",
            },
        )


def _credit(invoice: Invoice, amount: Decimal, reason: str, description: str) -> Invoice:
    with organization_context(invoice.vendor_organization_id):
        return issue_credit_note(
            _person(invoice.vendor_organization_id, Role.FINANCE),
            invoice,
            {"reason": reason, "mode": "amount", "amount": amount, "description": description},
            today=invoice.issue_date + timedelta(days=12),
        )


def _payables(contract: Contract, reports: list[DeliveryReport]) -> None:
    for age, report in _by_age(reports):
        invoice = _issued(report)
        if age == 0:
            continue  # issued, past its due date: overdue
        _approve_or_dispute_payables(invoice, age)


def _approve_or_dispute_payables(invoice: Invoice, age: int) -> None:
    if age == 2:
        _dispute(
            invoice,
            "The cycle-time credit of July should be 4 % of the fees, as agreed in the "
            "amendment's meeting, not on the capped basis.",
        )
        _credit(
            invoice,
            Decimal("650.00"),
            "Agreed settlement of the July dispute on the cycle-time credit.",
            "Additional service credit, July",
        )
        _pay(invoice, days=40)
        return
    _approve(invoice)
    if age == 1:
        _pay(invoice, (invoice.balance_due / 2).quantize(Decimal("0.01")))
        return
    _pay(invoice)


def _payroll(contract: Contract, reports: list[DeliveryReport]) -> None:
    for age, report in _by_age(reports):
        if age == 0:
            issuer = _person(contract.vendor_organization_id, Role.FINANCE)
            with organization_context(contract.vendor_organization_id):
                draft_invoice_from_report(issuer, report)  # not issued yet
            continue
        invoice = _issued(report)
        if age == 1:
            _dispute(
                invoice,
                "214 payslips of the Dutch entity were produced twice after the September "
                "re-run: please credit them.",
            )
            continue
        if age == 7:
            _approve(invoice)
            _credit(
                invoice,
                Decimal("1185.00"),
                "150 payslips re-issued after errors in the March variable pay.",
                "Payslips re-issued at no charge, March",
            )
            _pay(invoice)
            continue
        _approve(invoice)
        _pay(invoice)


def _ledger(contract: Contract, reports: list[DeliveryReport]) -> None:
    for age, report in _by_age(reports):
        invoice = _issued(report)
        if age > 0:
            _approve(invoice)  # a chargeback is settled on approval


def _by_age(reports: list[DeliveryReport]) -> list[tuple[int, DeliveryReport]]:
    """Each report with its age in months from the latest (0), oldest first."""
    return [(len(reports) - 1 - index, report) for index, report in enumerate(reports)]

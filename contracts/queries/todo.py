"""What needs the organization on its contracts, for its dashboard.

A client reviews submitted reports, sends drafts and sees late reports; a vendor
accepts sent contracts, corrects disputed reports and reports the months
that are over. A constant number of queries, whatever the number of contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.models import Contract, ContractStatus, DeliveryReport, ReportStatus
from contracts.reporting import REPORTABLE_CONTRACT_STATUSES
from contracts.rules import closed_periods
from portal import db
from portal.tenancy import current_organization_id

#: Entries shown per list; the panel says how many more there are.
SHOWN = 6


@dataclass(frozen=True)
class TodoItem:
    contract: Contract
    period: date | None = None
    report_id: int | None = None


@dataclass
class ContractTodo:
    #: Client: submitted reports to accept or dispute; drafts to send; contracts
    #: waiting for the vendor.
    to_review: list[TodoItem] = field(default_factory=list)
    to_send: list[TodoItem] = field(default_factory=list)
    awaiting_vendor: list[TodoItem] = field(default_factory=list)
    #: Vendor: contracts to accept; disputed reports to correct.
    to_accept: list[TodoItem] = field(default_factory=list)
    to_correct: list[TodoItem] = field(default_factory=list)
    #: Both: months over without a submitted report (the client sees them late,
    #: the vendor has them to report).
    late: list[TodoItem] = field(default_factory=list)
    active_count: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.active_count
            or self.to_review
            or self.to_send
            or self.awaiting_vendor
            or self.to_accept
            or self.to_correct
            or self.late
        )


def contract_todo(today: date) -> ContractTodo:
    organization_id = current_organization_id()
    contracts = list(
        db.session.scalars(
            select(Contract)
            .where(Contract.status != ContractStatus.CANCELLED)
            .options(selectinload(Contract.client), selectinload(Contract.vendor))
            .order_by(Contract.start_date, Contract.id)
        )
    )
    todo = ContractTodo()
    if not contracts:
        return todo
    by_id = {contract.id: contract for contract in contracts}
    reports = db.session.execute(
        select(
            DeliveryReport.id,
            DeliveryReport.contract_id,
            DeliveryReport.period,
            DeliveryReport.status,
        )
        .where(DeliveryReport.contract_id.in_(list(by_id)))
        .order_by(DeliveryReport.period)
    ).all()
    reported: set[tuple[int, date]] = set()
    for report_id, contract_id, period, status in reports:
        contract = by_id[contract_id]
        as_client = contract.client_organization_id == organization_id
        if status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
            reported.add((contract_id, period))
        if status is ReportStatus.SUBMITTED and as_client:
            todo.to_review.append(TodoItem(contract, period, report_id))
        if status is ReportStatus.DISPUTED and not as_client:
            todo.to_correct.append(TodoItem(contract, period, report_id))
    for contract in contracts:
        as_client = contract.client_organization_id == organization_id
        if contract.status is ContractStatus.ACTIVE:
            todo.active_count += 1
        if contract.status is ContractStatus.DRAFT and as_client:
            todo.to_send.append(TodoItem(contract))
        if contract.status is ContractStatus.SENT:
            (todo.awaiting_vendor if as_client else todo.to_accept).append(TodoItem(contract))
        if contract.status in REPORTABLE_CONTRACT_STATUSES:
            for period in closed_periods(contract.start_date, contract.last_service_day, today):
                if (contract.id, period) not in reported:
                    todo.late.append(TodoItem(contract, period))
    return todo

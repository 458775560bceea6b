"""What every contract page needs: the contract through the wall, which side the
current organization is on, and the labels of statuses and outcomes."""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    RateKind,
    ReportStatus,
    SlaOutcome,
    VatTreatment,
)
from portal import db
from portal.tenancy import current_organization_id

CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: _l("Draft"),
    ContractStatus.SENT: _l("Awaiting the vendor"),
    ContractStatus.ACTIVE: _l("Active"),
    ContractStatus.EXPIRED: _l("Expired"),
    ContractStatus.TERMINATED: _l("Terminated"),
    ContractStatus.CANCELLED: _l("Cancelled"),
}

#: In their own context: French agrees them with « rapport » (the bid's are « offre »).
REPORT_STATUS_LABELS = {
    ReportStatus.DRAFT: lazy_pgettext("delivery report", "Draft"),
    ReportStatus.SUBMITTED: lazy_pgettext("delivery report", "Submitted"),
    ReportStatus.DISPUTED: lazy_pgettext("delivery report", "Disputed"),
    ReportStatus.ACCEPTED: lazy_pgettext("delivery report", "Accepted"),
    ReportStatus.SUPERSEDED: lazy_pgettext("delivery report", "Superseded"),
}

OUTCOME_LABELS = {
    SlaOutcome.MET: _l("Met"),
    SlaOutcome.BREACHED: _l("Breached"),
    SlaOutcome.CRITICAL: _l("Critical breach"),
    SlaOutcome.MISSING: _l("Not reported"),
}

VAT_TREATMENT_LABELS = {
    VatTreatment.DOMESTIC: _l("Domestic VAT"),
    VatTreatment.REVERSE_CHARGE: _l("Reverse charge (intra-EU services)"),
    VatTreatment.OUT_OF_SCOPE: _l("Out of scope of EU VAT"),
    VatTreatment.INTERNAL: _l("Internal chargeback (no VAT)"),
}

RATE_KIND_LABELS = {
    RateKind.FIXED_MONTHLY: _l("Fixed monthly fee"),
    RateKind.PER_UNIT: _l("Rate per unit"),
}


def contract_or_404(contract_id: int) -> Contract:
    """A contract of which the current organization is a party, with its versions' terms."""
    statement = (
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            selectinload(Contract.versions).selectinload(ContractVersion.rate_lines),
            selectinload(Contract.versions).selectinload(ContractVersion.metrics),
        )
    )
    contract = db.session.scalars(statement).one_or_none()
    if contract is None:
        abort(404)
    return contract


def is_client_of(contract: Contract) -> bool:
    """Whether the current organization is the contract's client (else its vendor)."""
    return contract.client_organization_id == current_organization_id()


def is_vendor_of(contract: Contract) -> bool:
    return contract.vendor_organization_id == current_organization_id()

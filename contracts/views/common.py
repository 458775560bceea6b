"""What every contract page shares: its tabs and the labels of statuses and outcomes."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from contracts import bp
from contracts.queries.common import CONTRACT_STATUS_LABELS, OUTCOME_LABELS, REPORT_STATUS_LABELS

#: The tabs of a contract's pages: (key, endpoint, label).
CONTRACT_TABS = (
    ("terms", "contracts.show", _l("Contract")),
    ("reports", "contracts.reports", _l("Delivery reports")),
    ("results", "contracts.results", _l("SLA results")),
)


@bp.app_template_global()
def contract_tabs(contract) -> list[tuple[str, str, str]]:
    """(key, url, label) of each tab of a contract's pages."""
    return [
        (key, url_for(endpoint, contract_id=contract.id), label)
        for key, endpoint, label in CONTRACT_TABS
    ]


@bp.app_template_global()
def contract_status_label(status) -> str:
    return str(CONTRACT_STATUS_LABELS[status])


@bp.app_template_global()
def report_status_label(status) -> str:
    return str(REPORT_STATUS_LABELS[status])


@bp.app_template_global()
def sla_outcome_label(outcome) -> str:
    return str(OUTCOME_LABELS[outcome])

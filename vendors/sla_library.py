"""Common back-office service levels a client picks from when writing a tender.

Keys are stable (stored in ``TenderSlaRequirement.library_key``); metric names
are translated when shown and copied, in the writer's language, into the tender.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from vendors.models import Better


@dataclass(frozen=True)
class LibrarySla:
    key: str
    metric: LazyString
    unit: str
    target: Decimal
    better: Better
    #: Catalogue functions it usually applies to (empty: any).
    functions: tuple[str, ...] = ()


SLA_LIBRARY: tuple[LibrarySla, ...] = (
    LibrarySla(
        "invoice_accuracy",
        _l("Invoice processing accuracy"),
        "%",
        Decimal("99"),
        Better.HIGHER,
        ("accounts_payable", "accounts_receivable"),
    ),
    LibrarySla(
        "invoice_cycle_time",
        _l("Invoice processing cycle time"),
        "days",
        Decimal("3"),
        Better.LOWER,
        ("accounts_payable",),
    ),
    LibrarySla(
        "payments_on_time",
        _l("Supplier payments made on time"),
        "%",
        Decimal("98"),
        Better.HIGHER,
        ("accounts_payable",),
    ),
    LibrarySla(
        "dso",
        _l("Days sales outstanding"),
        "days",
        Decimal("45"),
        Better.LOWER,
        ("accounts_receivable",),
    ),
    LibrarySla(
        "payroll_on_time",
        _l("Payroll paid on time"),
        "%",
        Decimal("100"),
        Better.HIGHER,
        ("payroll",),
    ),
    LibrarySla(
        "payroll_accuracy",
        _l("Payslip accuracy"),
        "%",
        Decimal("99.5"),
        Better.HIGHER,
        ("payroll",),
    ),
    LibrarySla(
        "close_on_time",
        _l("Month-end close on schedule"),
        "days",
        Decimal("5"),
        Better.LOWER,
        ("general_ledger",),
    ),
    LibrarySla(
        "hr_requests_on_time",
        _l("HR requests completed within agreed time"),
        "%",
        Decimal("95"),
        Better.HIGHER,
        ("hr_administration",),
    ),
    LibrarySla(
        "ticket_first_response",
        _l("Ticket first response time"),
        "hours",
        Decimal("4"),
        Better.LOWER,
        ("it_service_desk",),
    ),
    LibrarySla(
        "ticket_resolution",
        _l("Tickets resolved within target"),
        "%",
        Decimal("90"),
        Better.HIGHER,
        ("it_service_desk",),
    ),
    LibrarySla(
        "first_contact_resolution",
        _l("First contact resolution"),
        "%",
        Decimal("70"),
        Better.HIGHER,
        ("it_service_desk", "customer_support_back_office"),
    ),
    LibrarySla(
        "data_quality",
        _l("Master data accuracy"),
        "%",
        Decimal("99"),
        Better.HIGHER,
        ("data_management",),
    ),
    LibrarySla(
        "document_turnaround",
        _l("Documents processed within 24 hours"),
        "%",
        Decimal("95"),
        Better.HIGHER,
        ("document_processing",),
    ),
    LibrarySla(
        "po_cycle_time",
        _l("Purchase order cycle time"),
        "days",
        Decimal("2"),
        Better.LOWER,
        ("procurement_administration",),
    ),
    LibrarySla(
        "customer_satisfaction",
        _l("Internal customer satisfaction"),
        "%",
        Decimal("85"),
        Better.HIGHER,
    ),
)

_BY_KEY = {sla.key: sla for sla in SLA_LIBRARY}


def library_sla(key: str | None) -> LibrarySla | None:
    return _BY_KEY.get(key) if key else None


def suggested_for(catalogue_key: str | None) -> list[LibrarySla]:
    """Library entries for a catalogue function first, then the general ones."""
    specific = [sla for sla in SLA_LIBRARY if catalogue_key and catalogue_key in sla.functions]
    general = [sla for sla in SLA_LIBRARY if not sla.functions]
    return specific + general

"""The standard back-office functions a client starts its register from.

Keys are stable (stored in ``BackOfficeFunction.catalogue_key`` and used in
URLs); names, descriptions and volume units are translated when shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class CatalogueFunction:
    key: str
    name: LazyString
    description: LazyString
    #: What the monthly volume counts.
    volume_unit: LazyString


CATALOGUE: tuple[CatalogueFunction, ...] = (
    CatalogueFunction(
        "accounts_payable",
        _l("Accounts payable"),
        _l("Receiving, checking, approving and paying supplier invoices."),
        _l("supplier invoices"),
    ),
    CatalogueFunction(
        "accounts_receivable",
        _l("Accounts receivable"),
        _l("Invoicing customers, applying cash and chasing overdue payments."),
        _l("customer invoices"),
    ),
    CatalogueFunction(
        "payroll",
        _l("Payroll"),
        _l("Computing pay, deductions and social charges, and issuing payslips."),
        _l("payslips"),
    ),
    CatalogueFunction(
        "general_ledger",
        _l("General ledger"),
        _l("Journal entries, reconciliations and the monthly close."),
        _l("journal entries"),
    ),
    CatalogueFunction(
        "hr_administration",
        _l("HR administration"),
        _l("Hiring paperwork, contract changes, leave and leavers' files."),
        _l("employee records"),
    ),
    CatalogueFunction(
        "it_service_desk",
        _l("IT service desk"),
        _l("First- and second-line support for employees' IT requests and incidents."),
        _l("tickets"),
    ),
    CatalogueFunction(
        "data_management",
        _l("Data management"),
        _l("Creating and maintaining master data: customers, suppliers, products."),
        _l("records"),
    ),
    CatalogueFunction(
        "document_processing",
        _l("Document processing"),
        _l("Scanning, indexing, extracting and archiving incoming documents."),
        _l("documents"),
    ),
    CatalogueFunction(
        "procurement_administration",
        _l("Procurement administration"),
        _l("Raising purchase orders, supplier onboarding and catalogue upkeep."),
        _l("purchase orders"),
    ),
    CatalogueFunction(
        "customer_support_back_office",
        _l("Customer-support back office"),
        _l("Handling the cases the front line passes on: refunds, claims, corrections."),
        _l("cases"),
    ),
    CatalogueFunction(
        "facilities",
        _l("Facilities"),
        _l("Maintenance requests, moves, mail room and building services."),
        _l("work orders"),
    ),
)

_BY_KEY = {item.key: item for item in CATALOGUE}


def catalogue_function(key: str | None) -> CatalogueFunction | None:
    """The standard function with ``key``, or None for an unknown or empty key."""
    return _BY_KEY.get(key or "")


def catalogue_choices() -> list[tuple[str, str]]:
    return [(item.key, str(item.name)) for item in CATALOGUE]

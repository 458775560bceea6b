"""The dashboard's figures, straight from the register."""

from __future__ import annotations

from decimal import Decimal

from portal.dashboard.queries import BaselineTotal, baseline_totals
from portal.tenancy import organization_context


def test_baseline_totals_are_decimal_per_currency_and_scoped(make, client_org, other_client_org):
    make.function(client_org, name="Accounts payable")
    make.function(client_org, name="Payroll", currency="USD", annual_management=Decimal("120006"))
    make.function(other_client_org, name="Elsewhere")

    with organization_context(client_org.id):
        totals = baseline_totals()

    assert totals == [
        BaselineTotal("EUR", 1, Decimal("70000.00")),
        BaselineTotal("USD", 1, Decimal("70000.50")),
    ]
    assert all(isinstance(total.monthly, Decimal) for total in totals)


def test_no_function_means_no_total(client_org):
    with organization_context(client_org.id):
        assert baseline_totals() == []

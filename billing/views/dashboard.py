"""The billing panel of the dashboard: what needs the member on invoices."""

from __future__ import annotations

from datetime import date

from billing.queries.todo import SHOWN, billing_todo
from portal.dashboard import dashboard_panels
from portal.models import Organization


@dashboard_panels.connect
def billing_panel(organization: Organization, *, today: date):
    todo = billing_todo(organization, today)
    if todo.empty:
        return None
    return "billing/_dashboard_panel.html", {"todo": todo, "shown": SHOWN}

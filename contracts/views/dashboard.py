"""The contracts panel of the dashboard: what needs the member on contracts."""

from __future__ import annotations

from datetime import date

from contracts.queries.todo import SHOWN, contract_todo
from portal.dashboard import dashboard_panels
from portal.models import Organization


@dashboard_panels.connect
def contracts_panel(organization: Organization, *, today: date):
    todo = contract_todo(today)
    if todo.empty:
        return None
    return "contracts/_dashboard_panel.html", {"todo": todo, "shown": SHOWN}

"""The landing page of a logged-in member."""

from blinker import Namespace
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

#: Sent as ``dashboard_panels.send(organization, today=…)`` when the dashboard is
#: drawn. A later package (contracts, billing) answers ``(template, panel)`` to
#: add a panel of what needs the member there, or None; a signal keeps the
#: dependencies pointing one way.
dashboard_panels = Namespace().signal("dashboard-panels")

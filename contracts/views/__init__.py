"""The pages of contracts, delivery reports and SLA results, one module per area
(all on the ``contracts`` blueprint)."""

from contracts.views import common, contracts, dashboard, reports, results  # noqa: F401

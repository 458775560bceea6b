"""The pages of invoicing, one module per area (all on the ``billing`` blueprint)."""

from billing.views import (  # noqa: F401
    dashboard,
    invoices,
    lists,
    overview,
    payments,
    projection,
    review,
    savings,
    savings_report,
    stripe,
)

"""The pages of invoicing, one module per area (all on the ``billing`` blueprint)."""

from billing.views import dashboard, invoices, lists, payments, review, stripe  # noqa: F401

"""Pages of billing: invoices."""

"""Read-only queries of invoices and payments."""

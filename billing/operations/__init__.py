"""Every function that changes invoices, credit notes and payments."""

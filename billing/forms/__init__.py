"""Forms of invoicing: they validate input, they hold no business rules."""

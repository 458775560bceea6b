"""Forms of contracts and delivery reports: they validate input, they hold no business rules."""

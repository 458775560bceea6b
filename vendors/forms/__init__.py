"""Forms of tendering, one module per area."""

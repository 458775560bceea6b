"""Queries of tendering, one module per area."""

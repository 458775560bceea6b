"""Forms of tenders."""

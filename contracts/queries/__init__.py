"""Read-only queries of contracts, reports and results, for views, API and reports."""

"""Pages of billing: dashboard."""

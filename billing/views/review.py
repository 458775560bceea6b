"""Pages of billing: review."""

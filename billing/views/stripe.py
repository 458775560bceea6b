"""Pages of billing: stripe."""

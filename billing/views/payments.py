"""Pages of billing: payments."""

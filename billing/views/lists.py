"""Pages of billing: lists."""

"""Forms of bids."""

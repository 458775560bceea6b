"""Views of bids."""

"""Queries of bids."""

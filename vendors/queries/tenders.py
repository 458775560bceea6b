"""Queries of tenders."""

"""Queries of evaluation."""

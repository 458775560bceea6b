"""Views of tenders."""

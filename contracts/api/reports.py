"""API endpoints of contract reports."""

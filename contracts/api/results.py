"""API endpoints of contract results."""

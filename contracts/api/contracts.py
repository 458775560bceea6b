"""API endpoints of contract contracts."""

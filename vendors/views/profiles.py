"""Views of profiles."""

"""Views of evaluation."""

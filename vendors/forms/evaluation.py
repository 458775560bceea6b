"""Forms of evaluation."""

"""Forms of profiles."""

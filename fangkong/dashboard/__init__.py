"""Dashboard and bulletin."""

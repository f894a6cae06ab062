"""News column."""

"""Safety and environment."""

"""The soak run: faults, retries and reconciliation."""

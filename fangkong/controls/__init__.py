"""Risk levels and control plans."""

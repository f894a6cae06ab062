"""Safety and environment pages (one module per resource: incidents, inspections)."""

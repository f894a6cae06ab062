"""Personal-data protection: field encryption, reveals, the access log."""

"""Privacy notices, consent and the legal basis for processing."""

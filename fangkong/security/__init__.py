"""Web security: sign-in lockout, session timeouts, look-up rate limits, size limits, headers, checks.

See docs/security.md for the threat model and what is enforced where.
"""

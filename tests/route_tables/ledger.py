"""Isolation table for the ledger routes (see tests/test_isolation_routes.py).

Each route of the app goes in PAGES (by URL name) or API (by method and OpenAPI path) with the Call
that reaches an object of E1; new parameters get a Sample in PARAMS.
"""

from .common import Call, Sample  # noqa: F401

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {}
API: dict[tuple[str, str], Call] = {}

"""Per-app tables of how to call each route in the isolation walk (tests/test_isolation_routes.py)."""

from . import checkins, ledger, org
from .common import Call, Sample

PARAMS: dict[str, Sample] = {**org.PARAMS, **checkins.PARAMS, **ledger.PARAMS}
PAGES: dict[str, Call] = {**org.PAGES, **checkins.PAGES, **ledger.PAGES}
API: dict[tuple[str, str], Call] = {**org.API, **checkins.API, **ledger.API}

__all__ = ["API", "PAGES", "PARAMS", "Call", "Sample"]

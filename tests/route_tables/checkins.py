"""Isolation table for the checkins routes (see tests/test_isolation_routes.py).

Each route of the app goes in PAGES (by URL name) or API (by method and OpenAPI path) with the Call
that reaches an object of E1; new parameters get a Sample in PARAMS.
"""

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {}
_CHECKIN = {"id": "0b6f4f7e-3c1a-4a53-9d43-2f1c8f0d6a11", "person": "{employee_no}", "temperature": 36.6}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/rollup"): Call(),
    ("GET", "/api/v1/units/{code}/missing"): Call(),
    ("POST", "/api/v1/checkins"): Call("POST", _CHECKIN),
    ("POST", "/api/v1/checkins/batch"): Call("POST", [_CHECKIN], kind="batch"),
}

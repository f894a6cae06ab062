"""Isolation table for the org pages and the units/check-in API (see tests/test_isolation_routes.py)."""

from .common import Call, Sample

PARAMS = {
    "code": Sample("E1", "NOPE", "E2"),
    "employee_no": Sample("A0001", "NOPE", "C0001"),
}


# Web pages, by URL name.
PAGES = {
    "home": Call(kind="own"),
    "unit_detail": Call(),
    "roster": Call(),
    "roster_export": Call(),
    "import_form": Call(),
    "import_run": Call(
        "POST",
        {"kind": "roster"},
        unserved="needs an uploaded workbook; success in tests/org/test_imports.py",
    ),
}

# API operations, by method and OpenAPI path.
API = {
    ("GET", "/api/v1/units"): Call(kind="own"),
    ("GET", "/api/v1/units/{code}"): Call(),
    ("GET", "/api/v1/units/{code}/people"): Call(),
}

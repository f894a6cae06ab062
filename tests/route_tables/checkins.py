"""Isolation table for the checkins routes (see tests/test_isolation_routes.py).

Each route of the app goes in PAGES (by URL name) or API (by method and OpenAPI path) with the Call
that reaches an object of E1; new parameters get a Sample in PARAMS.
"""

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {
    # H5 page (fangkong.checkins.views.h5): the caller's own check-in; the personal-link route is PUBLIC.
    "h5": Call(kind="own"),
    # proxy entry and personal links (fangkong.checkins.views.proxy)
    "proxy_entry": Call(),
    "proxy_checkin": Call("POST", {"id": "5d0f2a7e-8b8e-4c55-a1d4-0c7e3f1b9a22", "temperature": "36.6"}),
    "link_issue": Call("POST"),
    "link_revoke": Call("POST"),
    # exemptions (fangkong.checkins.views.exemptions)
    "exemption_list": Call(),
    "exemption_add": Call(
        "POST",
        {"employee_no": "{employee_no}", "reason": "leave", "start": "2030-02-01", "end": "2030-02-03"},
    ),
    "exemption_cancel": Call("POST", {"exemption": "1"}),
    # lists (fangkong.checkins.views.lists)
    "checkins_missing": Call(),
    "checkins_missing_export": Call(),
    "checkins_cards": Call(),
    "checkins_cards_export": Call(),
    # day upload (fangkong.checkins.views.upload)
    "checkins_upload": Call(),
    "checkins_upload_run": Call("POST"),
    # health-card rules (fangkong.checkins.views.rules): group admins only, no unit in the URL
    "checkins_rules": Call(kind="group"),
    "checkins_rules_publish": Call("POST", {"fever_at": "37.3"}, kind="group"),
}
_CHECKIN = {"id": "0b6f4f7e-3c1a-4a53-9d43-2f1c8f0d6a11", "person": "{employee_no}", "temperature": 36.6}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/rollup"): Call(),
    ("GET", "/api/v1/units/{code}/missing"): Call(),
    ("GET", "/api/v1/units/{code}/cards"): Call(),
    ("POST", "/api/v1/checkins"): Call("POST", _CHECKIN),
    ("POST", "/api/v1/checkins/batch"): Call("POST", [_CHECKIN], kind="batch"),
}

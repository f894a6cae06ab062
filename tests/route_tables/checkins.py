"""Isolation table for the checkins routes (see tests/test_isolation_routes.py).

Each route of the app goes in PAGES (by URL name) or API (by method and OpenAPI path) with the Call
that reaches an object of E1; new parameters get a Sample in PARAMS.
"""

from typing import cast

from .common import Call, Sample


class _LazyCheckinDay:
    """Today, on which A0001 (E1) and C0001 (the outsider's E2) have checked in: made on first use,
    so that overriding their card of the day has something to override."""

    absent = "2030-01-01"

    def _made(self, employee_no: str) -> str:
        import uuid
        from decimal import Decimal

        from fangkong.checkins.actions import CheckinData, submit_checkin
        from fangkong.checkins.models import CheckIn
        from fangkong.org.models import Person

        person = Person.objects.get(employee_no=employee_no)
        found = CheckIn.objects.filter(person=person).first()
        if found is None:
            found, _ = submit_checkin(
                "test", person, CheckinData(uuid.uuid4(), Decimal("36.6")), source="self"
            )
        return found.day.isoformat()

    @property
    def e1(self) -> str:
        return self._made("A0001")

    @property
    def own(self) -> str:
        return self._made("C0001")


PARAMS: dict[str, Sample] = {"checkin_day": cast(Sample, _LazyCheckinDay())}
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
    "checkins_upload_run": Call(
        "POST", unserved="needs an uploaded day workbook; success proven in tests/checkins/test_upload.py"
    ),
    # health-card rules (fangkong.checkins.views.rules): group admins only, no unit in the URL
    "checkins_rules": Call(kind="group"),
    "checkins_rules_publish": Call("POST", {"fever_at": "37.3"}, kind="group"),
    # a person's card of a day and overriding it (fangkong.checkins.views.overrides)
    "checkin_card": Call(),
    "checkin_override": Call("POST", {"date": "{checkin_day}", "card": "green", "reason": "negative test"}),
}
_CHECKIN = {"id": "0b6f4f7e-3c1a-4a53-9d43-2f1c8f0d6a11", "person": "{employee_no}", "temperature": 36.6}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/rollup"): Call(),
    ("GET", "/api/v1/units/{code}/missing"): Call(),
    ("GET", "/api/v1/units/{code}/cards"): Call(),
    ("POST", "/api/v1/checkins"): Call("POST", _CHECKIN),
    ("POST", "/api/v1/checkins/batch"): Call("POST", [_CHECKIN], kind="batch"),
    ("POST", "/api/v1/checkins/override"): Call(
        "POST",
        {"person": "{employee_no}", "date": "{checkin_day}", "card": "green", "reason": "negative test"},
    ),
}

"""Isolation table for the safety and environment routes (see tests/test_isolation_routes.py).

The samples name objects the personas' world does not have: each is made on first use, in the test's
database, with a fixed uid — on E1 by E1's admin (a self-inspection, so that E1's admin is the
rightful caller of every page), and on E2 by the outsider.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from .common import Call, Sample

ABSENT = "00000000-0000-4000-8000-0000000000ff"
UIDS = {
    "incident": ("5afe0000-0000-4000-8000-0000000000e1", "5afe0000-0000-4000-8000-0000000000e2"),
    "plan": ("5afe0001-0000-4000-8000-0000000000e1", "5afe0001-0000-4000-8000-0000000000e2"),
    "visit": ("5afe0002-0000-4000-8000-0000000000e1", "5afe0002-0000-4000-8000-0000000000e2"),
    "finding": ("5afe0003-0000-4000-8000-0000000000e1", "5afe0003-0000-4000-8000-0000000000e2"),
    "file": ("5afe0004-0000-4000-8000-0000000000e1", "5afe0004-0000-4000-8000-0000000000e2"),
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(delta: timedelta) -> str:
    return (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")


def _make(what: str, which: int) -> str:
    """Create (once per test database) the sample `what` of E1 (which=0) or E2 (which=1)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.org.models import Unit
    from fangkong.safety import actions, checklist
    from fangkong.safety.models import Attachment, Finding, Incident, InspectionPlan, Visit

    uid = UIDS[what][which]
    models = {
        "incident": Incident,
        "plan": InspectionPlan,
        "visit": Visit,
        "finding": Finding,
        "file": Attachment,
    }
    if models[what].objects.filter(uid=uid).exists():
        return uid
    code, username = ("E1", "e1_admin") if which == 0 else ("E2", "outsider")
    unit = Unit.objects.get(code=code)
    actor = get_user_model().objects.get(username=username)
    if what == "incident":
        made = actions.report_incident(
            actor,
            unit=unit,
            kind="injury_minor",
            occurred_at=_local(timedelta(hours=-2)),
            place="车间",
            description="手指划伤",
        )
    elif what == "plan":
        made = actions.create_plan(
            actor,
            unit=unit,
            title="督查",
            starts_on=datetime.now().date(),
            ends_on=datetime.now().date(),
            units=[unit],
        )
    elif what == "visit":
        made = actions.record_visit(
            actor,
            unit=unit,
            visited_at=_local(timedelta(hours=-1)),
            results={a.code: ("ok", "") for a in checklist.aspects()},
            self_inspection=True,
        )
    elif what == "finding":
        visit = Visit.objects.get(uid=_make("visit", which))
        made = actions.add_finding(
            actor, visit, description="消毒记录缺失", deadline=_local(timedelta(days=7))
        )
        Finding.objects.filter(pk=made.pk).update(uid=uid)
        return uid
    else:
        finding = Finding.objects.get(uid=_make("finding", which))
        photo = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
        actions.reinspect(actor, finding, resolved=False, note="未整改", files=[photo])
        made = Attachment.objects.filter(finding=finding).latest("pk")
    type(made).objects.filter(pk=made.pk).update(uid=uid)
    return uid


class _Lazy:
    absent = ABSENT

    def __init__(self, what: str):
        self.what = what

    @property
    def e1(self) -> str:
        return _make(self.what, 0)

    @property
    def own(self) -> str:
        return _make(self.what, 1)


PARAMS: dict[str, Sample] = {
    f"{what}_uid": cast(Sample, _Lazy(what)) for what in ("incident", "plan", "visit", "finding", "file")
}

_UNIT = {"unit": "{code}"}
_CHECKLIST = {
    f"check_{code}": "ok"
    for code in (
        "entry_screening",
        "masks_ppe",
        "canteens",
        "dormitories",
        "shuttle_transport",
        "meetings_gatherings",
        "visitors_contractors",
        "cleaning_disinfection",
        "isolation_rooms",
        "supply_reserves",
        "emergency_plans_drills",
        "travel_approval",
        "cross_region_personnel",
        "information_reporting",
        "health_monitoring",
    )
}

PAGES: dict[str, Call] = {
    "safety_summary": Call("GET", _UNIT),
    "safety_incidents": Call("GET", _UNIT),
    "safety_incidents_export": Call("GET", _UNIT),
    "safety_incident_new": Call(
        "POST",
        {
            **_UNIT,
            "kind": "injury_minor",
            "occurred_at": _local(timedelta(hours=-1)),
            "place": "仓库",
            "description": "搬运时扭伤",
        },
    ),
    "safety_incident": Call(),
    "safety_incident_follow_up": Call(
        "POST", {"what": "corrective", "title": "加装护栏", "due_at": _local(timedelta(days=30))}
    ),
    "safety_limits": Call("POST", {"serious_minutes": "60", "other_minutes": "1440"}, kind="group"),
    "safety_plans": Call("GET", _UNIT),
    "safety_plans_export": Call("GET", _UNIT),
    "safety_plan_new": Call(
        "POST",
        {**_UNIT, "title": "二月督查", "starts_on": "2026-02-01", "ends_on": "2026-02-28", "units": "{code}"},
    ),
    "safety_plan": Call(),
    "safety_visits": Call("GET", _UNIT),
    "safety_visits_export": Call("GET", _UNIT),
    "safety_visit_new": Call("POST", {**_UNIT, "visited_at": _local(timedelta(hours=-1)), **_CHECKLIST}),
    "safety_visit": Call(),
    "safety_finding_new": Call("POST", {"description": "灭火器过期", "deadline": _local(timedelta(days=7))}),
    "safety_findings": Call("GET", _UNIT),
    "safety_findings_export": Call("GET", _UNIT),
    "safety_finding": Call(),
    "safety_reinspect": Call("POST", {"resolved": "no", "note": "仍未整改"}),
    "safety_attachment": Call(),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/incidents"): Call(),
    ("POST", "/api/v1/units/{code}/incidents"): Call(
        "POST",
        {
            "kind": "fire",
            "occurred_at": _local(timedelta(minutes=-30)),
            "place": "配电室",
            "description": "线路起火",
        },
    ),
    ("GET", "/api/v1/units/{code}/incident-summary"): Call(),
    ("GET", "/api/v1/units/{code}/inspections"): Call(),
}

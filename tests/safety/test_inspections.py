"""Supervision: plans, visits with the 15-aspect checklist, findings with files as ledger items, and
re-inspection closing them; who may do what."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.ledger.models import CloseReason, Event, Item, Kind, State
from fangkong.safety import checklist
from fangkong.safety.models import Attachment, Finding, InspectionPlan, Visit

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _wall(delta: timedelta) -> str:
    return (timezone.now().astimezone(ZoneInfo("Asia/Shanghai")) + delta).strftime("%Y-%m-%dT%H:%M")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _visit(client: Client, unit: str = "E1", issues: tuple[str, ...] = (), **extra) -> Visit:
    form = {"unit": unit, "visited_at": _wall(-timedelta(hours=1)), "summary": "检查完成", **extra}
    for aspect in checklist.aspects():
        form[f"check_{aspect.code}"] = "issue" if aspect.code in issues else "ok"
    response = client.post(reverse("safety_visit_new"), form)
    assert response.status_code == 303, response.content.decode()[:2000]
    return Visit.objects.latest("pk")


def test_the_default_checklist_is_the_15_control_aspects_in_two_languages():
    aspects = checklist.aspects()
    assert len(aspects) == 15 == len({a.code for a in aspects})
    assert all(a.zh and a.en for a in aspects)
    assert aspects[0].en == "Entry screening and temperature checks"


@pytest.mark.django_db
def test_findings_become_ledger_items_and_a_reinspection_closes_them(w):
    inspector = _client(w.inspector)
    visit = _visit(inspector, issues=("masks_ppe",))
    assert not visit.self_inspection and visit.inspector == w.inspector
    assert visit.checklist.count() == 15
    assert visit.checklist.get(aspect="masks_ppe").result == "issue"

    deadline = _wall(timedelta(days=3))
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = inspector.post(
        reverse("safety_finding_new", args=[visit.uid]),
        {"aspect": "masks_ppe", "description": "二车间多人未戴口罩", "deadline": deadline, "files": [photo]},
    )
    assert response.status_code == 303
    finding = Finding.objects.get()
    item = finding.item
    assert (item.kind, item.state, item.owner) == (Kind.INSPECTION_FINDING, State.OPEN, w.enterprise_admin)
    assert item.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M") == deadline
    attachment = Attachment.objects.get()
    assert attachment.name == "现场.png" and attachment.content_type == "image/png"
    assert not attachment.file.name.endswith("现场.png")  # stored under a random name

    # the enterprise's officer sees the finding and its photo; the outsider gets 404 for both
    officer = _client(w.enterprise_admin)
    assert b"".join(officer.get(reverse("safety_attachment", args=[attachment.uid])).streaming_content) == PNG
    outsider = _client(w.outsider)
    assert outsider.get(reverse("safety_finding", args=[finding.uid])).status_code == 404
    assert outsider.get(reverse("safety_attachment", args=[attachment.uid])).status_code == 404
    # an inspector's finding is not closed by the inspected enterprise itself
    assert (
        officer.post(reverse("safety_reinspect", args=[finding.uid]), {"resolved": "yes"}).status_code == 403
    )

    reinspect = reverse("safety_reinspect", args=[finding.uid])
    later = _wall(timedelta(days=10))
    response = inspector.post(reinspect, {"resolved": "no", "note": "仍有人未戴", "new_deadline": later})
    assert response.status_code == 303
    item.refresh_from_db()
    assert item.state == State.IN_PROGRESS
    assert item.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M") == later

    response = inspector.post(reinspect, {"resolved": "yes", "note": "已整改"})
    assert response.status_code == 303
    item.refresh_from_db()
    assert (item.state, item.close_reason) == (State.CLOSED, CloseReason.RESOLVED)
    assert item.events.filter(type=Event.Type.CLOSED).exists()
    assert [r.resolved for r in finding.rechecks.all()] == [False, True]
    # closed once: a second re-inspection is refused, nothing changes
    assert inspector.post(reinspect, {"resolved": "yes"}).status_code in (403, 409)


@pytest.mark.django_db
def test_a_self_inspection_by_the_enterprise_is_closed_by_its_admin(w):
    officer = _client(w.enterprise_admin)
    visit = _visit(officer, unit="E1-G2")
    assert visit.self_inspection
    officer.post(
        reverse("safety_finding_new", args=[visit.uid]),
        {"description": "灭火器过期", "deadline": _wall(timedelta(days=1))},
    )
    finding = Finding.objects.get()
    assert (
        officer.post(reverse("safety_reinspect", args=[finding.uid]), {"resolved": "yes"}).status_code == 303
    )
    assert Item.objects.get().state == State.CLOSED


@pytest.mark.django_db
def test_bad_findings_and_visits_are_refused_beside_the_field(w):
    inspector = _client(w.inspector)
    form = {"unit": "E1", "visited_at": _wall(-timedelta(hours=1))}  # no checklist answers
    response = inspector.post(reverse("safety_visit_new"), form)
    assert response.status_code == 400 and 'id="form-error"' in response.content.decode()
    visit = _visit(inspector)
    url = reverse("safety_finding_new", args=[visit.uid])
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    for data in (
        {"description": "x", "deadline": _wall(-timedelta(hours=1))},
        {"description": "", "deadline": _wall(timedelta(days=1))},
        {"description": "x", "deadline": _wall(timedelta(days=1)), "files": [exe]},
    ):
        assert inspector.post(url, data).status_code == 400
    assert not Finding.objects.exists() and not Item.objects.exists() and not Attachment.objects.exists()
    # a grid leader does not record visits
    assert _client(w.grid_leader).get(reverse("safety_visit_new"), {"unit": "E1-G1"}).status_code == 404


@pytest.mark.django_db
def test_plans_name_units_of_the_subtree_and_its_inspectors(w):
    group_admin = _client(w.group_admin)
    response = group_admin.post(
        reverse("safety_plan_new"),
        {
            "unit": "S1",
            "title": "二月安全环保督查",
            "starts_on": "2026-02-01",
            "ends_on": "2026-02-28",
            "units": ["E1", "E2"],
            "inspectors": ["inspector", "tracker"],
        },
    )
    assert response.status_code == 303
    plan = InspectionPlan.objects.get()
    assert sorted(u.code for u in plan.units.all()) == ["E1", "E2"]
    assert [u.username for u in plan.inspectors.all()] == ["inspector"]  # only inspectors are inspectors
    # the inspector named on it sees the plan and records a visit against it
    inspector = _client(w.inspector)
    assert inspector.get(reverse("safety_plan", args=[plan.uid])).status_code == 200
    visit = _visit(inspector, plan=str(plan.uid))
    assert visit.plan == plan
    bad = group_admin.post(
        reverse("safety_plan_new"),
        {"unit": "S1", "title": "x", "starts_on": "2026-02-10", "ends_on": "2026-02-01", "units": ["E1"]},
    )
    assert bad.status_code == 400
    # E1's admin cannot put E2 into a plan of its own
    e1 = _client(w.enterprise_admin).post(
        reverse("safety_plan_new"),
        {"unit": "E1", "title": "x", "starts_on": "2026-02-01", "ends_on": "2026-02-02", "units": ["E2"]},
    )
    assert e1.status_code == 400 and InspectionPlan.objects.count() == 1

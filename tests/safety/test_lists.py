"""Every list is scoped and exports XLSX; the API lists of the integration contract."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.org.actions import create_token
from fangkong.safety import actions, checklist
from fangkong.safety.models import Incident

LISTS = ("safety_incidents", "safety_plans", "safety_visits", "safety_findings")
EXPORTS = ("safety_incidents_export", "safety_plans_export", "safety_visits_export", "safety_findings_export")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _wall(delta: timedelta) -> str:
    return (timezone.now().astimezone(ZoneInfo("Asia/Shanghai")) + delta).strftime("%Y-%m-%dT%H:%M")


def _data(w) -> None:
    """One of everything on E1 (by its admin and its inspector) and on E2 (by the outsider)."""
    for actor, unit in ((w.enterprise_admin, w.grid1), (w.outsider, w.e2)):
        actions.report_incident(
            actor,
            unit=unit,
            kind="injury_minor",
            occurred_at=_wall(-timedelta(hours=1)),
            place="仓库",
            description="扭伤",
        )
        enterprise = unit.enterprise
        plan = actions.create_plan(
            actor,
            unit=enterprise,
            title=f"{enterprise.code} 督查",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            units=[enterprise],
        )
        visit = actions.record_visit(
            w.inspector if unit == w.grid1 else actor,
            unit=unit,
            visited_at=_wall(-timedelta(hours=1)),
            results={a.code: ("ok", "") for a in checklist.aspects()},
            plan=plan,
        )
        actions.add_finding(
            actor, visit, description=f"{enterprise.code} 问题", deadline=_wall(timedelta(days=2))
        )


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_every_list_exports_xlsx_of_the_callers_scope_only(w, name):
    _data(w)
    rows = _xlsx(_client(w.enterprise_admin).get(reverse(name), {"unit": "E1"}))
    assert len(rows) == 2  # header + E1's one
    assert "E1" in " ".join(str(c) for c in rows[1])
    group_rows = _xlsx(_client(w.group_admin).get(reverse(name)))
    assert len(group_rows) == 3
    outsider = _client(w.outsider)
    assert outsider.get(reverse(name), {"unit": "E1"}).status_code == 404
    own = _xlsx(outsider.get(reverse(name)))
    assert len(own) == 2 and "E1" not in " ".join(str(c) for c in own[1]).replace("E1-", "")


@pytest.mark.django_db
def test_exports_follow_the_language(w):
    _data(w)
    client = _client(w.enterprise_admin)
    english = _xlsx(client.get(reverse("safety_incidents_export"), HTTP_ACCEPT_LANGUAGE="en"))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = _xlsx(client.get(reverse("safety_incidents_export")))
    assert english[0][0] == "id" and chinese[0][0] == "编号"


@pytest.mark.django_db
@pytest.mark.parametrize("name", LISTS)
def test_every_list_page_is_scoped(w, name):
    _data(w)
    e1 = _client(w.enterprise_admin).get(reverse(name), {"unit": "E1"}).content.decode()
    assert "第一企业" in e1 or "E1" in e1
    outsider = _client(w.outsider)
    assert outsider.get(reverse(name), {"unit": "E1"}).status_code == 404
    own = outsider.get(reverse(name)).content.decode()
    for marker in ("第一企业", "一车间", "E1 督查", "E1 问题"):
        assert marker not in own


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


@pytest.mark.django_db
def test_api_lists_incidents_and_inspections_of_the_subtree_paged(w):
    _data(w)
    group = _api(w.group_admin)
    body = group.get("/api/v1/units/G/incidents").json()
    assert body["count"] == 2 and {i["enterprise"] for i in body["items"]} == {"E1", "E2"}
    e1 = group.get("/api/v1/units/E1/incidents").json()
    assert e1["count"] == 1 and e1["items"][0]["unit"] == "E1-G1" and e1["items"][0]["late"] is False
    inspections = group.get("/api/v1/units/E1/inspections").json()
    assert inspections["count"] == 1
    assert inspections["items"][0]["findings"] == 1 and inspections["items"][0]["open_findings"] == 1
    assert group.get("/api/v1/units/E1/incidents", {"page": 2}).json() == {"items": [], "count": 1}
    outsider = _api(w.outsider)
    for path in ("/api/v1/units/E1/incidents", "/api/v1/units/E1/inspections"):
        assert outsider.get(path).status_code == 404
        assert outsider.get(path).content == outsider.get(path.replace("E1", "NOPE")).content


@pytest.mark.django_db
def test_api_reports_an_incident_and_refuses_bad_input_by_field(w):
    client = _api(w.enterprise_admin)
    body = {
        "kind": "injury_serious",
        "occurred_at": _wall(-timedelta(minutes=90)),
        "place": "码头",
        "description": "砸伤",
    }
    response = client.post("/api/v1/units/E1-G1/incidents", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["late"] is True and response.json()["serious"] is True
    future = {**body, "occurred_at": _wall(timedelta(hours=2))}
    response = client.post("/api/v1/units/E1/incidents", json.dumps(future), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "occurred_at"
    extra = {**body, "severity": "high"}
    assert (
        client.post(
            "/api/v1/units/E1/incidents", json.dumps(extra), content_type="application/json"
        ).status_code
        == 422
    )
    assert Incident.objects.count() == 1
    # The figures of the incident's local day: 90 minutes ago is last month just after midnight on the 1st.
    day = body["occurred_at"][:10]
    summary = client.get("/api/v1/units/E1/incident-summary", {"date": day}).json()
    assert (summary["serious_30d"], summary["clean_month"]) == (1, False)
    assert summary["days_without_serious"] == 0
    # an inspector reads incidents but does not report them
    inspector = _api(w.inspector)
    assert inspector.get("/api/v1/units/E1/incidents").json()["count"] == 1
    assert (
        inspector.post(
            "/api/v1/units/E1/incidents", json.dumps(body), content_type="application/json"
        ).status_code
        == 403
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_pages_read_in_chinese_with_the_15_aspects(w):
    client = _client(w.inspector)
    body = client.get(
        reverse("safety_visit_new"), {"unit": "E1"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "检查表：15 个防控方面" in body
    assert body.count('class="check-line"') == 15 and "入口筛查与测温" in body and "健康监测" in body
    summary = client.get(
        reverse("safety_summary"), {"unit": "E1"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "无重大事件天数" in summary and "突发环境事件：Ⅳ级（一般）" in summary

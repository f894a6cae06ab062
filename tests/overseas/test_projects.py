"""Overseas projects: plan versions kept, drills, and plan activation when a country's risk rises."""

import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from fangkong.ledger.models import Event, Item, Kind, State
from fangkong.org.actions import ActionError, create_token
from fangkong.overseas import actions
from fangkong.overseas.hooks import on_country_risk_changed
from fangkong.overseas.models import Project

pytestmark = pytest.mark.django_db


def project(w, *, enterprise=None, country="PK", status="active", owner=None, name="卡拉奇电站项目"):
    return actions.create_project(
        w.enterprise_admin,
        enterprise=enterprise or w.e1,
        name=name,
        country=country,
        timezone_name="Asia/Karachi",
        staff_cn=42,
        staff_local=310,
        status=status,
        owner=owner,
    )


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def activations():
    return Item.objects.filter(kind=Kind.PLAN_ACTIVATION)


def test_a_risk_rise_makes_the_plan_activation_a_ledger_item_for_the_owner(w):
    p = project(w, owner=w.tracker)
    actions.add_plan_version(w.enterprise_admin, p, title="疫情防控应急预案", text="一、组织机构")
    project(w, name="已完工项目", status="completed")
    other = project(w, country="KZ", name="阿拉木图项目")
    items = on_country_risk_changed("controls", "PK", "low", "high")
    assert len(items) == 1
    item = activations().get()
    assert item.owner == w.tracker and item.unit == w.e1 and item.state == State.OPEN
    assert item.detail == {
        "project": str(p.uid),
        "country": "PK",
        "from": "low",
        "to": "high",
        "plan_version": 1,
    }
    assert "卡拉奇电站项目" in item.title
    assert not activations().filter(detail__project=str(other.uid)).exists()


def test_without_an_owner_the_enterprise_officer_gets_the_item(w):
    project(w)
    on_country_risk_changed("controls", "PK", "medium", "high")
    assert activations().get().owner == w.enterprise_admin


def test_a_fall_or_no_change_activates_nothing(w):
    project(w)
    assert on_country_risk_changed("controls", "PK", "high", "medium") == []
    assert on_country_risk_changed("controls", "PK", "medium", "medium") == []
    assert on_country_risk_changed("controls", "CN", "low", "high") == []  # not a country region here
    assert not activations().exists()


def test_a_second_rise_keeps_one_open_item_and_notes_it(w):
    project(w)
    on_country_risk_changed("controls", "PK", "low", "medium")
    on_country_risk_changed("controls", "PK", "medium", "high")
    item = activations().get()
    assert item.state == State.IN_PROGRESS
    assert Event.objects.filter(item=item, type=Event.Type.FOLLOW_UP).count() == 1


def test_plan_versions_are_kept_and_numbered(w):
    p = project(w)
    actions.add_plan_version(w.enterprise_admin, p, title="预案", text="第一版")
    actions.add_plan_version(
        w.enterprise_admin, p, title="预案", file_name="plan.pdf", file_data=b"%PDF-1.4 x"
    )
    assert list(p.plans.order_by("version").values_list("version", "text", "file_name")) == [
        (1, "第一版", ""),
        (2, "", "plan.pdf"),
    ]
    with pytest.raises(ActionError) as exc:
        actions.add_plan_version(w.enterprise_admin, p, title="空的")
    assert exc.value.field == "text"


def test_bad_input_names_the_field(w):
    for kwargs, field in (
        ({"country": "XX"}, "country"),
        ({"country": "110105"}, "country"),
        ({"status": "flying"}, "status"),
    ):
        with pytest.raises(ActionError) as exc:
            project(w, **kwargs)
        assert exc.value.field == field
    with pytest.raises(ActionError) as exc:
        actions.create_project(
            w.enterprise_admin, enterprise=w.e1, name="x", country="PK", timezone_name="Mars/Base"
        )
    assert exc.value.field == "timezone"


def test_the_officer_walks_a_project_through_the_pages(w):
    c = client_for(w.enterprise_admin)
    r = c.post(
        "/overseas/units/E1/projects/",
        {
            "name": "雅加达地铁项目",
            "country": "ID",
            "timezone": "Asia/Jakarta",
            "staff_cn": "12",
            "staff_local": "80",
        },
    )
    assert r.status_code == 303
    p = Project.objects.get(name="雅加达地铁项目")
    url = f"/overseas/projects/{p.uid}/"
    assert c.post(url + "plans/", {"title": "应急预案", "text": "隔离点设置"}).status_code == 303
    assert (
        c.post(
            url + "drills/",
            {"scenario": "疑似病例转运", "participants": "15", "findings": "隔离点缺少体温计"},
        ).status_code
        == 303
    )
    bad = c.post(url + "drills/", {"scenario": "", "participants": "x"})
    assert bad.status_code == 400 and 'id="error-scenario"' in bad.content.decode()
    page = c.get(url).content.decode()
    assert "隔离点缺少体温计" in page and "v1" in page
    assert c.get(url + "plans/1/").status_code == 200
    assert client_for(w.segment_admin).post(url + "drills/", {"scenario": "x"}).status_code == 403
    export = c.get("/overseas/projects.xlsx?unit=E1")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[1][2] == "雅加达地铁项目" and rows[1][9] == 1


def test_api_lists_projects_of_the_subtree(w):
    project(w)
    project(w, enterprise=w.e2, name="E2 项目")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.segment_admin)}")
    body = api.get("/api/v1/units/E1/projects").json()
    assert (
        body["count"] == 1 and body["items"][0]["country"] == "PK" and body["items"][0]["staff_local"] == 310
    )
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.outsider)}")
    assert outsider.get("/api/v1/units/E1/projects").status_code == 404


def test_the_group_raising_a_countrys_level_activates_its_projects_plans(w):
    p = project(w, owner=w.tracker)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.group_admin)}")
    body = {"level": "high", "effective_from": timezone.localdate().isoformat()}
    resp = c.put("/api/v1/regions/PK/risk", body, content_type="application/json")
    assert resp.status_code == 200, resp.content
    item = activations().get()
    assert item.detail["project"] == str(p.uid) and item.detail["to"] == "high" and item.owner == w.tracker

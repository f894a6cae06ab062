"""Isolation table for the overseas projects routes (see tests/test_isolation_routes.py).

The `project_uid` sample names a project the personas' world does not have: it is made on first use,
in the test's database, with a fixed uid (one of E1 with a plan version, one of E2)."""

from __future__ import annotations

from typing import cast

from .common import Call, Sample

E1_PROJECT = "8b3c4d5e-0e4b-4d8e-9a53-1e2b3c4d5e01"
E2_PROJECT = "8b3c4d5e-0e4b-4d8e-9a53-1e2b3c4d5e02"
ABSENT_PROJECT = "00000000-0000-4000-8000-0000000000e0"


def _project(uid: str, unit_code: str) -> str:
    from fangkong.org.models import Unit
    from fangkong.overseas import actions
    from fangkong.overseas.models import Project

    if not Project.objects.filter(uid=uid).exists():
        project = actions.create_project(
            "test",
            enterprise=Unit.objects.get(code=unit_code),
            name=f"{unit_code} 卡拉奇电站项目",
            country="PK",
            timezone_name="Asia/Karachi",
            staff_cn=40,
            staff_local=300,
        )
        actions.add_plan_version("test", project, title="疫情防控应急预案", text="一、组织机构")
        Project.objects.filter(pk=project.pk).update(uid=uid)
    return uid


class _LazyProject:
    absent = ABSENT_PROJECT

    @property
    def e1(self) -> str:
        return _project(E1_PROJECT, "E1")

    @property
    def own(self) -> str:
        return _project(E2_PROJECT, "E2")


PARAMS: dict[str, Sample] = {
    "project_uid": cast(Sample, _LazyProject()),
    "version": Sample("1", "1", "1"),
}

_UNIT = {"unit": "{code}"}

PAGES: dict[str, Call] = {
    "overseas_projects": Call("GET", _UNIT),
    "overseas_export": Call("GET", _UNIT),
    "overseas_create": Call("POST", {"name": "新项目", "country": "PK", "timezone": "Asia/Karachi"}),
    "overseas_project": Call(),
    "overseas_update": Call("POST", {"status": "suspended", "staff_cn": "10", "staff_local": "20"}),
    "overseas_add_staff": Call("POST", {"name": "Ahmed", "origin": "local"}),
    "overseas_add_plan": Call("POST", {"title": "预案", "text": "第二版"}),
    "overseas_plan": Call(),
    "overseas_add_drill": Call("POST", {"scenario": "疑似病例隔离转运", "participants": "12"}),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/projects"): Call(),
}

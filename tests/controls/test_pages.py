"""Pages: the import (all or nothing, every bad row named), the group drill-down to those not
resumed, publishing a policy version, attesting with an error beside the field, group-only pages."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fangkong.controls import actions, operating, queries
from fangkong.controls.models import ControlPlan, PolicyVersion, RiskLevel


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("levels.csv", text.encode("utf-8"), content_type="text/csv")


def test_import_reports_every_bad_row_and_saves_nothing(w):
    c = client_for(w.group_admin)
    bad = (
        "地区,风险等级,生效日期\n110105,高,2026-03-01\n不存在区,中,2026-03-01\n"
        "420106,severe,2026-03-01\n420106,低,03/01\n"
    )
    response = c.post("/controls/regions/import/", {"file": csv(bad)})
    assert response.status_code == 400
    body = response.content.decode()
    for where in ("levels!3", "levels!4", "levels!5"):
        assert where in body
    assert "effective_from" in body and "level" in body
    assert not RiskLevel.objects.exists()

    good = "region,level,effective_from\n110105,高风险,2020-03-01\n武昌区,medium,2020-03-01\n"
    response = c.post("/controls/regions/import/", {"file": csv(good)})
    assert response.status_code == 303
    assert set(RiskLevel.objects.values_list("region_id", "level", "source")) == {
        ("110105", "high", "import"),
        ("420106", "medium", "import"),
    }
    assert ControlPlan.objects.get(enterprise=w.e1, current=True).level == "high"
    assert ControlPlan.objects.get(enterprise=w.e2, current=True).level == "medium"


def test_group_drills_down_to_the_enterprises_not_resumed(w):
    operating.set_operating_status(
        w.outsider, w.e2, status="suspended", effective_from=date(2020, 1, 1), reason="设备检修"
    )
    c = client_for(w.group_admin)
    body = c.get("/controls/units/G/operations/").content.decode()
    assert 'id="ops-summary"' in body and "2" in body and "50.0" in body
    assert "设备检修" in body and "outsider" in body and "/controls/units/S1/operations/" in body
    # the segment admin sees its segment; the outsider sees only its own enterprise
    assert client_for(w.segment_admin).get("/controls/units/S1/operations/").status_code == 200
    assert client_for(w.outsider).get("/controls/units/G/operations/").status_code == 404


def test_group_pages_are_for_the_group_admin(w):
    for user in (w.segment_admin, w.enterprise_admin, w.outsider):
        c = client_for(user)
        assert c.get("/controls/regions/").status_code == 404
        assert c.get("/controls/policy/").status_code == 404
        assert c.post("/controls/units/E1/override/", {"level": "high"}).status_code == 404
    assert client_for(w.group_admin).get("/controls/regions/110105/").status_code == 200


def test_publishing_the_edited_policy_makes_a_version_and_replans(w):
    actions.sync_plans("system", [w.e1, w.e2])  # their first plans, under version 1
    c = client_for(w.group_admin)
    page = c.get("/controls/policy/")
    assert page.status_code == 200
    policy = queries.current_policy()
    data = {"attest_hours": "24", "note": "食堂措施收紧"}
    for m in policy.measures.all():
        data[f"m-{m.pk}-aspect"] = m.aspect
        data[f"m-{m.pk}-code"] = m.code
        data[f"m-{m.pk}-text"] = m.text
        data[f"m-{m.pk}-text_en"] = m.text_en
        data[f"m-{m.pk}-level"] = "low" if m.code == "canteen.single_seat" else m.min_level
    assert c.post("/controls/policy/publish/", data).status_code == 303
    assert PolicyVersion.objects.order_by("-version").first().version == 2
    plan = ControlPlan.objects.get(enterprise=w.e1, current=True)
    assert (plan.policy.version, plan.reason, plan.added) == (2, "policy", ["canteen.single_seat"])
    entry = [k for k, v in data.items() if k.endswith("-aspect") and v == "entry"]
    for k in entry:  # dropping every measure of an aspect is refused
        data[k.replace("-aspect", "-text")] = ""
    response = c.post("/controls/policy/publish/", data)
    assert response.status_code == 400 and "entry" in response.content.decode()


def test_attest_errors_show_beside_the_measure_and_the_rightful_roles(w):
    c = client_for(w.enterprise_admin)
    assert c.get("/controls/units/E1/").status_code == 200
    response = c.post("/controls/units/E1/attest/entry.temperature/", {"state": "not_applicable"})
    assert response.status_code == 400
    assert 'id="form-error"' in response.content.decode()
    ok = c.post(
        "/controls/units/E1/attest/entry.temperature/",
        {"state": "done", "evidence": SimpleUploadedFile("gate.png", b"png")},
    )
    assert ok.status_code == 303
    got = c.get("/controls/units/E1/evidence/1/entry.temperature/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"png"
    bad = c.post(
        "/controls/units/E1/attest/entry.single_gate/",
        {"state": "done", "evidence": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert bad.status_code == 404  # not required at low: not in the plan
    # the segment admin reads the plan but does not attest for the enterprise
    assert (
        client_for(w.segment_admin)
        .post("/controls/units/E1/attest/entry.temperature/", {"state": "done"})
        .status_code
        == 403
    )
    assert client_for(w.grid_leader).get("/controls/units/E1/").status_code == 404

"""The integration-contract calls: PUT a region's level (group admin only), an enterprise's controls,
operations with the drill-down to those not resumed."""

import json
from datetime import date

from django.test import Client

from fangkong.controls import operating
from fangkong.controls.models import ControlPlan, RiskLevel
from fangkong.org.actions import create_token

DAY = date(2026, 3, 1)


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def put(client: Client, code: str, body: dict):
    return client.put(f"/api/v1/regions/{code}/risk", data=json.dumps(body), content_type="application/json")


def test_put_risk_sets_the_level_and_replans_in_the_same_request(w):
    response = put(bearer(w.group_admin), "110105", {"level": "high", "effective_from": "2020-02-01"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["region"], body["level"], body["source"], body["enterprises_replanned"]) == (
        "110105",
        "high",
        "api",
        1,
    )
    assert ControlPlan.objects.get(enterprise=w.e1, current=True).level == "high"

    controls = bearer(w.enterprise_admin).get("/api/v1/units/E1/controls").json()
    assert (controls["level"], controls["region"], controls["source"]) == ("high", "110105", "region:110105")
    assert {m["aspect"] for m in controls["measures"]} >= {"entry", "canteen", "health"}
    assert {m["state"] for m in controls["measures"]} == {"pending"}
    assert len(controls["measures"]) == 40


def test_put_risk_refuses_everyone_but_the_group_admin_and_bad_input(w):
    for user in (w.segment_admin, w.enterprise_admin, w.outsider):
        assert (
            put(bearer(user), "110105", {"level": "high", "effective_from": "2026-03-01"}).status_code == 403
        )
    admin = bearer(w.group_admin)
    assert put(admin, "999999", {"level": "high", "effective_from": "2026-03-01"}).status_code == 404
    bad = put(admin, "110105", {"level": "severe", "effective_from": "2026-03-01"})
    assert bad.status_code == 422
    assert (
        put(admin, "110105", {"level": "high", "effective_from": "2026-03-01", "extra": 1}).status_code == 422
    )
    assert not RiskLevel.objects.exists()
    assert Client().put("/api/v1/regions/110105/risk").status_code == 401


def test_operations_counts_and_names_those_not_resumed(w):
    operating.set_operating_status(
        w.group_admin, w.e2, status="suspended", effective_from=DAY, reason="停产检修"
    )
    operating.set_operating_status(w.group_admin, w.e1, status="resumed", effective_from=DAY)
    ops = bearer(w.group_admin).get("/api/v1/units/G/operations", {"date": "2026-03-02"}).json()
    assert (ops["enterprises"], ops["resumed"], ops["rate"]) == (2, 1, 50.0)
    assert ops["children"][0]["code"] == "S1" and ops["children"][0]["resumed"] == 1
    assert [(n["code"], n["reason"], n["owner"]) for n in ops["not_resumed"]] == [
        ("E2", "停产检修", "outsider")
    ]
    before = bearer(w.group_admin).get("/api/v1/units/G/operations", {"date": "2026-02-28"}).json()
    assert before["resumed"] == 2  # nothing suspended yet
    # the outsider reaches only its own enterprise
    assert bearer(w.outsider).get("/api/v1/units/G/operations").status_code == 404
    assert bearer(w.outsider).get("/api/v1/units/E1/controls").status_code == 404

"""The integration contract: report types, submitting (201 / 409 / 422 with the reason), completeness."""

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.lib.dates import business_day
from fangkong.org.actions import create_token
from fangkong.reports.models import UnitReport

from .helpers import checkin


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def today(w):
    return business_day(w.e1.timezone).isoformat()


def test_report_types(w, rt):
    body = _client(w.outsider).get("/api/v1/report-types").json()
    by_code = {t["code"]: t for t in body}
    assert {"epidemic_daily", "production_daily", "project_weekly", "business_monthly"} <= set(by_code)
    daily = by_code["epidemic_daily"]
    assert (daily["category"], daily["period"]) == ("epidemic", "daily")
    assert (
        daily["name"] and daily["name_zh"] == "疫情防控日报" and daily["name_en"] == "Daily epidemic report"
    )
    assert {f["code"]: f["computed"] for f in daily["fields"]}["headcount"] is True


def test_submit_zero_then_reporting(w, rt, today):
    client = _client(w.enterprise_admin)
    r = client.post(
        "/api/v1/units/E1/reports",
        {"type": "epidemic_daily", "date": today, "zero": True},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["zero"] is True and r.json()["state"] == "submitted"
    got = _client(w.segment_admin).get(f"/api/v1/units/S1/reporting?date={today}").json()
    assert (got["expected"], got["submitted"], got["zero"]) == (3, 1, 1)
    assert {m["code"]: m["owner"] for m in got["missing"]} == {"S1": "segment_admin", "E2": "outsider"}
    assert got["on_time"] + got["late"] == 1
    assert client.get(f"/api/v1/units/E1/reports/epidemic_daily/{today}").json()["zero"] is True


def test_zero_refused_with_409_and_the_reason(w, rt, today):
    checkin(w.alice, timezone.now(), card="red")
    r = _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {"type": "epidemic_daily", "date": today, "zero": True},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert "zero report is refused" in r.json()["detail"]
    assert not UnitReport.objects.exists()


def test_values_refused_with_422_naming_each_field(w, rt, today):
    r = _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {"type": "epidemic_daily", "date": today, "values": {"on_site": -1, "checked_in": 3}},
        content_type="application/json",
    )
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.json()["detail"]}
    assert fields["on_site"] == "must be at least 0"
    assert "computed" in fields["checked_in"]
    assert fields["new_confirmed"] == "required"
    bad_type = _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {"type": "nope", "date": today, "zero": True},
        content_type="application/json",
    )
    assert bad_type.status_code == 422 and bad_type.json()["detail"][0]["field"] == "type"
    extra = _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {"type": "epidemic_daily", "date": today, "zero": True, "x": 1},
        content_type="application/json",
    )
    assert extra.status_code == 422


def test_review_and_excuse_through_the_api(w, rt, today):
    _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {
            "type": "epidemic_daily",
            "date": today,
            "values": {"on_site": 0, "isolated": 0, "new_confirmed": 0},
        },
        content_type="application/json",
    )
    own = _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports/review",
        {"type": "epidemic_daily", "date": today, "decision": "accept"},
        content_type="application/json",
    )
    assert own.status_code == 403
    seg = _client(w.segment_admin)
    r = seg.post(
        "/api/v1/units/E1/reports/review",
        {"type": "epidemic_daily", "date": today, "decision": "return", "comment": "isolated is wrong"},
        content_type="application/json",
    )
    assert (
        r.status_code == 200
        and r.json()["state"] == "returned"
        and r.json()["review_comment"] == "isolated is wrong"
    )
    blocked = seg.post(
        "/api/v1/units/S1/reports",
        {"type": "epidemic_daily", "date": today, "zero": True},
        content_type="application/json",
    )
    assert blocked.status_code == 409 and "E1" in blocked.json()["detail"]
    r = seg.post(
        "/api/v1/units/E2/reports/excuse",
        {"type": "epidemic_daily", "date": today, "reason": "holiday"},
        content_type="application/json",
    )
    assert r.status_code == 201


def test_compiled(w, rt, today):
    _client(w.enterprise_admin).post(
        "/api/v1/units/E1/reports",
        {
            "type": "epidemic_daily",
            "date": today,
            "values": {"on_site": 2, "isolated": 1, "new_confirmed": 0},
        },
        content_type="application/json",
    )
    _client(w.outsider).post(
        "/api/v1/units/E2/reports",
        {
            "type": "epidemic_daily",
            "date": today,
            "values": {"on_site": 1, "isolated": 0, "new_confirmed": 0},
        },
        content_type="application/json",
    )
    body = _client(w.group_admin).get(f"/api/v1/units/S1/compiled?date={today}").json()
    col = [c["field"] for c in body["columns"]].index("on_site")
    head = [c["field"] for c in body["columns"]].index("headcount")
    rows = {r["code"]: r["values"] for r in body["rows"]}
    assert rows["E1"][col] == 2 and rows["E2"][col] == 1 and body["total"][col] == 3
    assert rows["E1"][head] == 2 and rows["E2"][head] == 1 and body["total"][head] == 3
    assert {c["category"] for c in body["columns"]} >= {"Epidemic prevention", "Production dispatch"}

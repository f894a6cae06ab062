"""The ledger API: lists and items scoped, detail only for who may see it, 403/404/409/422."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEntry
from fangkong.ledger import actions
from fangkong.ledger.models import CloseReason, Event, State
from fangkong.org.actions import create_token
from tests.ledger.helpers import open_item

ABSENT = "00000000-0000-4000-8000-000000000000"


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def post(client: Client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def items(w):
    a = open_item(w.grid1, person=w.alice, owner=w.grid_leader)
    a = actions.follow_up(w.grid_leader, a, note="secret note", temperature="38.4", version=a.version)
    b = open_item(w.grid2, person=w.bob, due_in=timedelta(hours=-1))
    c = open_item(w.e2, person=w.carol)
    return a, b, c


def _uids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [i["uid"] for i in response.json()["items"]]


def test_the_list_is_scoped_sorted_and_filtered(w, items):
    a, b, c = items
    admin = api(w.enterprise_admin)
    body = admin.get("/api/v1/ledger/items").json()
    assert body["count"] == 2 and [i["uid"] for i in body["items"]] == [str(b.uid), str(a.uid)]
    first = body["items"][0]
    assert first["unit"] == "E1-G2" and first["person"] == "B0001" and first["overdue"] is True
    assert first["state"] == "open" and first["owner"] is None and first["version"] == 1
    assert "detail" not in first
    assert _uids(admin.get("/api/v1/ledger/items", {"overdue": "true"})) == [str(b.uid)]
    assert _uids(admin.get("/api/v1/ledger/items", {"unit": "E1-G1"})) == [str(a.uid)]
    assert _uids(admin.get("/api/v1/ledger/items", {"state": "in_progress"})) == [str(a.uid)]
    assert _uids(admin.get("/api/v1/ledger/items", {"owner": "none"})) == [str(b.uid)]
    assert _uids(api(w.grid_leader).get("/api/v1/ledger/items", {"owner": "me"})) == [str(a.uid)]
    assert _uids(api(w.outsider).get("/api/v1/ledger/items")) == [str(c.uid)]
    assert _uids(api(w.tracker).get("/api/v1/ledger/items")) == []


def test_a_unit_out_of_scope_is_404_like_an_absent_one(w, items):
    outsider = api(w.outsider)
    out = outsider.get("/api/v1/ledger/items", {"unit": "E1"})
    absent = outsider.get("/api/v1/ledger/items", {"unit": "NOPE"})
    assert out.status_code == absent.status_code == 404
    assert out.content == absent.content


def test_bad_filters_are_422_naming_the_field(w):
    for field, value in (("state", "sleeping"), ("kind", "gossip"), ("page", "0")):
        response = api(w.enterprise_admin).get("/api/v1/ledger/items", {field: value})
        assert response.status_code == 422, field
        assert field in str(response.json()["detail"][0]["loc"])


def test_one_item_with_its_history_and_detail_for_the_officer(w, items):
    a, _b, _c = items
    body = api(w.enterprise_admin).get(f"/api/v1/ledger/items/{a.uid}").json()
    assert body["detail"] == {"temperature": "38.9", "symptoms": ["cough", "fatigue"]}
    assert [e["type"] for e in body["events"]] == ["opened", "follow_up"]
    assert body["events"][1]["actor"] == "grid_leader"
    assert body["events"][1]["data"] == {"note": "secret note", "temperature": "38.4"}
    assert AuditEntry.objects.filter(action="ledger.view_detail", actor="e1_admin").count() == 1


def test_detail_is_omitted_for_who_may_not_see_it(w, items):
    a, _b, _c = items
    body = api(w.segment_admin).get(f"/api/v1/ledger/items/{a.uid}").json()
    assert "detail" not in body and "close_reason" not in body and "close_note" not in body
    assert body["owner"] == "grid_leader" and body["state"] == "in_progress"
    assert [e["type"] for e in body["events"]] == ["opened", "follow_up"]
    assert body["events"][1]["data"] == {}
    assert "38.4" not in str(body) and "secret" not in str(body)
    assert not AuditEntry.objects.filter(action="ledger.view_detail").exists()


def test_an_item_out_of_scope_is_404_like_an_absent_one(w, items):
    a, _b, _c = items
    outsider = api(w.outsider)
    for suffix, body in (("", None), ("/close", {"reason": "recovered", "version": 1})):
        out_url, absent_url = (
            f"/api/v1/ledger/items/{a.uid}{suffix}",
            f"/api/v1/ledger/items/{ABSENT}{suffix}",
        )
        out = outsider.get(out_url) if body is None else post(outsider, out_url, body)
        absent = outsider.get(absent_url) if body is None else post(outsider, absent_url, body)
        assert out.status_code == absent.status_code == 404
        assert out.content == absent.content
    assert outsider.get("/api/v1/ledger/items/not-a-uuid").status_code in (404, 422)


def test_close_contract(w, items):
    _a, b, _c = items
    admin = api(w.enterprise_admin)
    url = f"/api/v1/ledger/items/{b.uid}/close"
    missing = post(admin, url, {"version": 1})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    invalid = post(admin, url, {"reason": "cured-by-magic", "version": 1})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "reason"]
    other = post(admin, url, {"reason": "other", "version": 1})
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["body", "note"]
    assert post(admin, url, {"reason": "recovered"}).status_code == 422  # no version
    done = post(admin, url, {"reason": "recovered", "note": "back at work", "version": 1})
    assert done.status_code == 200
    assert done.json()["state"] == "closed" and done.json()["version"] == 2
    again = post(admin, url, {"reason": "recovered", "version": 1})
    assert again.status_code == 409
    b.refresh_from_db()
    assert b.close_reason == CloseReason.RECOVERED and b.close_note == "back at work"


def test_two_closes_with_the_same_version_the_second_is_409(w, items):
    a, _b, _c = items
    url = f"/api/v1/ledger/items/{a.uid}/close"
    first = post(api(w.grid_leader), url, {"reason": "recovered", "version": a.version})
    second = post(api(w.enterprise_admin), url, {"reason": "false_alarm", "version": a.version})
    assert (first.status_code, second.status_code) == (200, 409)
    assert a.events.filter(type=Event.Type.CLOSED).count() == 1


def test_follow_up_contract(w, items):
    _a, b, _c = items
    admin = api(w.enterprise_admin)
    url = f"/api/v1/ledger/items/{b.uid}/follow-up"
    empty = post(admin, url, {"version": 1})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "note"]
    hot = post(admin, url, {"temperature": 50, "version": 1})
    assert hot.status_code == 422 and hot.json()["detail"][0]["loc"] == ["body", "temperature"]
    bad = post(admin, url, {"test_result": "maybe", "version": 1})
    assert bad.json()["detail"][0]["loc"] == ["body", "test_result"]
    assert post(admin, url, {"note": "x", "version": 1, "mood": "good"}).status_code == 422  # unknown
    ok = post(admin, url, {"temperature": 37.2, "medical_visit": "clinic", "version": 1})
    assert ok.status_code == 200 and ok.json()["state"] == "in_progress" and ok.json()["version"] == 2
    assert post(admin, url, {"note": "late", "version": 1}).status_code == 409


def test_assign_contract(w, items):
    a, b, _c = items
    admin = api(w.enterprise_admin)
    url = f"/api/v1/ledger/items/{b.uid}/assign"
    for who in ("outsider", "grid_leader", "segment_admin", "nobody"):  # E2, grid 1, above, no one
        refused = post(admin, url, {"owner": who, "version": 1})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "owner"], who
    past = post(admin, url, {"owner": "tracker", "version": 1, "due_at": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["body", "due_at"]
    due = (timezone.now() + timedelta(days=2)).isoformat()
    done = post(admin, url, {"owner": "tracker", "version": 1, "due_at": due})
    assert done.status_code == 200 and done.json()["owner"] == "tracker"
    b.refresh_from_db()
    assert b.owner == w.tracker and b.state == State.OPEN
    # Now the tracker owns it: it sees the detail and may act.
    tracker = api(w.tracker)
    assert "detail" in tracker.get(f"/api/v1/ledger/items/{b.uid}").json()
    close = post(tracker, f"/api/v1/ledger/items/{b.uid}/close", {"reason": "false_alarm", "version": 2})
    assert close.status_code == 200
    # The tracker has no business with alice's item: 404, not 403.
    assert (
        post(tracker, f"/api/v1/ledger/items/{a.uid}/close", {"reason": "x", "version": 1}).status_code == 404
    )


def test_readers_may_not_act(w, items):
    a, _b, _c = items
    response = post(
        api(w.group_admin), f"/api/v1/ledger/items/{a.uid}/close", {"reason": "recovered", "version": 2}
    )
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.state == State.IN_PROGRESS


def test_the_schema_declares_the_errors(w):
    from fangkong.api.root import api as ninja_api

    paths = ninja_api.get_openapi_schema()["paths"]
    for action in ("close", "follow-up", "assign"):
        responses = paths[f"/api/v1/ledger/items/{{uid}}/{action}"]["post"]["responses"]
        assert {200, 404, 409, 422} <= {int(k) for k in responses}, action
    assert 404 in {int(k) for k in paths["/api/v1/ledger/items"]["get"]["responses"]}

"""POST /api/v1/checkins and /checkins/batch: the integration contract's answers."""

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.checkins.actions import CheckinData, open_unit_day, register_device
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.ledger.models import Item
from fangkong.lib.dates import business_day
from fangkong.org.actions import create_token, revoke_token, token_digest
from fangkong.org.models import ApiToken
from tests.checkins import stored_values


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def _body(person="A0001", **over):
    body = {
        "id": str(uuid.uuid4()),
        "person": person,
        "temperature": 36.6,
        "symptoms": [],
        "where": "on_site",
        "location": "110105",
        "visited": [],
        "contact": False,
        "note": "",
    }
    body.update(over)
    return body


def _post(client, body):
    return client.post("/api/v1/checkins", body, content_type="application/json")


def test_created_then_replayed_then_conflict(w):
    c = _client(w.employee)
    body = _body()
    first = _post(c, body)
    assert first.status_code == 201
    assert first.json()["card"] == "green" and first.json()["version"] == 1
    replay = _post(c, body)
    assert replay.status_code == 200 and replay.json() == first.json()
    conflict = _post(c, {**body, "temperature": 37.0})
    assert conflict.status_code == 409
    assert CheckIn.objects.filter(person=w.alice).count() == 1


def test_an_id_stored_for_another_person_is_a_conflict_and_writes_nothing(w):
    """A first check-in of the day whose id another person's check-in already has: 409, and neither
    a row nor a count for the second person (on PostgreSQL the single statement fails on the
    primary key, and the transaction path answers)."""
    today = business_day(w.alice.enterprise.timezone, timezone.now())
    for grid in (w.grid1, w.grid2):  # counted days: the single statement's case
        open_unit_day(grid.pk, today)
    body = _body()
    assert _post(_client(w.employee), body).status_code == 201
    figures = list(UnitDay.objects.order_by("unit_id").values_list("unit_id", "checked_in"))
    reused = _post(_client(w.enterprise_admin), {**body, "person": "B0001"})
    assert reused.status_code == 409
    assert not CheckIn.objects.filter(person=w.bob).exists()
    assert list(UnitDay.objects.order_by("unit_id").values_list("unit_id", "checked_in")) == figures
    assert _post(_client(w.enterprise_admin), _body("B0001")).status_code == 201  # a new id goes in


def test_the_answer_is_what_ninja_renders_from_its_schema(w):
    """The stored check-in is written without ninja's response validation: byte for byte what
    ninja renders from `CheckinOut` (the same keys in the same order, times in the same format), for
    a new check-in, a replay and a red card, in ninja's content type."""
    from ninja.responses import NinjaJSONEncoder

    from fangkong.api.checkins import CheckinOut

    c = _client(w.employee)
    new, red = _body(), _body(temperature=38.6)
    answers = [(_post(c, new), 201), (_post(c, new), 200), (_post(c, red), 201)]
    for resp, status in answers:
        stored = stored_values(resp.json()["id"])
        rendered = json.dumps(CheckinOut.model_validate(stored).model_dump(), cls=NinjaJSONEncoder)
        assert resp.status_code == status
        assert resp.content.decode() == rendered
        assert resp["Content-Type"] == "application/json; charset=utf-8"
    assert [r.json()["card"] for r, _ in answers] == ["green", "green", "red"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", 33.9),
        ("temperature", 43.1),
        ("temperature", 36.65),
        ("temperature", "hot"),
        ("symptoms", ["sneezing-unicorn"]),
        ("where", "moon"),
        ("location", "999999"),
        ("visited", ["XX"]),
        ("id", "not-a-uuid"),
        ("captured_at", "yesterday"),
        ("colour", "red"),
    ],
)
def test_invalid_fields_are_named(w, field, value):
    resp = _post(_client(w.employee), _body(**{field: value}))
    assert resp.status_code == 422, resp.content
    assert field in str(resp.json()["detail"])
    assert not CheckIn.objects.exists()


def test_missing_required_fields_are_named(w):
    for field in ("id", "person", "temperature"):
        body = _body()
        del body[field]
        resp = _post(_client(w.employee), body)
        assert resp.status_code == 422 and field in str(resp.json()["detail"])


def test_person_out_of_scope_is_404(w):
    assert _post(_client(w.employee), _body("C0001")).status_code == 404
    assert _post(_client(w.employee), _body("B0001")).status_code == 404  # a colleague: not self, not proxy
    assert _post(_client(w.outsider), _body("A0001")).status_code == 404
    assert _post(_client(w.grid_leader), _body("B0001")).status_code == 404  # another grid
    assert _post(_client(w.grid_leader), _body("A0001")).status_code == 201  # proxy for its own grid
    assert CheckIn.objects.get().source == "proxy"


def test_a_token_check_in_reads_its_person_once_with_the_token(w):
    """The person a check-in names is read in the statement that reads the caller's token, and not
    read again for the check-in."""
    c = _client(w.grid_leader)
    with CaptureQueriesContext(connection) as queries:
        assert _post(c, _body("A0001")).status_code == 201
    person_reads = [q["sql"] for q in queries.captured_queries if 'FROM "org_person" p JOIN' in q["sql"]]
    assert len(person_reads) == 1


def test_the_token_is_decided_before_the_person_it_names(w):
    assert _post(Client(HTTP_AUTHORIZATION="Bearer fk_not-a-token"), _body("A0001")).status_code == 401
    raw = create_token("test", w.grid_leader)
    revoke_token("test", ApiToken.objects.get(digest=token_digest(raw)))
    assert _post(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), _body("A0001")).status_code == 401
    c = _client(w.grid_leader)
    assert _post(c, _body("NOPE")).status_code == 404
    assert _post(c, {**_body(), "person": 7}).status_code == 422
    assert _post(c, {**_body(), "person": "A" * 33}).status_code == 422
    assert not CheckIn.objects.exists()


def test_a_body_nested_too_deep_is_a_bad_request_not_an_error(w):
    c = _client(w.grid_leader)
    deep = "[" * 50_000 + "]" * 50_000
    single = c.post("/api/v1/checkins", '{"person": ' + deep + "}", content_type="application/json")
    assert single.status_code == 400
    assert c.post("/api/v1/checkins/batch", deep, content_type="application/json").status_code == 400
    assert not CheckIn.objects.exists()


def test_late_and_future_captures(w):
    c = _client(w.employee)
    now = timezone.now()
    late = _post(c, _body(captured_at=(now - timedelta(hours=3)).isoformat()))
    assert late.status_code == 201 and late.json()["late"] is True
    assert _post(c, _body(captured_at=(now - timedelta(hours=25)).isoformat())).status_code == 422
    future = _post(c, _body(captured_at=(now + timedelta(minutes=10)).isoformat()))
    assert future.status_code == 422 and "captured_at" in str(future.json()["detail"])
    ok = _post(c, _body(captured_at=(now + timedelta(minutes=2)).isoformat()))
    assert ok.status_code == 201 and ok.json()["late"] is False


def test_amendment_makes_a_new_current_version_and_moves_the_counters(w):
    c = _client(w.employee)
    assert _post(c, _body(temperature=38.2)).json()["card"] == "red"
    second = _post(c, _body(temperature=36.5))
    assert second.status_code == 201 and second.json()["version"] == 2 and second.json()["card"] == "green"
    assert CheckIn.objects.filter(person=w.alice, current=True).count() == 1
    counter = UnitDay.objects.get(unit=w.grid1)
    assert (counter.checked_in, counter.red, counter.yellow) == (1, 0, 0)


def test_red_opens_one_item_even_after_an_amendment(w):
    c = _client(w.employee)
    _post(c, _body(temperature=38.2))
    _post(c, _body(temperature=38.5, symptoms=["cough"]))
    item = Item.objects.get()
    assert item.kind == "health_anomaly" and item.person == w.alice
    assert item.owner == w.grid_leader


def test_yellow_for_contact(w):
    assert _post(_client(w.employee), _body(contact=True)).json()["card"] == "yellow"
    assert not Item.objects.exists()


def test_device_posts_only_for_its_enterprise(w):
    _, token = register_device("test", w.e1, "gate 1")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _post(c, _body("A0001")).status_code == 201
    assert _post(c, _body("C0001")).status_code == 404
    assert CheckIn.objects.get().source == "device"
    assert c.get("/api/v1/units").status_code == 401  # a device token reads nothing


def test_batch_answers_per_item(w):
    c = _client(w.enterprise_admin)
    good = _body("A0001")
    items = [
        good,
        good,
        {**good, "temperature": 39.0},
        _body("B0001", temperature=50),
        _body("C0001"),
        {"person": "B0001"},
    ]
    resp = c.post("/api/v1/checkins/batch", items, content_type="application/json")
    assert resp.status_code == 200
    assert [r["status"] for r in resp.json()] == [201, 200, 409, 422, 404, 422]
    assert CheckIn.objects.count() == 1


def test_batch_over_the_limit_is_refused(w):
    resp = _client(w.enterprise_admin).post(
        "/api/v1/checkins/batch", [_body()] * 1001, content_type="application/json"
    )
    assert resp.status_code == 422 and not CheckIn.objects.exists()


def test_person_not_yet_on_the_roster_is_refused(w):
    from datetime import date

    from tests.factories import person

    person(w.grid1, "N0001", joined=date.today() + timedelta(days=30))
    resp = _post(_client(w.enterprise_admin), _body("N0001"))
    assert resp.status_code == 422 and "person" in str(resp.json()["detail"])


def test_cards_list_names_red_and_yellow_for_officers_only(w):
    _post(_client(w.employee), _body(temperature=38.4))
    resp = _client(w.enterprise_admin).get("/api/v1/units/E1/cards")
    assert resp.status_code == 200
    assert [(c["employee_no"], c["card"]) for c in resp.json()["items"]] == [("A0001", "red")]
    assert _client(w.grid_leader).get("/api/v1/units/E1-G1/cards?colour=red").json()["count"] == 1
    assert _client(w.grid_leader).get("/api/v1/units/E1-G1/cards?colour=yellow").json()["count"] == 0
    # the group and the segment read counts in /rollup, not names
    assert _client(w.group_admin).get("/api/v1/units/E1/cards").status_code == 404
    assert _client(w.segment_admin).get("/api/v1/units/E1/cards").status_code == 404
    assert _client(w.group_admin).get("/api/v1/units/G/rollup").json()["red"] == 1
    assert _client(w.outsider).get("/api/v1/units/E1/cards").status_code == 404


def test_a_bodys_digest_stays_what_earlier_versions_stored():
    """A replay is told from a conflict by the digest stored with the check-in: the digest of a body
    must not change between versions, or a retry after an upgrade would be refused as a conflict."""
    data = CheckinData(
        id=uuid.UUID(int=7),
        temperature=Decimal("36.6"),
        visited=["310000"],
        captured_at=datetime(2026, 3, 2, 8, 15, tzinfo=ZoneInfo("Asia/Shanghai")),
        note="早班 体温正常",
    )
    # sha256 of json.dumps(body, sort_keys=True, ensure_ascii=False), as the first version wrote it
    assert data.digest("E0000007") == "61b1f649404fca92cc3987297418787ffc5d671419924446f1d4a2b4483bcfed"

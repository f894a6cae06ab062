"""The batch endpoint's set-based path gives every item the answer it would get alone."""

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fangkong.audit.actions import verify
from fangkong.audit.models import AuditEntry
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.ledger.models import Item
from fangkong.org.actions import create_token
from tests.checkins import stored_values
from tests.factories import person


def _body(no: str, **over):
    return {"id": str(uuid.uuid4()), "person": no, "temperature": 36.6, **over}


def _batch(user, items):
    c = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")
    resp = c.post("/api/v1/checkins/batch", items, content_type="application/json")
    assert resp.status_code == 200
    return resp.json()


def _counters_match_rows():
    rows = (
        CheckIn.objects.filter(current=True)
        .values("unit_id", "day")
        .annotate(
            n=Count("pk"),
            red=Count("pk", filter=Q(card="red")),
            yellow=Count("pk", filter=Q(card="yellow")),
            on_site=Count("pk", filter=Q(where="on_site")),
        )
    )
    direct = {(r["unit_id"], r["day"]): (r["n"], r["red"], r["yellow"], r["on_site"]) for r in rows}
    kept = {
        (u.unit_id, u.day): (u.checked_in, u.red, u.yellow, u.on_site)
        for u in UnitDay.objects.exclude(checked_in=0, red=0, yellow=0, on_site=0)
    }
    assert kept == direct


@pytest.mark.django_db
def test_a_mixed_batch_is_stored_like_single_check_ins(w):
    staff = [person(w.grid1 if i % 2 else w.grid2, f"P{i:04d}") for i in range(40)]
    first = _body("P0000")
    amended_earlier = _body("P0001")
    assert _batch(w.group_admin, [first, amended_earlier])[0]["status"] == 201

    items = [_body(p.employee_no) for p in staff[2:30]]
    items[3]["temperature"] = 38.5  # a red card
    items[4]["contact"] = True  # a yellow card
    items += [
        first,  # a replay: 200 with the stored check-in
        {**first, "temperature": 37.0},  # the same id with another body: 409
        _body("P0001", temperature=36.8),  # an amendment of today's check-in
        _body("P0030"),
        _body("P0030", temperature=36.9),  # the same person twice in one batch: both stored, in order
        _body("C0001"),  # out of the group admin's reach? No: the group reaches E2 too
        _body("NOBODY"),  # nobody by that number: 404
        _body("P0031", symptoms=["nonsense"]),  # invalid: 422 naming the field
    ]
    results = _batch(w.group_admin, items)

    assert [r["index"] for r in results] == list(range(len(items)))
    statuses = [r["status"] for r in results]
    assert statuses == [201] * 28 + [200, 409, 201, 201, 201, 201, 404, 422]
    assert results[28]["checkin"]["id"] == first["id"]
    assert results[30]["checkin"]["version"] == 2
    assert results[32]["checkin"]["version"] == 2
    assert results[35]["detail"][0]["loc"][-1] == "symptoms"
    assert results[3]["checkin"]["card"] == "red" and results[4]["checkin"]["card"] == "yellow"

    assert CheckIn.objects.filter(current=True).count() == 2 + 28 + 2  # P0000..P0029, P0030, C0001
    assert CheckIn.objects.filter(person__employee_no="P0030", current=True).get().version == 2
    _counters_match_rows()
    red_person = staff[2 + 3]
    assert Item.objects.filter(person=red_person, kind="health_anomaly").exists()
    # Every proxied check-in and amendment has its audit row; the chains still verify.
    assert AuditEntry.objects.filter(action__startswith="checkin.").count() == 2 + 28 + 1 + 2 + 1
    assert verify()[1] is None


@pytest.mark.django_db
def test_a_batch_from_an_enterprise_admin_reaches_only_its_enterprise(w):
    results = _batch(w.outsider, [_body("C0001"), _body("A0001")])
    assert [r["status"] for r in results] == [201, 404]
    assert not CheckIn.objects.filter(person__employee_no="A0001").exists()


@pytest.mark.django_db
def test_a_batch_counts_exempt_people_who_check_in_as_reported_and_amends_in_place(w):
    """The dashboard's figures after a batch equal a direct count: an exempt person's first
    check-in leaves the exempt count, an amendment from red to green leaves the red count."""
    from fangkong.checkins.actions import add_exemption
    from fangkong.checkins.rollup import rollup
    from fangkong.lib.dates import business_day

    staff = [person(w.grid1, f"X{i:04d}") for i in range(6)]
    today = business_day(w.e1.timezone)
    add_exemption("test", staff[0], start=today, end=today, reason="leave")
    add_exemption("test", staff[1], start=today, end=today, reason="leave")
    warm = _batch(w.group_admin, [_body("X0002", temperature=38.6)])  # opens the unit-day
    assert warm[0]["checkin"]["card"] == "red"
    before = rollup(w.e1, today)
    assert before["exempt"] == 2 and before["red"] == 1

    results = _batch(
        w.group_admin,
        [_body("X0000"), _body("X0002", temperature=36.5, where="remote"), _body("X0003", where="leave")],
    )

    assert [r["status"] for r in results] == [201, 201, 201]
    assert results[1]["checkin"]["version"] == 2
    after = rollup(w.e1, today)
    assert after["exempt"] == 1  # X0001 is still away; X0000 reported
    assert after["red"] == 0
    assert after["checked_in"] == before["checked_in"] + 2
    assert after["missing"] == before["missing"] - 1  # X0003 (X0000 was exempt, not missing)
    _counters_match_rows()


@pytest.mark.django_db
def test_red_cards_open_one_item_each_and_read_no_unit_or_owner_again(w):
    staff = [person(w.grid1, f"P{i:04d}") for i in range(6)]

    def red(p):
        return _body(p.employee_no, temperature=38.6)

    assert {r["status"] for r in _batch(w.group_admin, [red(p) for p in staff])} == {201}
    items = Item.objects.filter(kind="health_anomaly")
    assert items.count() == 6
    assert {i.owner for i in items} == {w.grid_leader}  # the grid's leader, looked up as each opened

    # The same people red again (amendments): their items are open, so nothing is opened or looked
    # up; the check-ins' unit is the one read with the people, not read again per card.
    with CaptureQueriesContext(connection) as queries:
        again = _batch(w.group_admin, [red(p) for p in staff])
    assert [r["checkin"]["version"] for r in again] == [2] * 6
    assert items.count() == 6
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sqls if s.startswith('SELECT "org_rolegrant"."unit_id"')]  # no owner look-up
    assert not [s for s in sqls if 'FROM "org_unit" WHERE "org_unit"."id" =' in s]


@pytest.mark.django_db
def test_a_batch_across_midnight_counts_each_day_on_its_own(w):
    """Check-ins held offline overnight arrive in one batch with the morning's: each counts on its
    own business day (the counter update names the days it touches)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from fangkong.checkins import batch
    from fangkong.checkins.actions import CheckinData, people_for_checkin
    from fangkong.checkins.rollup import rollup

    staff = [person(w.grid1, f"N{i:04d}") for i in range(4)]
    zone = ZoneInfo(w.e1.timezone)
    morning = datetime.combine(date.today(), time(8, 0), tzinfo=zone)
    last_night = morning - timedelta(hours=9)  # 23:00 the day before
    people = {p.employee_no: p for p in people_for_checkin(employee_nos=[p.employee_no for p in staff])}

    def sub(i, captured, temperature="36.5"):
        data = CheckinData(id=uuid.uuid4(), temperature=Decimal(temperature), captured_at=captured)
        return batch.Submission(i, people[f"N{i:04d}"], data, "proxy")

    subs = [sub(0, last_night, "38.6"), sub(1, last_night), sub(2, morning), sub(3, morning)]
    outcomes = batch.submit_many(w.group_admin, subs, now=morning + timedelta(minutes=5))

    assert {o.status for o in outcomes.values()} == {201}
    assert [outcomes[i].checkin.day for i in range(4)] == [last_night.date()] * 2 + [morning.date()] * 2
    before, today = rollup(w.grid1, last_night.date()), rollup(w.grid1, morning.date())
    assert (before["checked_in"], before["red"]) == (2, 1)
    assert (today["checked_in"], today["red"]) == (2, 0)
    _counters_match_rows()

    # The same people again, across the same midnight: each amends that person's check-in of its
    # own day (the current check-ins are read by person and day, several days in one statement).
    people = {p.employee_no: p for p in people_for_checkin(employee_nos=[p.employee_no for p in staff])}
    subs = [sub(0, last_night), sub(1, last_night, "38.6"), sub(2, morning, "38.6"), sub(3, morning)]
    outcomes = batch.submit_many(w.group_admin, subs, now=morning + timedelta(minutes=10))

    assert {o.status for o in outcomes.values()} == {201}
    assert [outcomes[i].checkin.version for i in range(4)] == [2] * 4
    before, today = rollup(w.grid1, last_night.date()), rollup(w.grid1, morning.date())
    assert (before["checked_in"], before["red"]) == (2, 1)  # the red card moved to the other person
    assert (today["checked_in"], today["red"]) == (2, 1)
    _counters_match_rows()


@pytest.mark.django_db
def test_a_batchs_red_cards_open_their_items_with_statements_that_do_not_grow_with_them(w):
    """Two red cards or six: the same statements, and every red card's person has an item owned
    as a single check-in's would be (the grid's leader; the enterprise's officer for E1-G2)."""
    staff = [person(w.grid1 if i % 2 else w.grid2, f"R{i:04d}") for i in range(14)]
    _batch(w.group_admin, [_body(p.employee_no) for p in staff[:2]])  # opens both grids' unit-days

    def statements(people, reds):
        items = [_body(p.employee_no, temperature=38.6 if i < reds else 36.5) for i, p in enumerate(people)]
        with CaptureQueriesContext(connection) as queries:
            assert {r["status"] for r in _batch(w.group_admin, items)} == {201}
        return len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]])

    assert statements(staff[2:8], 2) == statements(staff[8:14], 6)
    owners = dict(Item.objects.values_list("person__employee_no", "owner__username"))
    reds = [p.employee_no for p in [*staff[2:4], *staff[8:14]]]
    assert owners == {no: ("grid_leader" if int(no[1:]) % 2 else "e1_admin") for no in reds}


@pytest.mark.django_db
def test_the_batchs_answer_is_what_ninja_renders_from_its_schema(w):
    """The answer is written without ninja's response validation: byte for byte what ninja renders
    from `list[BatchResult]` (the same keys in the same order, times in the same format)."""
    from ninja.responses import NinjaJSONEncoder
    from pydantic import TypeAdapter

    from fangkong.api.checkins import BatchResult

    staff = [person(w.grid1, f"J{i:04d}") for i in range(3)]
    stored = _body("J0000")
    assert _batch(w.group_admin, [stored])[0]["status"] == 201
    items = [
        _body("J0001", temperature=38.6),
        stored,  # 200: a replay
        {**stored, "temperature": 37.0},  # 409
        _body("NOBODY"),  # 404
        _body("J0002", symptoms=["nonsense"]),  # 422
        {"id": "not-a-uuid", "person": "J0002", "temperature": 36.5},  # 422 from validation
    ]
    c = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.group_admin)}")
    resp = c.post("/api/v1/checkins/batch", items, content_type="application/json")
    answered = resp.json()

    results = [{**r, "checkin": r["checkin"] and stored_values(r["checkin"]["id"])} for r in answered]
    adapter = TypeAdapter(list[BatchResult])
    rendered = json.dumps(adapter.dump_python(adapter.validate_python(results)), cls=NinjaJSONEncoder)
    assert [r["status"] for r in answered] == [201, 200, 409, 404, 422, 422]
    assert resp.content.decode() == rendered
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    assert staff

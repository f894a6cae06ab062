"""Health-status overrides: reason required, who and when named, the card shown everywhere is the
overridden one with its marker, the unit-day counters move, officers are told, scope is 404."""

import uuid
from decimal import Decimal

from django.test import Client

from fangkong.audit.models import AuditEntry
from fangkong.checkins import overrides
from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CardOverride, CheckIn, Source, UnitDay
from fangkong.notify.models import Message
from fangkong.org.actions import create_token
from fangkong.privacy.models import AccessRecord
from tests import factories


def _client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def _bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def _red(person) -> CheckIn:
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("38.2"))
    return submit_checkin("test", person, data, source=Source.SELF)[0]


def _override(client, checkin, **over):
    body = {"person": checkin.person.employee_no, "date": checkin.day.isoformat(), "card": "green"}
    body.update(over)
    return client.post("/api/v1/checkins/override", body, content_type="application/json")


def test_an_override_moves_the_card_and_the_counters_and_names_who_and_why(w):
    checkin = _red(w.alice)
    unit_day = UnitDay.objects.get(unit=w.grid1, day=checkin.day)
    assert (unit_day.red, unit_day.yellow, unit_day.checked_in) == (1, 0, 1)

    answer = _override(_bearer(w.enterprise_admin), checkin, reason="PCR negative on 11-25")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["card"], body["card_before"], body["by"]) == ("green", "red", "e1_admin")
    checkin.refresh_from_db()
    assert checkin.card == "green" and checkin.card_reasons == ["override"]
    unit_day.refresh_from_db()
    assert (unit_day.red, unit_day.yellow, unit_day.checked_in) == (0, 0, 1)
    row = CardOverride.objects.get()
    assert (row.card_before, row.reasons_before, row.by, row.reason) == (
        "red",
        ["fever"],
        w.enterprise_admin,
        "PCR negative on 11-25",
    )
    audit = AuditEntry.objects.get(action="checkin.override")
    assert audit.actor == "e1_admin" and audit.detail["from"] == "red" and audit.detail["to"] == "green"

    # and to yellow: red stays 0, yellow 1
    _override(_bearer(w.enterprise_admin), checkin, card="yellow", reason="contact traced")
    unit_day.refresh_from_db()
    assert (unit_day.red, unit_day.yellow) == (0, 1)


def test_the_overridden_card_is_shown_with_its_marker(w):
    checkin = _red(w.alice)
    overrides.override_card(w.enterprise_admin, w.alice, checkin.day, card="yellow", reason="retested 37.0")
    # the person's own H5 page
    h5 = _client(w.employee).get("/h5/").content.decode()
    assert 'data-card="yellow"' in h5 and "overridden by e1_admin: retested 37.0" in h5
    # the cards list (officer: with the reason) and the grid leader (without it)
    officer = _client(w.enterprise_admin).get("/units/E1/cards/").content.decode()
    assert "overridden by e1_admin: retested 37.0" in officer
    leader = _client(w.grid_leader).get("/units/E1-G1/cards/").content.decode()
    assert "overridden by e1_admin" in leader and "retested" not in leader
    # the officer's page of the person's card
    page = (
        _client(w.enterprise_admin).get(f"/checkins/people/A0001/card/?date={checkin.day}").content.decode()
    )
    assert 'data-card="yellow"' in page and "overridden by e1_admin: retested 37.0" in page
    # looking at a named person's health card is in the access log
    assert AccessRecord.objects.filter(action="view_health", actor="e1_admin", employee_no="A0001").exists()
    # the API's card list
    items = _bearer(w.enterprise_admin).get("/api/v1/units/E1/cards").json()["items"]
    assert items[0]["card"] == "yellow" and items[0]["override"] == "by e1_admin: retested 37.0"


def test_a_reason_is_required(w):
    checkin = _red(w.alice)
    api = _override(_bearer(w.enterprise_admin), checkin, reason="   ")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["body", "reason"]
    missing = _override(_bearer(w.enterprise_admin), checkin)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
    page = _client(w.enterprise_admin).post(
        "/checkins/people/A0001/card/override/",
        {"date": checkin.day.isoformat(), "card": "green", "reason": ""},
    )
    assert page.status_code == 422 and "a reason is required" in page.content.decode()
    checkin.refresh_from_db()
    assert checkin.card == "red" and not CardOverride.objects.exists()
    assert UnitDay.objects.get(unit=w.grid1, day=checkin.day).red == 1


def test_the_page_form_overrides_and_the_officers_are_told(w, django_capture_on_commit_callbacks):
    other_officer = factories.user("e1_officer2", "enterprise_admin", w.e1)
    checkin = _red(w.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(w.enterprise_admin).post(
            "/checkins/people/A0001/card/override/",
            {"date": checkin.day.isoformat(), "card": "green", "reason": "antigen negative twice"},
        )
    assert response.status_code == 302
    checkin.refresh_from_db()
    assert checkin.card == "green"
    told = Message.objects.filter(subject__contains="A0001")
    assert set(told.values_list("user__username", flat=True)) == {"e1_admin", other_officer.username}
    assert "antigen negative twice" in told.first().body
    assert not Message.objects.filter(user=w.outsider).exists()


def test_no_check_in_that_day_is_409(w):
    answer = _override(_bearer(w.enterprise_admin), CheckIn(person=w.alice, day=_red(w.bob).day), reason="x")
    assert answer.status_code == 409 and "no check-in" in answer.json()["detail"]


def test_out_of_scope_is_404_like_absent_and_grid_leaders_may_not_override(w):
    checkin = _red(w.alice)
    for user in (w.outsider, w.grid_leader, w.group_admin, w.tracker):
        api = _override(_bearer(user), checkin, reason="not mine")
        assert api.status_code == 404, user.username
        absent = _bearer(user).post(
            "/api/v1/checkins/override",
            {"person": "NOPE", "date": checkin.day.isoformat(), "card": "green", "reason": "x"},
            content_type="application/json",
        )
        assert api.content == absent.content
        assert _client(user).get("/checkins/people/A0001/card/").status_code == 404
    checkin.refresh_from_db()
    assert checkin.card == "red" and not CardOverride.objects.exists()


def test_an_amendment_later_that_day_is_evaluated_afresh(w):
    checkin = _red(w.alice)
    overrides.override_card(w.enterprise_admin, w.alice, checkin.day, card="green", reason="PCR negative")
    again = submit_checkin(
        "test", w.alice, CheckinData(id=uuid.uuid4(), temperature=Decimal("38.5")), source="self"
    )[0]
    assert again.card == "red" and again.version == 2
    assert UnitDay.objects.get(unit=w.grid1, day=checkin.day).red == 1

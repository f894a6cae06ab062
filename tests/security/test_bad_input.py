"""Hypothesis over the API's check-in and ledger inputs and the import form: a bad value gets 422/400
naming the field, a valid edge value passes, and nothing answers 5xx."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.org.actions import create_token
from tests.route_tables.ledger import E1_ITEM, _item

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# Any JSON value, including the ones a typed field must refuse.
junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.just("x" * 5000)
    | st.just("37.5°C")
    | st.just("\x00"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)

CHECKIN_FIELDS = [
    "id",
    "person",
    "temperature",
    "symptoms",
    "where",
    "location",
    "visited",
    "contact",
    "captured_at",
    "note",
]


def _api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def _post(client: Client, url: str, body) -> object:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _names_field(response, field: str) -> bool:
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    return any(field in (d.get("field"), *map(str, d.get("loc", []))) for d in detail)


def _valid_checkin(**changes):
    body = {"id": str(uuid.uuid4()), "person": "A0001", "temperature": 36.6}
    body.update(changes)
    return body


@pytest.mark.django_db
@FAST
@given(field=st.sampled_from(CHECKIN_FIELDS), value=junk)
def test_a_checkin_with_any_value_in_any_field_is_answered_with_the_field_never_5xx(w, field, value):
    response = _post(_api(w.grid_leader), "/api/v1/checkins", _valid_checkin(**{field: value}))
    assert response.status_code in (200, 201, 404, 409, 422), (field, value, response.status_code)
    if response.status_code == 422:
        assert _names_field(response, field), (field, value, response.json())


@pytest.mark.django_db
@FAST
@given(extra=st.text(min_size=1, max_size=20).filter(lambda k: k not in CHECKIN_FIELDS), value=junk)
def test_unknown_fields_are_refused_by_name(w, extra, value):
    response = _post(_api(w.grid_leader), "/api/v1/checkins", {**_valid_checkin(), extra: value})
    assert response.status_code == 422
    assert _names_field(response, extra)


@pytest.mark.django_db
def test_valid_edge_values_pass(w):
    client = _api(w.grid_leader)
    for changes in (
        {"temperature": 34.0},
        {"temperature": 43.0},
        {"temperature": "36.6"},
        {"symptoms": [], "visited": [], "note": "备" * 500, "where": "isolated", "contact": True},
        {"person": "A0001", "location": ""},
    ):
        response = _post(client, "/api/v1/checkins", _valid_checkin(**changes))
        assert response.status_code == 201, (changes, response.content)
    for changes, field in (
        ({"temperature": 33.9}, "temperature"),
        ({"temperature": 43.1}, "temperature"),
        ({"temperature": 36.66}, "temperature"),
        ({"note": "x" * 501}, "note"),
        ({"symptoms": ["cough"] * 21}, "symptoms"),
        ({"id": "not-a-uuid"}, "id"),
        ({"where": "moon"}, "where"),
    ):
        response = _post(client, "/api/v1/checkins", _valid_checkin(**changes))
        assert response.status_code == 422 and _names_field(response, field), (changes, response.content)


@pytest.mark.django_db
@FAST
@given(body=st.one_of(junk, st.lists(st.fixed_dictionaries({"id": junk, "person": junk}), max_size=3)))
def test_the_batch_takes_any_body_without_5xx(w, body):
    response = _post(_api(w.grid_leader), "/api/v1/checkins/batch", body)
    assert response.status_code in (200, 422), response.status_code


@pytest.mark.django_db
@FAST
@given(
    path=st.sampled_from(["close", "follow-up", "assign"]),
    body=st.dictionaries(
        st.sampled_from(
            [
                "reason",
                "note",
                "evidence",
                "version",
                "temperature",
                "medical_visit",
                "test_result",
                "owner",
                "due_at",
            ]
        ),
        junk,
        max_size=4,
    ),
)
def test_ledger_actions_answer_any_body_with_the_field_never_5xx(w, path, body):
    uid = _item(E1_ITEM, "E1-G1", "A0001")
    response = _post(_api(w.enterprise_admin), f"/api/v1/ledger/items/{uid}/{path}", body)
    assert response.status_code in (200, 403, 409, 422), (path, body, response.status_code)
    if response.status_code == 422:
        detail = response.json()["detail"]
        named = {str(x) for d in detail for x in (d.get("field"), *d.get("loc", []))}
        assert named & (set(body) | {"version", "owner", "reason", "note", "body"}), (body, detail)


@pytest.mark.django_db
@FAST
@given(
    kind=st.one_of(st.sampled_from(["roster", "units"]), st.text(max_size=10)),
    name=st.sampled_from(["people.xlsx", "people.csv", "people.xls", "people", "a.txt", "x.XLSX"]),
    content=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: ("employee_no,name,unit\n" + t).encode()),
        st.just(b"PK\x03\x04" + b"\x00" * 100),
    ),
)
def test_the_import_form_answers_any_file_with_a_message_never_5xx(w, kind, name, content):
    client = Client()
    client.force_login(w.enterprise_admin)
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        reverse("import_run", kwargs={"code": "E1"}), {"kind": kind, "file": upload, "dry_run": "1"}
    )
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert b'class="error' in response.content or b"errors" in response.content


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/api/v1/units/E1/reports",
            {"type": "epidemic_daily", "date": "9999-12-31", "zero": True},
            "date",
        ),
        ("GET", "/api/v1/units/E1/compiled", {"date": "9999-12-31"}, "date"),
        ("GET", "/api/v1/units/E1/rollup", {"date": "0001-01-01"}, "date"),
        ("GET", "/api/v1/units/E1/bulletin", {"date": "9999-12-31"}, "date"),
    ],
)
def test_a_day_past_the_calendar_s_range_is_refused_by_name(w, method, path, body, field):
    """The fuzz found 9999-12-31: a weekly period ending after it is no date (OverflowError, a 500)."""
    client = _api(w.enterprise_admin)
    response = _post(client, path, body) if method == "POST" else client.get(path, body)
    assert response.status_code == 422 and _names_field(response, field)


def test_a_temperature_past_any_decimal_range_is_refused_by_name(w):
    """The fuzz found 1e309 on the proxy form: it cannot be rounded to 0.1 (InvalidOperation, a 500)."""
    from decimal import Decimal

    from fangkong.checkins.actions import CheckinData, validate
    from fangkong.org.actions import ActionError

    for value in ("1e309", "-1e309", "NaN", "Infinity"):
        with pytest.raises(ActionError) as refused:
            validate(CheckinData(uuid.uuid4(), Decimal(value)))
        assert refused.value.field == "temperature"

"""Hypothesis over every form field and page filter: hostile values get a page or a refusal, never a 5xx.

The isolation tables (tests/route_tables) name every page and the fields its form or filters take;
here each field in turn gets a value drawn from what users and attackers really send — empty, huge,
wrong type, out-of-range dates and numbers, control characters, markup, SQL — plus an unknown field,
posted by the user who may use the page. The API's fields are covered by schemathesis and
tests/security/test_bad_input.py.
"""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.route_tables import PAGES
from tests.test_isolation_routes import _fill_data, _page_url

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "NaN",
            "99999999999999999999999",
            "2030-02-30",
            "0000-00-00",
            "9999-12-31",
            "1900-01-01",
            "25:61",
            "true",
            "null",
            "[]",
            "{}",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "\x00",
            "\u202e\u200b",
            "𠮷" * 300,
            "x" * 20_000,
        ]
    ),
    st.text(max_size=60),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
)

FORM_PAGES = sorted(n for n, c in PAGES.items() if c.data and isinstance(c.data, dict))


def _user(w, name: str):
    return w.group_admin if PAGES[name].kind == "group" else w.enterprise_admin


@pytest.mark.parametrize("name", FORM_PAGES)
@pytest.mark.django_db
def test_hostile_values_in_any_field_never_give_a_server_error(w, name):
    call = PAGES[name]
    url = _page_url(name, "e1")
    base = _fill_data(call.data, "e1", name)
    client = Client(raise_request_exception=False)
    client.force_login(_user(w, name))

    @settings(
        max_examples=4 * len(base) + 2,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(field=st.sampled_from([*base, "unexpected_field"]), value=HOSTILE)
    def check(field: str, value: str) -> None:
        data = {**base, field: value}
        response = client.get(url, data) if call.method == "GET" else client.post(url, data)
        assert response.status_code < 500, (name, field, value[:40], response.status_code)

    check()


@pytest.mark.django_db
def test_a_nul_character_is_refused_naming_the_field(w):
    """PostgreSQL cannot store one: the page says which field, the API answers 422, nothing 500s."""
    client = Client()
    client.force_login(w.enterprise_admin)
    page = client.get("/ledger/", {"state": "open\x00"})
    assert page.status_code == 400
    assert "state" in page.content.decode()
    api = client.post(
        "/api/v1/checkins", '{"id": "x", "person": "P\\u0000", "temperature": 36.6}', "application/json"
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "person"]


@pytest.mark.django_db
def test_a_broken_multipart_body_is_a_400_not_a_500(w):
    client = Client(raise_request_exception=False)
    client.force_login(w.enterprise_admin)
    headers = {"CONTENT_TYPE": "multipart/form-data"}  # no boundary: cannot be parsed
    page = client.generic("POST", "/ledger/", b'{"not": "a form"}', **headers)
    assert page.status_code == 400
    api = client.generic("POST", "/api/v1/checkins", b'{"not": "a form"}', **headers)
    assert api.status_code == 400 and api.json()["detail"]

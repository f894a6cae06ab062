"""The integration contract for /api/v1/units: scope, fields, paging, masking, errors."""

import re

import pytest
from django.test import Client

from fangkong.api.units import PAGE_SIZE
from fangkong.org.actions import create_token, revoke_token
from fangkong.org.models import ApiToken
from tests.factories import person


def api_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def test_units_lists_the_top_of_the_callers_scope(w):
    assert [u["code"] for u in api_client(w.group_admin).get("/api/v1/units").json()] == ["G"]
    assert api_client(w.enterprise_admin).get("/api/v1/units").json() == [
        {"code": "E1", "name": "第一企业", "kind": "enterprise"}
    ]
    assert [u["code"] for u in api_client(w.grid_leader).get("/api/v1/units").json()] == ["E1-G1"]
    assert [u["code"] for u in api_client(w.outsider).get("/api/v1/units").json()] == ["E2"]


def test_one_unit_has_its_parent_and_children_codes(w):
    client = api_client(w.group_admin)
    group = client.get("/api/v1/units/G").json()
    assert group == {
        "code": "G",
        "name": "示例集团",
        "kind": "group",
        "parent": None,
        "children": ["S1"],
        "region": None,
        "timezone": None,
    }
    e1 = client.get("/api/v1/units/E1").json()
    assert e1 == {
        "code": "E1",
        "name": "第一企业",
        "kind": "enterprise",
        "parent": "S1",
        "children": ["E1-G1", "E1-G2"],
        "region": "110105",
        "timezone": "Asia/Shanghai",
    }
    grid = client.get("/api/v1/units/E1-G1").json()
    assert grid["kind"] == "grid" and grid["parent"] == "E1" and grid["children"] == []


def test_people_are_masked_and_paged(w):
    response = api_client(w.enterprise_admin).get("/api/v1/units/E1/people")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"employee_no": "A0001", "name": "艾丽", "unit": "E1-G1"},
            {"employee_no": "B0001", "name": "鲍勃", "unit": "E1-G2"},
        ],
        "count": 2,
    }
    body = response.content.decode()
    for p in (w.alice, w.bob):
        assert p.id_number not in body and p.mobile not in body


def test_people_second_page(w):
    for n in range(PAGE_SIZE):
        person(w.grid2, f"Z{n:04d}")
    client = api_client(w.enterprise_admin)
    first = client.get("/api/v1/units/E1/people", {"page": 1}).json()
    second = client.get("/api/v1/units/E1/people", {"page": 2}).json()
    assert first["count"] == second["count"] == PAGE_SIZE + 2
    assert len(first["items"]) == PAGE_SIZE and len(second["items"]) == 2
    assert second["items"][-1]["employee_no"] == "Z0099"
    assert client.get("/api/v1/units/E1/people", {"page": 3}).json()["items"] == []


def test_people_after_a_number_read_the_roster_as_the_pages_do(w):
    for n in range(PAGE_SIZE + 30):
        person(w.grid2 if n % 2 else w.grid1, f"Z{n:04d}")
    client = api_client(w.enterprise_admin)
    pages = [client.get("/api/v1/units/E1/people", {"page": p}).json() for p in (1, 2)]
    by_cursor, after = [], None
    while True:
        answer = client.get("/api/v1/units/E1/people", {"after": after} if after else {}).json()
        assert answer["count"] == PAGE_SIZE + 32
        if not answer["items"]:
            break
        by_cursor.append(answer)
        after = answer["items"][-1]["employee_no"]
    assert by_cursor == pages
    # A number that is nobody's reads from where it would stand.
    assert client.get("/api/v1/units/E1/people", {"after": "Y"}).json()["items"][0]["employee_no"] == "Z0000"


def test_people_after_a_number_stay_in_the_callers_scope(w):
    person(w.grid2, "A0002")
    leader = api_client(w.grid_leader).get("/api/v1/units/E1-G1/people", {"after": "A0000"}).json()
    assert leader == {"items": [{"employee_no": "A0001", "name": "艾丽", "unit": "E1-G1"}], "count": 1}


def test_pages_count_from_the_number_given(w):
    for n in range(PAGE_SIZE + 30):
        person(w.grid2, f"Z{n:04d}")
    client = api_client(w.enterprise_admin)
    second = client.get("/api/v1/units/E1/people", {"after": "Z0009", "page": 2}).json()
    expected = [f"Z{n:04d}" for n in range(PAGE_SIZE + 10, PAGE_SIZE + 30)]
    assert [p["employee_no"] for p in second["items"]] == expected


def test_grid_leader_sees_only_its_grid(w):
    client = api_client(w.grid_leader)
    assert client.get("/api/v1/units/E1-G1/people").json()["items"] == [
        {"employee_no": "A0001", "name": "艾丽", "unit": "E1-G1"}
    ]
    assert client.get("/api/v1/units/E1/people").status_code == 404


def test_roster_needs_a_roster_role(w):
    for user in (w.tracker, w.employee):
        assert api_client(user).get("/api/v1/units/E1-G1/people").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/units/{}", "/api/v1/units/{}/people"])
def test_out_of_scope_answers_exactly_like_absent(w, path):
    client = api_client(w.outsider)
    outside = client.get(path.format("E1"))
    absent = client.get(path.format("NOPE"))
    assert outside.status_code == absent.status_code == 404
    assert outside.content == absent.content
    assert outside["Content-Type"] == absent["Content-Type"]


def test_a_revoked_token_is_refused(w):
    raw = create_token("test", w.enterprise_admin)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/units").status_code == 200
    revoke_token("test", ApiToken.objects.get(user=w.enterprise_admin))
    assert client.get("/api/v1/units").status_code == 401
    assert client.get("/api/v1/units/E1").status_code == 401


def test_no_or_wrong_token_is_refused(w, client):
    assert client.get("/api/v1/units").status_code == 401
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer fk_nope").status_code == 401


def test_a_disabled_users_token_is_refused(w):
    client = api_client(w.enterprise_admin)
    w.enterprise_admin.is_active = False
    w.enterprise_admin.save()
    assert client.get("/api/v1/units").status_code == 401


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99999999999999999999"])
def test_a_bad_page_is_a_422_naming_the_field(w, page):
    response = api_client(w.enterprise_admin).get("/api/v1/units/E1/people", {"page": page})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page"]


def test_the_browser_session_works_for_reads(w, client):
    client.force_login(w.enterprise_admin)
    assert [u["code"] for u in client.get("/api/v1/units").json()] == ["E1"]


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/units", "/api/v1/units/{code}", "/api/v1/units/{code}/people"} <= set(schema["paths"])


@pytest.mark.django_db
def test_docs_load_swagger_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in page
    assert 'href="/static/ninja/swagger-ui.css"' in page
    # No asset from another host (CDN): every src/href is a local path.
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/"), url
    # (The page's CSRF token is random text, which can spell "cdn": left out of this check.)
    assert "cdn" not in re.sub(r'csrf[-\w]*="[^"]*"', "", page).lower()
    # The asset is really served (whitenoise, no CDN needed).
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("after", ["", "x" * 33])
def test_a_bad_cursor_is_a_422_naming_the_field(w, after):
    response = api_client(w.enterprise_admin).get("/api/v1/units/E1/people", {"after": after})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "after"]

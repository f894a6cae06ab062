"""The missing list and the red and yellow card list: scoped, minimum disclosure, masked exports."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from fangkong.audit.models import AuditEntry
from fangkong.checkins.actions import CheckinData, add_exemption, submit_checkin
from fangkong.lib.dates import business_day
from fangkong.org.actions import create_token
from tests.factories import person


def _checkin(p, temperature="36.5", **over):
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal(temperature), **over)
    return submit_checkin("test", p, data, source="self")[0]


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture
def day_of_e1(w):
    """E1 today: alice red, bob green, dan exempt, erin and frank missing (frank on grid2)."""
    _checkin(w.alice, "38.2", symptoms=["cough"])
    _checkin(w.bob)
    dan = person(w.grid1, "D0001", name="丹")
    today = business_day(w.e1.timezone)
    add_exemption("test", dan, start=today, end=today, reason="leave")
    erin = person(w.grid1, "E0001", name='=HYPERLINK("http://x")')
    frank = person(w.grid2, "F0001", name="弗兰克")
    return {"today": today, "erin": erin, "frank": frank}


def test_the_missing_list_is_the_apis_missing(w, day_of_e1):
    page = _client(w.enterprise_admin).get("/units/E1/missing/")
    assert page.status_code == 200
    listed = [p.employee_no for p in page.context["page"]]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.enterprise_admin)}")
    answer = api.get("/api/v1/units/E1/missing").json()
    assert listed == [i["employee_no"] for i in answer["items"]] == ["E0001", "F0001"]
    assert page.context["page"].paginator.count == answer["count"]
    body = page.content.decode()
    assert "弗兰克" in body and "艾丽" not in body and "丹" not in body


def test_missing_filters_by_sub_unit_and_date(w, day_of_e1):
    c = _client(w.enterprise_admin)
    grid2 = c.get("/units/E1/missing/", {"unit": "E1-G2"})
    assert [p.employee_no for p in grid2.context["page"]] == ["F0001"]
    yesterday = (day_of_e1["today"] - timedelta(days=1)).isoformat()
    earlier = c.get("/units/E1/missing/", {"date": yesterday})
    assert {p.employee_no for p in earlier.context["page"]} == {"A0001", "B0001", "D0001", "E0001", "F0001"}
    bad = c.get("/units/E1/missing/", {"date": "2020-13-45"})
    assert bad.status_code == 200 and "2020-13-45" in bad.content.decode()
    other = c.get("/units/E1/missing/", {"unit": "E2"})  # another enterprise is not a sub-unit
    assert other.context["page"].paginator.count == 0


def test_the_grid_leader_sees_its_grids_missing_and_no_other(w, day_of_e1):
    c = _client(w.grid_leader)
    page = c.get("/units/E1-G1/missing/")
    assert [p.employee_no for p in page.context["page"]] == ["E0001"]
    assert c.get("/units/E1-G2/missing/").status_code == 404
    assert c.get("/units/E1/missing/").status_code == 404


def test_missing_export_is_the_list_formula_safe(w, day_of_e1):
    response = _client(w.enterprise_admin).get("/units/E1/missing.xlsx", HTTP_ACCEPT_LANGUAGE="en")
    rows = _sheet(response)
    assert rows[0] == ("employee_no", "name", "unit", "unit_name", "date")
    assert [r[0] for r in rows[1:]] == ["E0001", "F0001"]
    assert rows[1][1] == '\'=HYPERLINK("http://x")'  # neutralised, not a live formula


def test_grid_leader_sees_names_and_colours_but_no_temperature(w, day_of_e1):
    body = _client(w.grid_leader).get("/units/E1-G1/cards/").content.decode()
    assert "艾丽" in body and "card-red" in body
    assert "38.2" not in body and "fever" not in body


def test_the_prevention_officer_sees_temperature_and_symptoms_and_it_is_logged(w, day_of_e1):
    body = _client(w.enterprise_admin).get("/units/E1/cards/").content.decode()
    assert "艾丽" in body and "38.2" in body
    assert "鲍勃" not in body  # green cards are not listed
    entry = AuditEntry.objects.filter(action="checkins.cards.view").get()
    assert entry.actor == "e1_admin" and entry.detail["health_detail"] is True


def test_group_and_segment_admins_see_counts_not_names(w, day_of_e1):
    for admin in (w.group_admin, w.segment_admin):
        c = _client(admin)
        page = c.get("/units/E1/cards/")
        body = page.content.decode()
        assert page.status_code == 200
        assert "艾丽" not in body and "A0001" not in body and "38.2" not in body
        grid1 = next(ch for ch in page.context["children"] if ch["code"] == "E1-G1")
        assert (grid1["red"], grid1["yellow"]) == (1, 0)
        rows = _sheet(c.get("/units/E1/cards.xlsx", HTTP_ACCEPT_LANGUAGE="en"))
        assert rows[0] == ("unit", "unit_name", "checked_in", "red", "yellow")
        assert ("E1-G1", "一车间", 1, 1, 0) in rows and ("total", None, 2, 1, 0) in rows
        assert not any("A0001" in str(r) for r in rows)
    assert not AuditEntry.objects.filter(action__startswith="checkins.cards").exists()


def test_card_export_by_colour_and_role(w, day_of_e1):
    _checkin(day_of_e1["frank"], contact=True)  # yellow
    officer = _sheet(_client(w.enterprise_admin).get("/units/E1/cards.xlsx", HTTP_ACCEPT_LANGUAGE="en"))
    assert officer[0][-3:] == ("temperature", "symptoms", "reasons")
    assert [(r[0], r[4]) for r in officer[1:]] == [("A0001", "red"), ("F0001", "yellow")]
    assert officer[1][-3] == 38.2
    leader = _client(w.grid_leader).get(
        "/units/E1-G1/cards.xlsx", {"colour": "red"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    rows = _sheet(leader)
    assert "temperature" not in rows[0] and [r[0] for r in rows[1:]] == ["A0001"]
    yellow = _client(w.enterprise_admin).get("/units/E1/cards/", {"colour": "yellow"})
    assert [c.person.employee_no for c in yellow.context["page"]] == ["F0001"]


@pytest.mark.parametrize(
    "url", ["/units/E1/missing/", "/units/E1/missing.xlsx", "/units/E1/cards/", "/units/E1/cards.xlsx"]
)
def test_outsider_and_tracker_get_404(w, url):
    assert _client(w.outsider).get(url).status_code == 404
    assert _client(w.tracker).get(url).status_code == 404
    assert _client(w.employee).get(url).status_code == 404

"""The other dashboard pages: the start page, the trend data, the tile view, a grid's board."""

from datetime import date, timedelta

import pytest
from django.test import Client

from fangkong.checkins.actions import add_exemption
from fangkong.checkins.rollup import rollup
from fangkong.controls import actions as controls
from fangkong.controls import operating
from fangkong.dashboard.providers.others import ControlFigures
from fangkong.org.actions import transfer_person
from tests.factories import person

from .helpers import page_figures, populate


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_start_page_lists_the_callers_top_units(w):
    body = _client(w.segment_admin).get("/dashboard/").content.decode()
    assert 'href="/dashboard/units/S1/"' in body and "/dashboard/units/G/" not in body
    assert "/dashboard/units/" not in _client(w.employee).get("/dashboard/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("span", [30, 90])
def test_trends_end_with_the_days_figures(w, span):
    day = populate(w)
    client = _client(w.group_admin)
    data = client.get("/dashboard/units/G/trends.json", {"span": span, "date": day.isoformat()}).json()
    assert len(data["days"]) == span and data["days"][-1] == day.isoformat()
    shown = page_figures(client.get("/dashboard/units/G/", {"date": day.isoformat()}).content.decode())
    for key in (
        "expected",
        "checked_in",
        "missing",
        "exempt",
        "red",
        "yellow",
        "completeness",
        "open_items",
        "overdue_items",
    ):
        assert data["series"][key][-1] == shown[key], key
        assert len(data["series"][key]) == span
    assert data["series"]["checked_in"][0] is None  # no counters that day: a gap, not a zero


@pytest.mark.django_db
def test_the_tile_view_groups_enterprises_by_province(w):
    populate(w)
    body = _client(w.group_admin).get("/dashboard/units/G/map/").content.decode()
    assert "北京市" in body and "湖北省" in body  # E1 in 110105, E2 in 420106
    assert 'href="/dashboard/units/E1/' in body and 'href="/dashboard/units/E2/' in body
    mine = _client(w.enterprise_admin).get("/dashboard/units/E1/map/").content.decode()
    assert "第二企业" not in mine


@pytest.mark.django_db
def test_a_grid_leader_reads_its_grids_board(w):
    populate(w)
    client = _client(w.grid_leader)
    page = client.get("/dashboard/units/E1-G1/")
    assert page.status_code == 200
    shown = page_figures(page.content.decode())
    rollup = client.get("/api/v1/units/E1-G1/rollup").json()
    assert shown["expected"] == rollup["expected"] and shown["missing"] == rollup["missing"]
    assert client.get("/dashboard/units/E1-G2/").status_code == 404


@pytest.mark.django_db
def test_each_day_of_the_trends_is_that_days_rollup_with_exempt_people_where_they_were(w):
    """The trend of a past day shows what that day's roll-up shows: an exempt person who did not
    check in counts where they were placed that day, not where they sit since a transfer."""
    day = populate(w)
    yesterday = day - timedelta(days=1)
    away = person(w.grid2, "Y0001", name="出差员工")
    add_exemption("test", away, start=yesterday, end=yesterday, reason="business_trip")
    rollup(w.group, yesterday)  # the day is counted (its first roll-up opens it)
    transfer_person("test", away, w.e2, on=day)
    assert rollup(w.e1, yesterday)["exempt"] == 1 and rollup(w.e2, yesterday)["exempt"] == 0
    client = _client(w.group_admin)
    for unit in (w.e1, w.e2, w.group):
        data = client.get(
            f"/dashboard/units/{unit.code}/trends.json", {"span": 30, "date": day.isoformat()}
        ).json()
        for position, d in ((-2, yesterday), (-1, day)):
            figures = rollup(unit, d)
            for key in ("expected", "checked_in", "missing", "exempt", "red", "yellow"):
                assert data["series"][key][position] == figures[key], (unit.code, d, key)


@pytest.mark.django_db
def test_the_control_trends_follow_the_status_in_force_each_day(w):
    """An enterprise suspended for three days shows as not resumed on exactly those days; a status
    set twice on one day counts as its last setting."""
    d0 = date(2026, 3, 1)
    days = [d0 + timedelta(days=n) for n in range(8)]
    operating.set_operating_status(w.group_admin, w.e2, status="resumed", effective_from=d0)
    operating.set_operating_status(
        w.group_admin, w.e2, status="suspended", effective_from=days[2], reason="停产检修"
    )
    operating.set_operating_status(w.group_admin, w.e2, status="resumed", effective_from=days[5])
    operating.set_operating_status(
        w.group_admin, w.e1, status="suspended", effective_from=days[6], reason="误报"
    )
    operating.set_operating_status(w.group_admin, w.e1, status="resumed", effective_from=days[6])
    series = ControlFigures().series(w.group, days)
    assert series["not_resumed"] == [0, 0, 1, 1, 1, 0, 0, 0]
    assert series["resume_rate"] == [
        ControlFigures()._values(*ControlFigures()._read(w.group, d))["resume_rate"] for d in days
    ]


@pytest.mark.django_db
def test_the_risk_trends_follow_the_regions_levels_and_the_overrides_each_day(w):
    """E2's province turns medium, then high; E1 has a week's override to high that lapses: each day
    of the trend counts the level in force that day."""
    d0 = date(2026, 3, 1)
    days = [d0 + timedelta(days=n) for n in range(8)]
    controls.set_region_risk(w.group_admin, "420000", "medium", days[1], source="api", today=days[1])
    controls.set_region_risk(w.group_admin, "420000", "high", days[4], source="api", today=days[4])
    controls.set_override(
        w.group_admin, w.e1, level="high", reason="厂区聚集性疫情", expires_on=days[5], today=days[3]
    )
    series = ControlFigures().series(w.group, days)
    assert series["risk_high"] == [0, 0, 0, 1, 2, 2, 1, 1]
    assert series["risk_medium"] == [0, 1, 1, 1, 0, 0, 0, 0]
    assert series["risk_low"] == [2, 1, 1, 0, 0, 0, 1, 1]

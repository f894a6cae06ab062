"""The other dashboard pages: the start page, the trend data, the tile view, a grid's board."""

import pytest
from django.test import Client

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

"""Acceptance 1: every number on the dashboard equals the API and a direct count (group and enterprise)."""

import pytest
from django.test import Client

from fangkong.checkins.rollup import FIGURES
from fangkong.ledger.models import Item

from .helpers import direct, page_children, page_figures, populate

COUNTS = ("expected", "checked_in", "missing", "exempt", "red", "yellow")


def _completeness(f: dict) -> float | None:
    return round(100.0 * (f["expected"] - f["missing"]) / f["expected"], 1) if f["expected"] else None


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "who"), [("G", "group_admin"), ("E1", "enterprise_admin")])
def test_every_number_equals_the_api_and_a_direct_count(w, code, who):
    day = populate(w)
    client = Client()
    client.force_login(getattr(w, who))
    page = client.get(f"/dashboard/units/{code}/", {"date": day.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    shown = page_figures(html)
    api = client.get(f"/api/v1/units/{code}/rollup", {"date": day.isoformat()}).json()
    unit = getattr(w, {"G": "group", "E1": "e1"}[code])
    want = direct(unit, day)

    for key in COUNTS:
        assert shown[key] == api[key] == want[key], key
    assert shown["open_items"] == api["open_items"] == want["open_items"]
    assert shown["overdue_items"] == want["overdue_items"] == 1
    assert shown["completeness"] == _completeness(want)
    assert want["red"] == 1 and want["yellow"] == 1 and want["exempt"] == 1

    children = page_children(html)
    assert set(children) == {c["code"] for c in api["children"]}
    for child in api["children"]:
        row = children[child["code"]]
        counted = direct(unit.children.get(code=child["code"]), day)
        for key in COUNTS:
            assert row[key] == child[key] == counted[key], (child["code"], key)
        assert row["open_items"] == child["open_items"] == counted["open_items"]
        assert row["overdue_items"] == counted["overdue_items"]
        assert row["completeness"] == _completeness(counted)
    assert set(FIGURES) - {"abnormal"} <= set(shown)  # every roll-up figure is on the page


@pytest.mark.django_db
def test_each_figure_links_to_the_list_behind_it(w):
    day = populate(w)
    client = Client()
    client.force_login(w.enterprise_admin)
    html = client.get("/dashboard/units/E1/").content.decode()
    assert f'href="/units/E1/missing/?date={day.isoformat()}"' in html
    assert f'href="/units/E1/cards/?colour=red&amp;date={day.isoformat()}"' in html
    assert 'href="/ledger/?unit=E1&amp;overdue=1"' in html
    # the list behind the missing figure holds exactly that many people
    missing = client.get(f"/api/v1/units/E1/missing?date={day.isoformat()}").json()
    assert missing["count"] == page_figures(html)["missing"]


@pytest.mark.django_db
def test_what_blocks_names_units_people_owners_and_lateness(w):
    populate(w)
    client = Client()
    client.force_login(w.enterprise_admin)
    html = client.get("/dashboard/units/E1/").content.decode()
    blocks = html.split('id="blocks"')[1].split("</section>")[0]
    # bob (grid 2) has not checked in: he is named with his unit and the grid's owner
    assert "鲍勃 (B0001)" in blocks
    assert "二车间" in blocks
    assert "e1_admin" in blocks  # nobody leads grid 2: its enterprise's officer answers for it
    assert "grid_leader" in html.split('id="blocks"')[1]  # grid 1's leader answers for grid 1
    overdue = html.split('id="overdue"')[1].split("</section>")[0]
    assert "E1-G2" in overdue and "tag late" in overdue


@pytest.mark.django_db
def test_the_group_sees_no_health_detail_in_overdue_items(w):
    populate(w)
    Item.objects.filter(key="dash-overdue").update(title="发热 38.9 艾丽")
    client = Client()
    client.force_login(w.group_admin)
    html = client.get("/dashboard/units/G/").content.decode()
    assert "38.9" not in html


@pytest.mark.django_db
def test_children_can_be_drilled_and_outsiders_get_404(w):
    client = Client()
    client.force_login(w.segment_admin)
    html = client.get("/dashboard/units/S1/").content.decode()
    assert 'href="/dashboard/units/E1/' in html and 'href="/dashboard/units/E2/' in html
    assert client.get("/dashboard/units/G/").status_code == 404
    client.force_login(w.outsider)
    assert client.get("/dashboard/units/E1/").status_code == 404
    client.force_login(w.employee)
    assert client.get("/dashboard/units/E1-G1/").status_code == 404


@pytest.mark.django_db
def test_a_bad_date_is_said_and_today_shown(w):
    client = Client()
    client.force_login(w.group_admin)
    page = client.get("/dashboard/units/G/", {"date": "yesterday"})
    assert page.status_code == 200
    assert "yesterday" in page.content.decode()


@pytest.mark.django_db
def test_each_suspended_enterprise_names_its_own_officer(w):
    """The owners of the listed enterprises are read together: each block still names its own."""
    from fangkong.controls.operating import set_operating_status
    from fangkong.org.models import Role
    from tests.factories import user

    day = populate(w)
    user("e2_admin", Role.ENTERPRISE_ADMIN, w.e2)
    for ent in (w.e1, w.e2):
        set_operating_status("test", ent, status="suspended", effective_from=day, reason="停产检修")
    client = Client()
    client.force_login(w.group_admin)
    html = client.get("/dashboard/units/G/", {"date": day.isoformat()}).content.decode()
    blocks = html.split('id="blocks"')[1].split("</section>")[0]
    rows = {c: r for r in blocks.split("<tr>") for c in ("E1", "E2") if f"/controls/units/{c}/" in r}
    assert "e1_admin" in rows["E1"] and "e2_admin" not in rows["E1"]
    assert "e2_admin" in rows["E2"] and "e1_admin" not in rows["E2"]

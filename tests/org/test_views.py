"""The org pages as each persona sees them: sign-in, home, unit page, roster, language, admin."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

ID_MASK = re.compile(r"\b\d{3}\*{11}[\dX]{4}\b")
MOBILE_MASK = re.compile(r"\b1\d{2}\*{4}\d{4}\b")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


# --- sign-in ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_renders_in_chinese_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html(response)
    assert "用户名" in html(response) and "密码" in html(response)
    assert 'name="viewport"' in html(response)


def test_sign_in_redirects_home(w, client):
    response = client.post("/accounts/login/", {"username": "e1_admin", "password": "pw-Secret-123"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "第一企业" in html(client.get("/"))


def test_wrong_password_is_refused_on_the_page(w, client):
    response = client.post("/accounts/login/", {"username": "e1_admin", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in html(response)
    assert "_auth_user_id" not in client.session


def test_pages_send_anonymous_users_to_sign_in(w, client):
    for url in ["/", "/units/E1/", "/units/E1/people/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


# --- home: each role sees what it reaches -------------------------------------------------------


def test_group_admin_home_links_the_group_with_its_headcount(w):
    page = html(signed_in(w.group_admin).get("/"))
    assert '<a href="/units/G/">示例集团</a>' in page
    assert '<td class="num">3</td>' in page  # alice, bob, carol
    assert '<span class="tag">集团管理员</span>' in page  # the role's label, not its raw value


def test_grid_leader_home_shows_its_grid_only(w):
    page = html(signed_in(w.grid_leader).get("/"))
    assert '<a href="/units/E1-G1/">一车间</a>' in page
    assert '<td class="num">1</td>' in page
    assert '<span class="tag">网格员</span>' in page
    assert "/units/E1/" not in page and "二车间" not in page


def test_tracker_and_inspector_home_show_their_unit_without_roster(w):
    for user, label in [(w.tracker, "追踪责任人"), (w.inspector, "督查员")]:
        page = html(signed_in(user).get("/"))
        assert '<a href="/units/E1/">第一企业</a>' in page
        assert label in page
        assert "/people/" not in page


def test_employee_home_is_its_own_card_and_no_roster(w):
    page = html(signed_in(w.employee).get("/"))
    assert "艾丽" in page and "A0001" in page and "一车间" in page
    assert "/people/" not in page and "/units/" not in page
    assert "鲍勃" not in page


def test_employee_cannot_browse_unit_pages(w):
    client = signed_in(w.employee)
    assert client.get("/units/E1-G1/").status_code == 404
    assert client.get("/units/E1-G1/people/").status_code == 404


# --- unit page ----------------------------------------------------------------------------------


def test_unit_page_has_breadcrumb_children_and_subtree_headcounts(w):
    page = html(signed_in(w.group_admin).get("/units/S1/"))
    assert '<a href="/units/G/">示例集团</a>' in page  # breadcrumb
    assert '<a href="/units/E1/">第一企业</a>' in page and '<a href="/units/E2/">第二企业</a>' in page
    # E1's people are on its grids: the count is of the whole subtree, not the enterprise row alone.
    assert re.search(r'E1</td><td>企业</td>\s*<td class="num">2</td>', page)
    assert re.search(r'E2</td><td>企业</td>\s*<td class="num">1</td>', page)


def test_unit_page_headcounts_count_active_people_of_the_whole_subtree_once(w):
    """The total counts the people placed on the unit itself too; each child counts its own subtree;
    people who left count nowhere."""
    from fangkong.org.models import Person
    from tests.factories import person

    person(w.e1, "D0001")  # on the enterprise itself, not on a grid
    person(w.grid1, "D0002")
    gone = person(w.grid2, "D0003")
    Person.objects.filter(pk=gone.pk).update(status=Person.Status.LEFT)

    page = html(signed_in(w.group_admin).get("/units/E1/"))
    assert re.search(r"<dd>4</dd>", page)  # A0001, B0001, D0001, D0002
    assert re.search(r'E1-G1</td><td>[^<]*</td>\s*<td class="num">2</td>', page)
    assert re.search(r'E1-G2</td><td>[^<]*</td>\s*<td class="num">1</td>', page)
    group_page = html(signed_in(w.group_admin).get("/units/G/"))
    assert re.search(r"<dd>5</dd>", group_page)  # and C0001 in E2
    assert re.search(r'S1</td><td>[^<]*</td>\s*<td class="num">5</td>', group_page)


def test_unit_page_links_only_what_the_user_may_do(w):
    admin_page = html(signed_in(w.enterprise_admin).get("/units/E1/"))
    assert "/units/E1/people/" in admin_page and "/units/E1/import/" in admin_page
    assert "/units/E1/people.xlsx" in admin_page
    # The enterprise admin does not reach S1: no breadcrumb link above its own top.
    assert "/units/S1/" not in admin_page

    leader_page = html(signed_in(w.grid_leader).get("/units/E1-G1/"))
    assert "/units/E1-G1/people/" in leader_page
    assert "/import/" not in leader_page

    tracker_page = html(signed_in(w.tracker).get("/units/E1/"))
    assert "/people/" not in tracker_page and "/import/" not in tracker_page
    assert "在册人数" not in tracker_page


def test_grid_leader_cannot_import(w):
    client = signed_in(w.grid_leader)
    assert client.get("/units/E1-G1/import/").status_code == 404
    assert client.post("/units/E1-G1/import/run/", {"kind": "roster"}).status_code == 404


# --- roster -------------------------------------------------------------------------------------


def test_roster_lists_the_subtree_with_masked_numbers_only(w):
    response = signed_in(w.enterprise_admin).get("/units/E1/people/")
    assert response.status_code == 200
    page = html(response)
    assert "A0001" in page and "B0001" in page
    assert "C0001" not in page  # E2
    assert len(ID_MASK.findall(page)) == 2
    assert len(MOBILE_MASK.findall(page)) == 2
    for person in (w.alice, w.bob):
        assert person.id_number not in page
        assert person.mobile not in page
        assert person.id_number_masked in page and person.mobile_masked in page


def test_roster_filter_by_query(w):
    client = signed_in(w.enterprise_admin)
    page = html(client.get("/units/E1/people/", {"q": "B00"}))
    assert "B0001" in page and "A0001" not in page
    page = html(client.get("/units/E1/people/", {"q": "艾"}))
    assert "A0001" in page and "B0001" not in page


def test_roster_filter_by_sub_unit_stays_inside_scope(w):
    client = signed_in(w.enterprise_admin)
    page = html(client.get("/units/E1/people/", {"unit": "E1-G2"}))
    assert "B0001" in page and "A0001" not in page
    page = html(client.get("/units/E1/people/", {"unit": "E2"}))
    assert "C0001" not in page and "A0001" not in page


def test_roster_htmx_request_returns_the_rows_only(w):
    client = signed_in(w.enterprise_admin)
    response = client.get("/units/E1/people/", {"q": "A0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page and "<form" not in page
    assert "A0001" in page and "B0001" not in page
    # The export link follows the filter.
    assert "/units/E1/people.xlsx?q=A0" in page
    assert "HX-Request" in response["Vary"]


def test_grid_leader_reaches_its_grid_roster_only(w):
    client = signed_in(w.grid_leader)
    assert client.get("/units/E1/people/").status_code == 404
    response = client.get("/units/E1-G1/people/")
    assert response.status_code == 200
    assert "A0001" in html(response) and "B0001" not in html(response)


def test_roster_pages_are_never_cached(w):
    client = signed_in(w.enterprise_admin)
    for response in (
        client.get("/units/E1/people/"),
        client.get("/units/E1/people/", HTTP_HX_REQUEST="true"),
        client.get("/units/E1/people.xlsx"),
    ):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_roster_pages_paginate(w):
    from tests.factories import person

    for _ in range(55):
        person(w.grid1)
    page = html(signed_in(w.enterprise_admin).get("/units/E1/people/", {"q": "E"}))
    assert "第 1 页，共 2 页" in page
    assert "/units/E1/people/?q=E&amp;page=2" in page


# --- language -----------------------------------------------------------------------------------


def test_language_switch_changes_the_ui_text(w):
    client = signed_in(w.enterprise_admin)
    assert "退出登录" in html(client.get("/"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/units/E1/"})
    assert response.status_code == 302 and response["Location"] == "/units/E1/"
    page = html(client.get("/units/E1/"))
    assert '<html lang="en">' in page
    assert "Sign out" in page and "Units below" in page and "enterprise" in page
    assert "退出登录" not in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = html(client.get("/units/E1/"))
    assert "下级单位" in page and "企业" in page


# --- admin --------------------------------------------------------------------------------------


def test_admin_is_for_superusers_only(w):
    staff = User.objects.create_user("staff", password="pw-Secret-123", is_staff=True)
    response = signed_in(staff).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert signed_in(staff).get("/admin/org/person/").status_code == 302

    root = User.objects.create_superuser("root", password="pw-Secret-123")
    assert signed_in(root).get("/admin/").status_code == 200
    assert signed_in(root).get("/admin/org/person/").status_code == 200


def test_superuser_home_reaches_the_whole_group(w):
    root = User.objects.create_superuser("root", password="pw-Secret-123")
    page = html(signed_in(root).get("/"))
    assert '<a href="/units/G/">示例集团</a>' in page
    assert "/admin/" in page

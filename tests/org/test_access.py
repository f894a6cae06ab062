"""The one scope rule: a grant reaches its subtree and nothing else."""

import pytest
from django.http import Http404

from fangkong.org import access


def test_segment_admin_reaches_its_enterprises_and_their_grids(w):
    codes = set(access.visible_units(w.segment_admin).values_list("code", flat=True))
    assert codes == {"S1", "E1", "E2", "E1-G1", "E1-G2"}


def test_enterprise_admin_does_not_reach_the_other_enterprise(w):
    assert access.unit_for_user(w.enterprise_admin, "E1-G2").code == "E1-G2"
    with pytest.raises(Http404):
        access.unit_for_user(w.enterprise_admin, "E2")
    with pytest.raises(Http404):
        access.unit_for_user(w.enterprise_admin, "NOPE")


def test_grid_leader_sees_only_its_grid_roster(w):
    assert list(access.visible_people(w.grid_leader).values_list("employee_no", flat=True)) == ["A0001"]


def test_employee_and_tracker_see_no_roster(w):
    assert not access.visible_people(w.employee).exists()
    assert not access.visible_people(w.tracker).exists()


def test_top_units_drop_grants_below_another_grant(w):
    from fangkong.org.actions import grant_role

    grant_role("test", w.segment_admin, "enterprise_admin", w.e1)
    assert [u.code for u in access.top_units(w.segment_admin)] == ["S1"]


def test_disabled_user_reaches_nothing(w):
    w.group_admin.is_active = False
    w.group_admin.save()
    assert not access.visible_units(w.group_admin).exists()

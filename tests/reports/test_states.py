"""A unit report is missing, zero or with items; zeros are attested, never inferred; the health data
refuses a zero epidemic report and flags one already given."""

import pytest
from django.core.exceptions import PermissionDenied

from fangkong.audit.models import AuditEntry
from fangkong.org.actions import ActionError
from fangkong.reports import actions, queries
from fangkong.reports.models import UnitReport

from .helpers import DAY, VALUES, at, checkin


def test_missing_zero_and_with_items_are_three_states(w, rt):
    before = queries.reporting(w.segment, DAY)
    assert (before["expected"], before["submitted"], before["zero"]) == (3, 0, 0)  # S1, E1, E2
    assert {m["code"] for m in before["missing"]} == {"S1", "E1", "E2"}

    zero = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    items = actions.submit_report(w.outsider, w.e2, rt, DAY, values={**VALUES, "on_site": 1}, now=at(w.e2))

    assert zero.zero and zero.values == {} and zero.submitted_by == w.enterprise_admin
    assert not items.zero and items.values["on_site"] == 1
    after = queries.reporting(w.segment, DAY)
    assert (after["expected"], after["submitted"], after["zero"], after["on_time"]) == (3, 2, 1, 2)
    assert [m["code"] for m in after["missing"]] == ["S1"]
    assert AuditEntry.objects.filter(action="reports.submit").count() == 2


def test_all_zero_values_are_a_report_with_items_not_a_zero_report(w, rt):
    report = actions.submit_report(
        w.enterprise_admin,
        w.e1,
        rt,
        DAY,
        values={"on_site": 0, "isolated": 0, "new_confirmed": 0},
        now=at(w.e1),
    )
    assert report.zero is False
    assert queries.reporting(w.e1, DAY)["zero"] == 0


def test_computed_fields_come_from_the_health_cards(w, rt):
    checkin(w.alice, at(w.e1, hh=8))
    checkin(w.bob, at(w.e1, hh=8), card="yellow")
    report = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1))
    assert report.computed == {"headcount": 2, "checked_in": 2, "abnormal": 1, "exempt": 0, "open_items": 0}
    assert "headcount" not in report.values


@pytest.mark.parametrize("card", ["yellow", "red"])
def test_zero_epidemic_report_is_refused_with_an_abnormal_checkin(w, rt, card):
    checkin(w.bob, at(w.e1, hh=8), card=card)
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    assert exc.value.field == "zero"
    assert "abnormal" in str(exc.value)
    assert not UnitReport.objects.exists()
    # the subtree counts: the segment's zero report is refused too (once its enterprises reported)
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1))
    actions.submit_report(w.outsider, w.e2, rt, DAY, zero=True, now=at(w.e2))
    with pytest.raises(ActionError):
        actions.submit_report(w.segment_admin, w.segment, rt, DAY, zero=True, now=at(w.segment))


def test_zero_epidemic_report_is_refused_with_an_open_health_item(w, rt):
    checkin(w.alice, at(w.e1, day=DAY.replace(day=19), hh=8), card="red")  # yesterday; its item is open
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    assert "1 open health items" in str(exc.value)


def test_a_later_abnormal_checkin_flags_the_zero_report(w, rt, django_capture_on_commit_callbacks):
    checkin(w.alice, at(w.e1, hh=7))  # green: nothing happens
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1, hh=8))
    checkin(w.bob, at(w.e1, hh=8, mm=30))
    assert not UnitReport.objects.get(unit=w.e1).flagged
    with django_capture_on_commit_callbacks(execute=True):  # the flag's audit row follows the commit
        checkin(w.bob, at(w.e1, hh=9), card="yellow")  # an amendment turning yellow
    report = UnitReport.objects.get(unit=w.e1)
    assert report.flagged and "yellow" in report.flag_reason and "E1-G2" in report.flag_reason
    assert AuditEntry.objects.filter(action="reports.flag").count() == 1
    assert queries.reporting(w.e1, DAY)["flagged"] == 1
    # the flagged unit corrects it with items: no longer flagged
    fixed = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1, hh=9, mm=30))
    assert not fixed.flagged and fixed.revision == 2 and not fixed.late


def test_an_abnormal_checkin_in_another_enterprise_flags_nothing(w, rt):
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1, hh=8))
    checkin(w.carol, at(w.e2, hh=8, mm=30), card="red")
    assert not UnitReport.objects.get(unit=w.e1).flagged


def test_deadline_in_the_enterprises_own_zone(w, rt):
    from tests.factories import unit

    berlin = unit("E9", "enterprise", w.segment, name="柏林公司", tz="Europe/Berlin")
    on_time = actions.submit_report(
        w.segment_admin, berlin, rt, DAY, zero=True, now=at(berlin, hh=9, mm=59, ss=59)
    )
    assert not on_time.late
    late = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1, hh=10))
    assert late.late
    # 09:59:59 in Berlin is 16:59:59 in Shanghai: lateness never follows the server's zone
    assert at(berlin, hh=9, mm=59, ss=59) > at(w.e1, hh=10)


def test_the_period_locks_at_closing_and_the_level_above_grants_an_exception(w, rt):
    midnight = at(w.e1, day=DAY.replace(day=21), hh=0)
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=midnight)
    assert exc.value.field == "state"
    with pytest.raises(PermissionDenied):
        actions.grant_unlock(w.enterprise_admin, w.e1, rt, DAY, reason="my own")
    actions.grant_unlock(w.segment_admin, w.e1, rt, DAY, reason="network down all evening")
    from django.utils import timezone

    report = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=timezone.now())
    assert report.late
    assert AuditEntry.objects.filter(action="reports.unlock").count() == 1


def test_a_future_period_cannot_be_reported(w, rt):
    with pytest.raises(ActionError) as exc:
        actions.submit_report(
            w.enterprise_admin, w.e1, rt, DAY.replace(day=21), zero=True, now=at(w.e1, hh=23)
        )
    assert exc.value.field == "date"


def test_a_unit_not_assigned_cannot_report(w, rt):
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.grid_leader, w.grid1, rt, DAY, zero=True, now=at(w.e1))
    assert exc.value.field == "type"


def test_an_abnormal_checkin_flags_the_standing_zero_reports_of_its_day_above_it(w, rt):
    from datetime import timedelta

    before = DAY - timedelta(days=1)
    actions.submit_report(w.outsider, w.e2, rt, before, zero=True, now=at(w.e2, day=before, hh=8))
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1, hh=8))
    returned = actions.submit_report(w.outsider, w.e2, rt, DAY, zero=True, now=at(w.e2, hh=8))
    segment = actions.submit_report(w.segment_admin, w.segment, rt, DAY, zero=True, now=at(w.segment, hh=8))
    actions.review_report(w.segment_admin, returned, accept=False, comment="recount the isolated")

    checkin(w.carol, at(w.e2, hh=9), card="red")

    flagged = dict(UnitReport.objects.values_list("pk", "flagged"))
    assert flagged[segment.pk]  # the segment's zero report stands above E2
    assert not flagged[returned.pk]  # returned for correction: nothing stands to flag
    assert not flagged[UnitReport.objects.get(unit=w.e2, period_start=before).pk]  # another day
    assert not flagged[UnitReport.objects.get(unit=w.e1).pk]  # a report with items

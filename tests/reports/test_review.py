"""Review level by level: the segment accepts or returns its enterprises' reports, excuses a unit, and
can submit its own compiled report only when every expected enterprise reported or is excused.
A report missing past its deadline opens a ledger item for the unit's admin."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from fangkong.audit.models import AuditEntry
from fangkong.ledger.models import Item, Kind, State
from fangkong.org.actions import ActionError
from fangkong.reports import actions, queries
from fangkong.reports.models import UnitReport

from .helpers import DAY, VALUES, at


def test_segment_cannot_submit_while_one_enterprise_is_missing_and_not_excused(w, rt):
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.segment_admin, w.segment, rt, DAY, zero=True, now=at(w.segment))
    assert exc.value.field == "children" and "E2" in str(exc.value) and "E1" not in str(exc.value)
    assert not UnitReport.objects.filter(unit=w.segment).exists()

    with pytest.raises(PermissionDenied):  # an enterprise cannot excuse itself
        actions.excuse_unit(w.outsider, w.e2, rt, DAY, reason="holiday")
    actions.excuse_unit(w.segment_admin, w.e2, rt, DAY, reason="plant closed for maintenance")
    report = actions.submit_report(w.segment_admin, w.segment, rt, DAY, zero=True, now=at(w.segment))
    assert report.zero
    assert AuditEntry.objects.filter(action="reports.excuse").count() == 1
    figures = queries.reporting(w.segment, DAY)
    assert (figures["expected"], figures["submitted"], figures["excused"]) == (2, 2, 1)


def test_a_returned_report_blocks_the_compiled_report_until_resubmitted(w, rt):
    e1 = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1))
    actions.submit_report(w.outsider, w.e2, rt, DAY, zero=True, now=at(w.e2))
    actions.review_report(w.segment_admin, e1, accept=False, comment="on_site looks wrong")
    with pytest.raises(ActionError):
        actions.submit_report(w.segment_admin, w.segment, rt, DAY, zero=True, now=at(w.segment))
    figures = queries.reporting(w.segment, DAY)
    states = {m["code"]: m["state"] for m in figures["missing"]}
    assert figures["returned"] == 1 and states == {"S1": "missing", "E1": "returned"}
    actions.submit_report(
        w.enterprise_admin, w.e1, rt, DAY, values={**VALUES, "on_site": 1}, now=at(w.e1, hh=11)
    )
    again = UnitReport.objects.get(unit=w.e1)
    assert again.state == "submitted" and again.revision == 2 and not again.late  # first submission decides
    actions.submit_report(w.segment_admin, w.segment, rt, DAY, values=VALUES, now=at(w.segment, hh=11))


def test_review_is_for_the_level_above_and_every_step_is_audited(w, rt):
    report = actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    with pytest.raises(PermissionDenied):
        actions.review_report(w.enterprise_admin, report, accept=True)
    with pytest.raises(ActionError) as exc:
        actions.review_report(w.segment_admin, report, accept=False, comment="  ")
    assert exc.value.field == "comment"
    actions.review_report(w.segment_admin, report, accept=False, comment="please recount")
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=VALUES, now=at(w.e1, hh=9, mm=30))
    report.refresh_from_db()
    actions.review_report(w.segment_admin, report, accept=True)
    with pytest.raises(ActionError) as exc:
        actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1, hh=9, mm=40))
    assert exc.value.field == "state"
    steps = list(report.events.order_by("pk").values_list("type", flat=True))
    assert steps == ["submit", "return", "resubmit", "accept"]
    audited = set(AuditEntry.objects.filter(object_type="unit_report").values_list("action", flat=True))
    assert {"reports.submit", "reports.return", "reports.resubmit", "reports.accept"} <= audited


def test_overdue_reports_open_a_ledger_item_for_the_units_admin(w, rt):
    actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, zero=True, now=at(w.e1))
    key = f":epidemic_daily:{DAY.isoformat()}"
    actions.open_overdue(at(w.e1, hh=9, mm=59))
    assert not Item.objects.filter(key__endswith=key).exists()  # before the deadline nothing is overdue
    actions.open_overdue(at(w.e1, hh=10, mm=5))
    items = Item.objects.filter(kind=Kind.REPORT_MISSING, state=State.OPEN, key__endswith=key)
    assert {i.unit.code: i.owner.username for i in items} == {"E2": "outsider", "S1": "segment_admin"}
    assert actions.open_overdue(at(w.e1, hh=11)) == 0  # once per unit and period
    actions.submit_report(w.outsider, w.e2, rt, DAY, zero=True, now=at(w.e2, hh=11))
    assert Item.objects.get(unit=w.e2, key__endswith=key).state == State.CLOSED


def test_overdue_command(w, rt, capsys):
    call_command("reports", "overdue")
    assert "ledger items opened:" in capsys.readouterr().out
    call_command("reports", "defaults")
    assert "report types created: 0" in capsys.readouterr().out

"""Issue 7, acceptance 1 and 2: a county's level re-plans its enterprises in the same call, with the
diff and ledger items; back to low relaxes them; "what applied on day D" for before, during, after;
a province's level reaches its counties without their own; an override lapses on its expiry."""

from datetime import date, timedelta

import pytest

from fangkong.controls import actions, queries
from fangkong.controls.models import ControlPlan, Level, PlanMeasure
from fangkong.ledger.models import Item, Kind, State
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit
from tests.factories import unit

D1 = date(2026, 3, 1)  # the county turns high
D2 = date(2026, 3, 10)  # and back to low


def codes(measures) -> set[str]:
    return {m.code for m in measures}


def test_county_to_high_replans_every_enterprise_there_with_diff_and_items(w):
    e3 = unit("E3", Unit.Kind.ENTERPRISE, w.segment, name="第三企业", region_code="110105")
    out = actions.set_region_risk(w.group_admin, "110105", "high", D1, source="web", today=D1)

    assert {c.enterprise.code for c in out.plans} == {"E1", "E3"}  # E2 is in Wuhan: untouched
    for ent in (w.e1, e3):
        plan = ControlPlan.objects.get(enterprise=ent, current=True)
        assert (plan.version, plan.level, plan.reason, plan.source) == (2, "high", "level", "region:110105")
        low = codes(queries.required(plan.policy, "low"))
        high = codes(queries.required(plan.policy, "high"))
        assert set(plan.added) == high - low and plan.relaxed == []
        items = Item.objects.filter(kind=Kind.MEASURE_UNATTESTED, unit=ent, state=State.OPEN)
        assert {i.detail["measure"] for i in items} == high - low
        assert all(i.owner == (w.enterprise_admin if ent == w.e1 else None) for i in items)
    assert not ControlPlan.objects.filter(enterprise=w.e2).exclude(level="low").exists()
    # the diff is sent to E1's prevention officer (fangkong.notify inbox)
    from fangkong.notify.models import Message

    sent = Message.objects.get(user=w.enterprise_admin, key="plan:E1:2")
    assert "canteen" not in sent.subject and str(len(high - low)) in sent.subject
    assert "停止堂食" in sent.body and sent.link == "/controls/units/E1/"

    # back to low: a third version relaxes exactly what was added, and their items close
    out = actions.set_region_risk(w.group_admin, "110105", "low", D2, source="api", today=D2)
    plan = ControlPlan.objects.get(enterprise=w.e1, current=True)
    assert (plan.version, plan.level) == (3, "low")
    assert set(plan.relaxed) == high - low and plan.added == []
    closed = Item.objects.filter(kind=Kind.MEASURE_UNATTESTED, unit=w.e1)
    assert closed.count() == len(high - low)
    assert set(closed.values_list("state", "close_reason")) == {(State.CLOSED, "resolved")}

    # history: the day before, during and after
    before = queries.applied_on(w.e1, D1 - timedelta(days=1))
    during = queries.applied_on(w.e1, D1 + timedelta(days=3))
    after = queries.applied_on(w.e1, D2 + timedelta(days=1))
    assert (before.level, before.source, before.policy.version) == ("low", "default", 1)
    assert (during.level, during.source) == ("high", "region:110105")
    assert codes(during.measures) == high
    assert during.plan is not None and during.plan.version == 2
    assert (after.level, after.source, codes(after.measures)) == ("low", "region:110105", low)
    assert after.plan is not None and after.plan.version == 3
    assert before.plan is None  # the first plan was made on the day of the change, v2 replaced it


def test_attested_measures_carry_over_and_attesting_closes_the_item(w):
    actions.set_region_risk(w.group_admin, "110105", "medium", D1, source="web", today=D1)
    plan = ControlPlan.objects.get(enterprise=w.e1, current=True)
    pm = plan.measures.select_related("measure").get(measure__code="canteen.single_seat")
    actions.attest_measure(w.enterprise_admin, pm, state="done")
    item = Item.objects.get(kind=Kind.MEASURE_UNATTESTED, key="measure:E1:canteen.single_seat")
    assert item.state == State.CLOSED and item.close_reason == "resolved"

    actions.set_region_risk(
        w.group_admin, "110105", "high", D1 + timedelta(days=1), source="web", today=D1 + timedelta(days=1)
    )
    new = ControlPlan.objects.get(enterprise=w.e1, current=True)
    kept = new.measures.get(measure__code="canteen.single_seat")
    assert kept.state == PlanMeasure.State.DONE  # still required, already attested
    with pytest.raises(ActionError) as e:
        actions.attest_measure(w.enterprise_admin, pm, state="done")  # the replaced version
    assert e.value.field == "plan"
    pending = new.measures.get(measure__code="canteen.boxed")
    with pytest.raises(ActionError) as e:
        actions.attest_measure(w.enterprise_admin, pending, state="not_applicable")
    assert e.value.field == "note"


def test_province_level_reaches_counties_without_their_own(w):
    e3 = unit("E3", Unit.Kind.ENTERPRISE, w.segment, name="第三企业", region_code="420111")
    actions.set_region_risk(w.group_admin, "420000", "medium", D1, source="import", today=D1)
    actions.set_region_risk(w.group_admin, "420111", "low", D1, source="import", today=D1)
    assert queries.effective_level(w.e2, D1) == ("medium", "region:420000")  # 420106 has none
    assert queries.effective_level(e3, D1) == ("low", "region:420111")  # its own wins
    assert queries.effective_level(w.e1, D1) == ("low", "default")  # Beijing
    assert queries.effective_level(w.e2, D1 - timedelta(days=1)) == ("low", "default")
    assert ControlPlan.objects.get(enterprise=w.e2, current=True).level == "medium"
    assert queries.risk_distribution(w.group, D1) == {"low": 2, "medium": 1, "high": 0}


def test_overseas_enterprise_follows_its_country(w):
    e9 = unit("E9", Unit.Kind.ENTERPRISE, w.segment, name="海外项目部", region_code="PK", tz="Asia/Karachi")
    actions.set_region_risk(w.group_admin, "PK", "high", D1, source="api", today=D1)
    assert queries.effective_level(e9, D1) == ("high", "region:PK")


def test_an_override_lapses_on_its_expiry(w):
    actions.set_override(
        w.group_admin,
        w.e1,
        level="high",
        reason="cluster in the plant",
        expires_on=D1 + timedelta(days=6),
        today=D1,
    )
    assert queries.effective_level(w.e1, D1) == ("high", "override")
    assert queries.effective_level(w.e1, D1 + timedelta(days=6)) == ("high", "override")
    assert queries.effective_level(w.e1, D1 + timedelta(days=7)) == ("low", "default")  # no job ran
    assert queries.effective_level(w.e1, D1 - timedelta(days=1)) == ("low", "default")
    assert ControlPlan.objects.get(enterprise=w.e1, current=True).level == "high"
    # the daily job (or any later change) brings the plan back in line after the lapse
    changes = actions.sync_plans("system", [w.e1], today=D1 + timedelta(days=7))
    assert [c.plan.level for c in changes] == ["low"]
    with pytest.raises(ActionError) as e:
        actions.set_override(w.group_admin, w.e1, level="high", reason="", expires_on=D1, today=D1)
    assert e.value.field == "reason"


def test_unattested_measures_past_their_time_become_items(w):
    actions.sync_plans("system", [w.e1, w.e2], today=D1)  # first plans: no items yet
    assert not Item.objects.filter(kind=Kind.MEASURE_UNATTESTED).exists()
    plan = ControlPlan.objects.get(enterprise=w.e1, current=True)
    late = plan.measures.first().due_at + timedelta(minutes=1)
    pm = plan.measures.select_related("measure").first()
    actions.attest_measure(w.enterprise_admin, pm, state="done")
    n = actions.open_overdue(late)
    low = len(queries.required(plan.policy, Level.LOW))
    assert n == 2 * low - 1
    assert actions.open_overdue(late) == 0  # once

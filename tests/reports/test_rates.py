"""Reporting and on-time rates equal a direct count, for random effective-dated assignments, random
submission instants around the deadline in each enterprise's own zone, and units opened or closed
in the middle of the period."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fangkong.org.actions import ActionError
from fangkong.org.models import Unit
from fangkong.reports import actions, queries
from fangkong.reports.models import Assignment, Excuse, ReportType, UnitReport
from tests.factories import unit

from .helpers import DAY, VALUES, at

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
WEEK_OF = date(2026, 11, 18)  # a Wednesday; its week runs Monday 16th .. Sunday 22nd
OFFSETS = [timedelta(hours=-3), timedelta(seconds=-1), timedelta(0), timedelta(seconds=1), timedelta(hours=2)]


def _tree(w, rng: random.Random) -> list[Unit]:
    s2 = unit("S2", "segment", w.group, name="第二板块")
    made = [
        unit(f"R{i:02d}", "enterprise", rng.choice([w.segment, s2]), name=f"企业{i}", tz=rng.choice(ZONES))
        for i in range(10)
    ]
    return [w.e1, w.e2, *made]


def _random_assignments(rt: ReportType, enterprises: list[Unit], rng: random.Random, first: date, last: date):
    Assignment.objects.filter(report_type=rt).delete()
    around = [first - timedelta(days=3), first, first + timedelta(days=2), last, last + timedelta(days=1)]

    def span() -> tuple[date, date | None]:
        start = rng.choice(around)
        end = rng.choice([None, start + timedelta(days=rng.randint(1, 6))])
        return start, end

    if rng.random() < 0.7:
        start, end = span()
        Assignment.objects.create(report_type=rt, unit_kind="enterprise", start=start, end=end)
    for u in rng.sample(enterprises, k=rng.randint(0, len(enterprises))):
        start, end = span()
        Assignment.objects.create(report_type=rt, unit=u, include=rng.random() < 0.6, start=start, end=end)


def _direct_expected(rt: ReportType, units: list[Unit], last: date) -> set[str]:
    def in_force(a: Assignment) -> bool:
        return a.start <= last and (a.end is None or a.end > last)

    rows = [a for a in Assignment.objects.filter(report_type=rt) if in_force(a)]
    out = set()
    for u in units:
        u.refresh_from_db()
        included = any(
            a.include and (a.unit_id == u.pk or (not a.unit_id and a.unit_kind == u.kind)) for a in rows
        )
        excluded = any(not a.include and a.unit_id == u.pk for a in rows)
        if u.active and included and not excluded:
            out.add(u.code)
    return out


def _deadline(rt: ReportType, u: Unit, last: date) -> datetime:
    return datetime.combine(
        last + timedelta(days=rt.deadline_offset_days), rt.deadline_time, tzinfo=ZoneInfo(u.timezone)
    )


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("code", ["epidemic_daily", "project_weekly"])
def test_rates_equal_a_direct_count(w, rt, seed, code):
    rng = random.Random(f"{code}:{seed}")
    rtype = ReportType.objects.select_related("category").get(code=code)
    day = DAY if code == "epidemic_daily" else WEEK_OF
    first = day - timedelta(days=day.weekday()) if code == "project_weekly" else day
    last = first + timedelta(days=6) if code == "project_weekly" else day
    enterprises = _tree(w, rng)
    _random_assignments(rtype, enterprises, rng, first, last)
    if rng.random() < 0.3:  # a unit deactivated (closed) is expected nowhere
        Unit.objects.filter(pk=rng.choice(enterprises).pk).update(active=False)
    expected = _direct_expected(rtype, enterprises, last)

    submitted_at: dict[str, datetime] = {}
    for u in enterprises:
        if rng.random() < 0.25:
            continue
        when = _deadline(rtype, u, last) + rng.choice(OFFSETS)
        values = (
            {**VALUES, "on_site": 0}
            if code == "epidemic_daily"
            else {"projects_total": 3, "projects_resumed": 2}
        )
        zero = rng.random() < 0.4
        try:
            actions.submit_report(
                w.group_admin, u, rtype, day, zero=zero, values=None if zero else values, now=when
            )
        except ActionError as exc:
            assert u.code not in expected and exc.field == "type", (u.code, str(exc))
            continue
        submitted_at[u.code] = when

    on_time = {c for c, t in submitted_at.items() if t < _deadline(rtype, Unit.objects.get(code=c), last)}
    zeros = set(UnitReport.objects.filter(report_type=rtype, zero=True).values_list("unit__code", flat=True))
    for top in (w.group, w.segment):
        under = {u.code for u in enterprises if u.path.startswith(Unit.objects.get(pk=top.pk).path)}
        exp = expected & under
        got = queries.reporting(top, day, code)
        assert got["expected"] == len(exp)
        assert got["submitted"] == len(set(submitted_at) & exp)
        assert got["on_time"] == len(on_time & exp)
        assert got["late"] == got["submitted"] - got["on_time"]
        assert got["zero"] == len(zeros & exp)
        assert {m["code"] for m in got["missing"]} == exp - set(submitted_at)
        assert got["rate"] == (round(got["submitted"] / len(exp), 4) if exp else None)
        assert {u.code for u in queries.missing_units(rtype, day, under=top)} == exp - set(submitted_at)


def test_nine_fifty_nine_is_on_time_and_ten_is_late_in_the_enterprises_zone(w, rt):
    auckland = unit("E7", "enterprise", w.segment, name="奥克兰公司", tz="Pacific/Auckland")
    newyork = unit("E8", "enterprise", w.segment, name="纽约公司", tz="America/New_York")
    actions.submit_report(w.group_admin, auckland, rt, DAY, zero=True, now=at(auckland, hh=9, mm=59, ss=59))
    actions.submit_report(w.group_admin, newyork, rt, DAY, zero=True, now=at(newyork, hh=10))
    figures = queries.reporting(w.segment, DAY)
    assert (figures["submitted"], figures["on_time"], figures["late"]) == (2, 1, 1)
    assert UnitReport.objects.get(unit=newyork).late and not UnitReport.objects.get(unit=auckland).late


def test_units_opened_or_closed_mid_period_do_not_distort_the_rates(w):
    weekly = ReportType.objects.select_related("category").get(code="project_weekly")
    opened = unit("E5", "enterprise", w.segment, name="新开企业")
    closed = unit("E6", "enterprise", w.segment, name="关停企业")
    wednesday = WEEK_OF
    Assignment.objects.filter(report_type=weekly).delete()
    Assignment.objects.create(report_type=weekly, unit_kind="enterprise", start=date(2020, 1, 1))
    # E6 closes on Wednesday; E5 only exists from Wednesday (its own assignment)
    Assignment.objects.create(report_type=weekly, unit=closed, include=False, start=wednesday)
    Assignment.objects.create(
        report_type=weekly, unit=opened, include=False, start=date(2020, 1, 1), end=wednesday
    )
    body = {"projects_total": 1, "projects_resumed": 1}
    monday_noon = at(w.e1, day=date(2026, 11, 23), hh=11)
    for u in (w.e1, opened):
        actions.submit_report(w.group_admin, u, weekly, wednesday, values=body, now=monday_noon)
    with pytest.raises(ActionError):
        actions.submit_report(w.group_admin, closed, weekly, wednesday, values=body, now=monday_noon)
    figures = queries.reporting(w.segment, wednesday, "project_weekly")
    assert (figures["expected"], figures["submitted"], figures["on_time"]) == (3, 2, 2)  # E1, E2, E5
    assert [m["code"] for m in figures["missing"]] == ["E2"]
    # the week before, E5 did not exist yet and E6 still reported
    earlier = queries.reporting(w.segment, wednesday - timedelta(days=7), "project_weekly")
    assert earlier["expected"] == 3 and {m["code"] for m in earlier["missing"]} == {"E1", "E2", "E6"}


@pytest.mark.parametrize("seed", range(4))
def test_the_trend_over_many_days_counts_each_day_as_reporting_does(w, rt, seed):
    """`reporting_over` (the dashboard's trend: one read for the span) gives each day the totals
    `reporting` gives that day, with assignments changing inside the span, reports on time, late,
    returned, and excused units."""
    rng = random.Random(f"over:{seed}")
    days = [DAY - timedelta(days=n) for n in range(5, -1, -1)]
    enterprises = _tree(w, rng)
    _random_assignments(rt, enterprises, rng, days[0], days[-1])
    for day in days:
        for u in enterprises:
            roll = rng.random()
            if roll < 0.5:
                when = _deadline(rt, u, day) + rng.choice(OFFSETS)
                try:
                    report = actions.submit_report(w.group_admin, u, rt, day, zero=True, now=when)
                except ActionError:
                    continue  # not expected that day
                if rng.random() < 0.2:
                    actions.review_report(w.group_admin, report, accept=False, comment="数据有误")
            elif roll < 0.6:
                actions.excuse_unit(w.group_admin, u, rt, day, reason="停产")
    assert UnitReport.objects.filter(state="returned").exists() and Excuse.objects.exists()
    for top in (w.group, w.segment):
        over = queries.reporting_over(top, days)
        for day in days:
            one = queries.reporting(top, day)
            want = {k: one[k] for k in ("expected", "submitted", "on_time")} | {
                "missing": len(one["missing"])
            }
            assert over[day] == want, (top.code, day)

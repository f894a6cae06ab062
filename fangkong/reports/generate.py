"""Synthetic report history for `fangkong generate` and `fangkong demo` (see org.generate).

Per enterprise and day: the daily epidemic report (a zero report when the day's check-ins had no
abnormal card, ~70 % of those) and the production dispatch report; ~96 % submitted, ~88 % of those
before 10:00 local. Past reports are mostly accepted by the segment, a few returned with a comment.
Each segment files its compiled epidemic report when its enterprises have reported or been excused.
Weekly project and monthly business reports for the completed periods. Sized by units, not people.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.db.models import Sum

from fangkong.checkins.models import UnitDay
from fangkong.lib.dates import local_time
from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Unit

from .defaults import load_defaults
from .models import Excuse, ReportType, UnitReport
from .periods import deadline, period_of

RETURN_COMMENTS = [
    "在岗人数与打卡数据不符，请核实",
    "隔离人数填报有误",
    "请补充情况说明",
    "产值口径不一致，请按日口径重报",
]


def _when(rng: random.Random, unit: Unit, day: date, on_time: bool) -> datetime:
    minutes = rng.randrange(7 * 60 + 30, 10 * 60) if on_time else rng.randrange(10 * 60, 16 * 60)
    return local_time(unit.timezone, day, time(minutes // 60, minutes % 60, rng.randrange(60)))


def _abnormal(first: date, last: date) -> dict[tuple[int, date], tuple[int, int, int]]:
    rows = (
        UnitDay.objects.filter(day__gte=first, day__lte=last)
        .values("unit__enterprise_id", "day")
        .annotate(
            expected=Sum("expected"), checked_in=Sum("checked_in"), red=Sum("red"), yellow=Sum("yellow")
        )
    )
    return {
        (r["unit__enterprise_id"], r["day"]): (
            r["expected"] or 0,
            r["checked_in"] or 0,
            (r["red"] or 0) + (r["yellow"] or 0),
        )
        for r in rows
    }


@register_history
def report_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    load_defaults()
    types = {t.code: t for t in ReportType.objects.select_related("category")}
    first = ctx.today - timedelta(days=days - 1)
    enterprises = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True).order_by("path"))
    segments = list(Unit.objects.filter(kind=Unit.Kind.SEGMENT, active=True).order_by("path"))
    figures = _abnormal(first, ctx.today)
    now = ctx.now
    reports: list[UnitReport] = []
    excuses: list[Excuse] = []
    done: dict[tuple[int, date], bool] = {}

    def add(
        unit: Unit, rt: ReportType, day: date, *, zero: bool, values: dict, computed: dict, when: datetime
    ) -> None:
        start, last = period_of(rt, day)
        past = start < ctx.today
        roll = rng.random()
        state = "accepted" if past and roll < 0.9 else ("returned" if past and roll < 0.93 else "submitted")
        reports.append(
            UnitReport(
                unit=unit,
                report_type=rt,
                period_start=start,
                period_end=last,
                zero=zero,
                values=values,
                computed=computed,
                state=state,
                submitted_at=when,
                late=when >= deadline(rt, unit, day),
                updated_at=when,
                reviewed_at=when + timedelta(hours=3) if state != "submitted" else None,
                reviewed_by="system" if state != "submitted" else "",
                review_comment=rng.choice(RETURN_COMMENTS) if state == "returned" else "",
            )
        )

    epidemic, production = types["epidemic_daily"], types["production_daily"]
    for offset in range(days):
        day = first + timedelta(days=offset)
        share = 0.6 if day == ctx.today else 0.96
        for e in enterprises:
            if local_time(e.timezone, day, time(7, 30)) > now or rng.random() > share:
                done[(e.pk, day)] = False
                continue
            done[(e.pk, day)] = True
            expected, checked_in, abnormal = figures.get((e.pk, day), (0, 0, 0))
            computed = {
                "headcount": expected,
                "checked_in": checked_in,
                "abnormal": abnormal,
                "exempt": 0,
                "open_items": 0,
            }
            when = _when(rng, e, day, rng.random() < 0.88)
            if when > now:
                when = now - timedelta(minutes=rng.randrange(1, 60))
            if abnormal == 0 and rng.random() < 0.7:
                add(e, epidemic, day, zero=True, values={}, computed=computed, when=when)
            else:
                on_site = int(checked_in * rng.uniform(0.7, 0.95))
                values = {
                    "on_site": on_site,
                    "isolated": min(abnormal, rng.randrange(0, 3)),
                    "new_confirmed": 0,
                    "new_suspected": 0,
                }
                add(e, epidemic, day, zero=False, values=values, computed=computed, when=when)
            if rng.random() < 0.9:
                prod = {
                    "output_value": f"{rng.uniform(5, 800):.1f}",
                    "capacity_rate": f"{rng.uniform(55, 100):.1f}",
                    "workers_on_site": int(checked_in * rng.uniform(0.5, 0.9)),
                    "stoppage": rng.choices(["none", "partial", "full"], [85, 13, 2])[0],
                }
                add(e, production, day, zero=False, values=prod, computed={}, when=when + timedelta(hours=7))
        if day == ctx.today:
            continue
        by_segment: dict[int, list[Unit]] = defaultdict(list)
        for e in enterprises:
            by_segment[e.parent_id or 0].append(e)
        for s in segments:
            missing = [e for e in by_segment.get(s.pk, []) if not done[(e.pk, day)]]
            excused = [e for e in missing if rng.random() < 0.8]
            excuses += [
                Excuse(
                    unit=e,
                    report_type=epidemic,
                    period_start=day,
                    reason="停产检修，经板块同意免报",
                    by="system",
                    at=local_time(s.timezone, day, time(11)),
                )
                for e in excused
            ]
            if len(excused) == len(missing):
                add(
                    s,
                    epidemic,
                    day,
                    zero=False,
                    values={"on_site": 0, "isolated": 0, "new_confirmed": 0},
                    computed={},
                    when=local_time(s.timezone, day, time(11, rng.randrange(60))),
                )
    _periodic(rng, ctx, first, enterprises, types, add)
    UnitReport.objects.bulk_create(reports, batch_size=2000)
    Excuse.objects.bulk_create(excuses, batch_size=2000)
    return {"reports_unitreport": len(reports), "reports_excuse": len(excuses)}


def _periodic(rng, ctx, first, enterprises, types, add) -> None:
    weekly, monthly = types["project_weekly"], types["business_monthly"]
    week = period_of(weekly, first)[0]
    while week + timedelta(days=7) <= ctx.today:
        for e in enterprises:
            if rng.random() < 0.9:
                total = rng.randrange(1, 12)
                values = {
                    "projects_total": total,
                    "projects_resumed": rng.randrange(0, total + 1),
                    "progress_rate": f"{rng.uniform(40, 100):.1f}",
                }
                add(
                    e,
                    weekly,
                    week,
                    zero=False,
                    values=values,
                    computed={},
                    when=local_time(
                        e.timezone, week + timedelta(days=7), time(rng.randrange(8, 14), rng.randrange(60))
                    ),
                )
        week += timedelta(days=7)
    month_start = ctx.today.replace(day=1) - timedelta(days=1)
    month = month_start.replace(day=1)
    if month >= first - timedelta(days=31):
        for e in enterprises:
            if rng.random() < 0.85:
                revenue = rng.uniform(500, 50_000)
                values = {
                    "revenue": f"{revenue:.1f}",
                    "profit": f"{revenue * rng.uniform(-0.05, 0.12):.1f}",
                    "new_orders": f"{rng.uniform(0, revenue):.1f}",
                }
                add(
                    e,
                    monthly,
                    month,
                    zero=False,
                    values=values,
                    computed={},
                    when=local_time(
                        e.timezone, ctx.today.replace(day=1) + timedelta(days=rng.randrange(0, 6)), time(15)
                    ),
                )

"""Synthetic history of the controls module for `fangkong generate` and `fangkong demo`.

Over the days of history: a few counties where enterprises sit turn medium, two of them high, and
most go back to low (plans follow, through the same `sync_plans` as a real change); enterprises
attest most measures; every enterprise starts suspended after the holiday and resumes over the
weeks, four stay suspended with a reason; one enterprise in five has a key project.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.db.models import F

from fangkong.lib.dates import zone
from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Unit

from . import actions
from .items import close_items, open_keys
from .models import KeyProject, OperatingStatus, PlanMeasure, RiskLevel

STILL_SUSPENDED = [
    "海外原料断供，等待复产审批",
    "所在园区封闭管理",
    "设备检修与消杀未完成",
    "外地员工尚未返岗",
]
PROJECTS = [
    "二期厂房扩建",
    "智能化产线改造",
    "新能源储能电站",
    "物流园区建设",
    "污水处理升级",
    "研发中心大楼",
]


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone("Asia/Shanghai"))


@register_history
def controls_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    first = ctx.today - timedelta(days=days - 1)
    ents = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True).order_by("code"))
    if not ents:
        return {}
    counties = sorted({e.region_id for e in ents if e.region_id and e.region_id.isdigit()})
    hot = rng.sample(counties, min(6, len(counties)))

    # risk changes by day: (day, county, level)
    changes: list[tuple[date, str, str]] = []
    for i, code in enumerate(hot):
        start = first + timedelta(days=rng.randrange(0, max(1, days // 3)))
        changes.append((start, code, "medium"))
        if i < 2:
            changes.append((min(ctx.today, start + timedelta(days=3)), code, "high"))
        if i != 0:  # one county is still at risk today
            changes.append((min(ctx.today, start + timedelta(days=rng.randrange(10, 18))), code, "low"))
    changes.sort()

    actions.sync_plans("system", ents, today=first, now=_at(first))
    by_day: dict[date, list[tuple[str, str]]] = {}
    for day, code, level in changes:
        by_day.setdefault(day, []).append((code, level))
    levels = 0
    for day, rows in sorted(by_day.items()):
        RiskLevel.objects.bulk_create(
            RiskLevel(
                region_id=code,
                level=level,
                effective_from=day,
                source=RiskLevel.Source.IMPORT,
                set_by="demo",
                note="卫健委公告",
                created_at=_at(day, 8),
            )
            for code, level in rows
        )
        levels += len(rows)
        touched = [e for e in ents if e.region_id in {c for c, _level in rows}]
        actions.sync_plans("system", touched, today=day, now=_at(day))

    # most measures attested within a day of their plan; the rest open as overdue items
    pending = list(
        PlanMeasure.objects.filter(plan__current=True, state=PlanMeasure.State.PENDING).select_related(
            "plan__enterprise", "measure"
        )
    )
    done = [pm for pm in pending if rng.random() < 0.95]
    PlanMeasure.objects.filter(pk__in=[pm.pk for pm in done]).update(
        state=PlanMeasure.State.DONE, attested_by="demo", attested_at=F("due_at") - timedelta(hours=30)
    )
    keys = [actions.measure_key(pm.plan.enterprise, pm.measure.code) for pm in done]
    close_items("demo", list(open_keys("measure_unattested", keys).values()), note="已落实")
    overdue = actions.open_overdue(ctx.now, actor="system")

    # operating status: suspended after the holiday, resumed over the weeks, four still suspended
    statuses: list[OperatingStatus] = []
    stay = set(rng.sample(range(len(ents)), min(4, len(ents))))
    for i, e in enumerate(ents):
        statuses.append(
            OperatingStatus(
                enterprise=e, status="suspended", effective_from=first, reason="春节假期延长", set_by="demo"
            )
        )
        if i in stay:
            reason = STILL_SUSPENDED[len(statuses) % len(STILL_SUSPENDED)]
            statuses.append(
                OperatingStatus(
                    enterprise=e,
                    status="suspended",
                    effective_from=first + timedelta(days=1),
                    reason=reason,
                    set_by="demo",
                )
            )
            continue
        back = first + timedelta(days=rng.randrange(1, max(2, days - 2)))
        if rng.random() < 0.15:
            statuses.append(
                OperatingStatus(enterprise=e, status="partial", effective_from=back, set_by="demo")
            )
            back = min(ctx.today, back + timedelta(days=rng.randrange(2, 8)))
        statuses.append(OperatingStatus(enterprise=e, status="resumed", effective_from=back, set_by="demo"))
    OperatingStatus.objects.bulk_create(statuses, batch_size=2000)

    projects = [
        KeyProject(
            enterprise=e,
            name=rng.choice(PROJECTS),
            investment=rng.randrange(500, 200_000),
            status=rng.choices(["building", "resumed", "paused"], [6, 3, 1])[0],
            updated_by="demo",
        )
        for e in ents
        if rng.random() < 0.2
    ]
    KeyProject.objects.bulk_create(projects, batch_size=2000)
    ctx.write(f"  controls: {levels} risk changes, {overdue} overdue measures, {len(projects)} key projects")
    return {
        "controls_risklevel": levels,
        "controls_operatingstatus": len(statuses),
        "controls_keyproject": len(projects),
    }

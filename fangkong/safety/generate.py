"""Synthetic safety history for `fangkong generate` and `fangkong demo` (see org.generate).

Sized by enterprises, not people: over the days, ~0.3 % of enterprise-days have a minor injury, a
few fires and "other" events, and very few serious ones (about one serious injury and one grade IV
environmental emergency a month across the group); ~8 % of reports are late. Supervision: one group
plan over ~8 % of the enterprises, visited by three group inspectors, 15-aspect checklists with a
few issues, findings as rectification items (older ones closed by a re-inspection).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from fangkong.ledger.models import CloseReason, Event, Item, Kind, State
from fangkong.org.generate import ACTOR, HistoryContext, register_history, seeded_uuid
from fangkong.org.models import Role, RoleGrant, Unit

from . import checklist
from .models import (
    DEFAULT_OTHER_MINUTES,
    DEFAULT_SERIOUS_MINUTES,
    SERIOUS_KINDS,
    ChecklistEntry,
    CheckResult,
    Finding,
    Incident,
    IncidentKind,
    InspectionPlan,
    Recheck,
    Visit,
)

PLACES = [
    "一号车间",
    "二号车间",
    "装配线",
    "仓库",
    "锅炉房",
    "配电室",
    "污水处理站",
    "施工现场",
    "厂区道路",
    "食堂后厨",
]
MINOR = [
    ("搬运物料时手指被夹伤，已送医包扎", "立即停机，现场急救后送医，对同岗位开展安全提醒"),
    ("员工在湿滑地面摔倒，膝盖擦伤", "清理地面积水，设置防滑警示标识"),
    ("切割作业时手部轻微划伤", "现场包扎，检查防护手套配备情况"),
    ("高处作业工具坠落擦伤作业人员", "停止作业，设置警戒区，复查工具防坠措施"),
]
FIRE = [("配电箱线路老化起火，已扑灭，无人员伤亡", "断电，使用灭火器扑灭，组织线路排查")]
OTHER = [("叉车与货架剐蹭，货物倒塌，无人员受伤", "清理现场，暂停该叉车使用并检修")]
SERIOUS = {
    IncidentKind.INJURY_SERIOUS: (
        "设备检修时未执行挂牌上锁，一名员工手臂骨折",
        "立即送医，停产整顿该工段，全厂开展上锁挂牌检查",
    ),
    IncidentKind.ENV_IV: (
        "污水处理设施故障导致超标废水外排约20吨",
        "关闭排口，启动应急池，向生态环境部门报告并监测下游水质",
    ),
}
FINDINGS = {
    "entry_screening": "入口测温记录不完整，部分时段无人值守",
    "masks_ppe": "部分员工未按规定佩戴口罩",
    "canteens": "食堂未实行错峰就餐，座位间距不足",
    "dormitories": "宿舍通风消毒记录缺失",
    "cleaning_disinfection": "公共区域消毒频次低于方案要求",
    "isolation_rooms": "隔离观察室物资配备不全",
    "supply_reserves": "防疫物资储备不足7天用量",
    "emergency_plans_drills": "应急预案未组织演练",
    "visitors_contractors": "外来人员登记信息不全",
}
INSPECTORS = ("safety_inspector_1", "safety_inspector_2", "safety_inspector_3")


def _local(day, tz: ZoneInfo, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(7, 20), rng.randrange(60)), tzinfo=tz)


def _inspectors(group: Unit) -> list:
    users = []
    User = get_user_model()
    for name in INSPECTORS:
        user, created = User.objects.get_or_create(username=name, defaults={"first_name": "督查员"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        RoleGrant.objects.get_or_create(user=user, role=Role.INSPECTOR, unit=group)
        users.append(user)
    return users


@register_history
def safety_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    enterprises = list(
        Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, path__startswith=ctx.group.path).order_by("code")
    )
    if not enterprises:
        return {}
    first = ctx.today - timedelta(days=days - 1)
    now = ctx.now
    incidents = _incidents(rng, enterprises, first, days, now)
    Incident.objects.bulk_create(incidents, batch_size=1000)
    visits, entries, findings, items, events, rechecks = _inspections(rng, enterprises, ctx, first, days, now)
    return {
        "safety_incident": len(incidents),
        "safety_visit": len(visits),
        "safety_checklistentry": len(entries),
        "safety_finding": len(findings),
        "ledger_item": len(items),
        "ledger_event": len(events),
        "safety_recheck": len(rechecks),
    }


def _incidents(
    rng: random.Random, enterprises: list[Unit], first, days: int, now: datetime
) -> list[Incident]:
    rows: list[Incident] = []

    def add(ent: Unit, kind: str, day, text: tuple[str, str], people: int) -> None:
        tz = ZoneInfo(ent.timezone)
        occurred = _local(day, tz, rng)
        serious = kind in SERIOUS_KINDS
        limit = DEFAULT_SERIOUS_MINUTES if serious else DEFAULT_OTHER_MINUTES
        late = rng.random() < 0.08
        delay = timedelta(minutes=limit * rng.uniform(1.1, 3) if late else limit * rng.uniform(0.05, 0.8))
        reported = min(occurred + delay, now)
        if occurred > now:
            return
        rows.append(
            Incident(
                kind=kind,
                serious=serious,
                unit=ent,
                enterprise=ent,
                occurred_at=occurred,
                occurred_on=day,
                reported_at=reported,
                place=rng.choice(PLACES),
                description=text[0],
                people_affected=people,
                immediate_actions=text[1],
                limit_minutes=limit,
                late=reported - occurred > timedelta(minutes=limit),
            )
        )

    for d in range(days):
        day = first + timedelta(days=d)
        for ent in enterprises:
            roll = rng.random()
            if roll < 0.003:
                add(ent, IncidentKind.INJURY_MINOR, day, rng.choice(MINOR), 1)
            elif roll < 0.0035:
                add(ent, IncidentKind.FIRE, day, rng.choice(FIRE), 0)
            elif roll < 0.0045:
                add(ent, IncidentKind.OTHER, day, rng.choice(OTHER), 0)
    for kind, text in SERIOUS.items():  # about one of each a month across the group
        if rng.random() < min(1.0, days / 30):
            add(rng.choice(enterprises), kind, first + timedelta(days=rng.randrange(days)), text, 1)
    return rows


def _inspections(
    rng: random.Random, enterprises: list[Unit], ctx: HistoryContext, first, days: int, now: datetime
):
    inspectors = _inspectors(ctx.group)
    chosen = rng.sample(enterprises, max(1, len(enterprises) * 8 // 100))
    plan = InspectionPlan.objects.create(
        unit=ctx.group,
        title=f"{first:%Y年%m月}安全环保与疫情防控督查",
        starts_on=first,
        ends_on=ctx.today + timedelta(days=7),
        created_by=ACTOR,
    )
    plan.units.set(chosen)
    plan.inspectors.set(inspectors)
    aspects = [a.code for a in checklist.aspects()]
    visits, entries, findings, items, events, rechecks = [], [], [], [], [], []
    for ent in chosen[: max(1, len(chosen) * 3 // 4)]:  # a quarter not visited yet
        tz = ZoneInfo(ent.timezone)
        at = _local(first + timedelta(days=rng.randrange(days)), tz, rng)
        if at > now:
            continue
        inspector = rng.choice(inspectors)
        visit = Visit(
            plan=plan,
            unit=ent,
            enterprise=ent,
            inspector=inspector,
            visited_at=at,
            summary="现场检查完成，问题已当场反馈企业。",
        )
        visits.append(visit)
        issues = set(rng.sample(sorted(FINDINGS), rng.choice([0, 0, 1, 1, 2, 3])))
        for code in aspects:
            result = (
                CheckResult.ISSUE
                if code in issues
                else (CheckResult.NA if rng.random() < 0.05 else CheckResult.OK)
            )
            entries.append((visit, code, result, FINDINGS.get(code, "") if code in issues else ""))
        for code in sorted(issues):
            due = at + timedelta(days=rng.choice([3, 7, 14]))
            closed = due < now and rng.random() < 0.85
            fid = seeded_uuid(rng)
            item = Item(
                kind=Kind.INSPECTION_FINDING,
                key=f"finding:{fid}",
                unit=ent,
                enterprise=ent,
                title=f"整改：{FINDINGS[code]}",
                detail={"finding": str(fid), "aspect": code},
                due_at=due,
                state=State.CLOSED if closed else State.OPEN,
                close_reason=CloseReason.RESOLVED if closed else "",
                close_note="复查已整改" if closed else "",
                opened_at=at,
                closed_at=min(due, now) if closed else None,
            )
            items.append(item)
            findings.append((fid, visit, ent, code, item, due))
            if closed:
                rechecks.append((fid, inspector, min(due, now)))
    Visit.objects.bulk_create(visits)
    ChecklistEntry.objects.bulk_create(
        [ChecklistEntry(visit=v, aspect=c, result=r, note=n) for v, c, r, n in entries], batch_size=2000
    )
    Item.objects.bulk_create(items)
    finding_rows = Finding.objects.bulk_create(
        [
            Finding(
                uid=fid, visit=v, unit=ent, aspect=code, description=FINDINGS[code], deadline=due, item=item
            )
            for fid, v, ent, code, item, due in findings
        ]
    )
    by_uid = {f.uid: f for f in finding_rows}
    recheck_rows = Recheck.objects.bulk_create(
        [
            Recheck(finding=by_uid[fid], inspector=who, at=at, resolved=True, note="复查已整改")
            for fid, who, at in rechecks
        ]
    )
    for item in items:
        events.append(
            Event(
                item=item,
                type=Event.Type.OPENED,
                at=item.opened_at,
                actor=ACTOR,
                data={"due_at": item.due_at.isoformat()},
            )
        )
        if item.state == State.CLOSED:
            events.append(
                Event(
                    item=item,
                    type=Event.Type.CLOSED,
                    at=item.closed_at or now,
                    actor=ACTOR,
                    data={"reason": CloseReason.RESOLVED, "note": item.close_note},
                )
            )
    Event.objects.bulk_create(events)
    return visits, entries, finding_rows, items, events, recheck_rows

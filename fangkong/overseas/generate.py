"""Synthetic overseas projects for `fangkong generate` and `fangkong demo`.

Sized by enterprises: about one enterprise in ten runs one to three projects abroad (power plants,
roads, ports, mines) with Chinese and local staff; each has one to three versions of its emergency
plan and a drill or two in the history; a few projects in countries whose risk rose lately have an
open plan activation in the ledger.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from django.utils.translation import gettext

from fangkong.ledger.models import Event, Item, Kind
from fangkong.org.generate import HistoryContext, register_history, seeded_uuid
from fangkong.org.models import Region, Unit

from .hooks import activation_key
from .models import Drill, PlanVersion, Project

COUNTRIES = {  # country -> (local time zone, cities)
    "PK": ("Asia/Karachi", ("卡拉奇", "拉合尔", "伊斯兰堡")),
    "KZ": ("Asia/Almaty", ("阿拉木图", "阿斯塔纳")),
    "ID": ("Asia/Jakarta", ("雅加达", "泗水", "万隆")),
    "DZ": ("Africa/Algiers", ("阿尔及尔", "奥兰")),
    "AE": ("Asia/Dubai", ("迪拜", "阿布扎比")),
    "ET": ("Africa/Addis_Ababa", ("亚的斯亚贝巴",)),
    "KE": ("Africa/Nairobi", ("内罗毕", "蒙巴萨")),
    "MY": ("Asia/Kuala_Lumpur", ("吉隆坡", "关丹")),
    "SA": ("Asia/Riyadh", ("利雅得", "吉达")),
    "NG": ("Africa/Lagos", ("拉各斯", "阿布贾")),
    "LA": ("Asia/Vientiane", ("万象", "琅勃拉邦")),
    "RS": ("Europe/Belgrade", ("贝尔格莱德",)),
    "BD": ("Asia/Dhaka", ("达卡", "吉大港")),
    "EG": ("Africa/Cairo", ("开罗", "苏伊士")),
}
KINDS = (
    "电站项目",
    "高速公路项目",
    "港口项目",
    "铁路项目",
    "水泥厂项目",
    "光伏项目",
    "输变电项目",
    "矿山项目",
)
PLAN_SECTIONS = (
    "一、组织机构与职责:成立项目疫情防控领导小组,项目经理任组长。",
    "二、人员管理:中方人员每日两次测温,当地雇员进场前测温登记。",
    "三、物资储备:口罩、防护服、测温枪、消毒液储备不少于30天用量。",
    "四、疑似病例处置:立即隔离,报告使馆和当地卫生部门,安排就医。",
    "五、应急撤离:风险升至高时,按使馆指引分批撤离非必要人员。",
)
SCENARIOS = ("疑似病例隔离与转运", "营地封闭管理", "物资紧急调配", "人员应急撤离", "核酸检测组织")
FINDINGS = (
    "隔离点通风条件不足,需调整房间。",
    "当地雇员对报告流程不熟悉,需再培训。",
    "体温计数量不足,已申请补充。",
    "演练流程顺畅,无明显问题。",
    "",
)


@register_history
def overseas_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    countries = Region.objects.in_bulk(list(COUNTRIES))
    codes = [c for c in COUNTRIES if c in countries]
    if not codes:
        return {}
    enterprises = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).order_by("pk"))
    projects: list[Project] = []
    for ent in enterprises:
        if rng.random() >= 0.1:
            continue
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            code = rng.choice(codes)
            zone, cities = COUNTRIES[code]
            city = rng.choice(cities)
            staff_cn = rng.randint(8, 150)
            projects.append(
                Project(
                    uid=seeded_uuid(rng),
                    name=f"{countries[code].name}{city}{rng.choice(KINDS)}",
                    enterprise=ent,
                    country_id=code,
                    city=city,
                    timezone=zone,
                    status=rng.choices(
                        [
                            Project.Status.ACTIVE,
                            Project.Status.SUSPENDED,
                            Project.Status.PREPARING,
                            Project.Status.EVACUATED,
                        ],
                        weights=[70, 15, 10, 5],
                    )[0],
                    staff_cn=staff_cn,
                    staff_local=staff_cn * rng.randint(2, 12),
                )
            )
    Project.objects.bulk_create(projects, batch_size=2000)
    first = ctx.today - timedelta(days=max(days, 1) - 1)
    plans, drills = [], []
    for p in projects:
        versions = rng.randint(1, 3)
        for v in range(1, versions + 1):
            plans.append(
                PlanVersion(
                    project=p,
                    version=v,
                    title="疫情防控应急预案" + ("" if v == 1 else f"(第{v}版修订)"),
                    text="\n".join(PLAN_SECTIONS[: 3 + min(v, 2)]),
                    created_by="generate",
                )
            )
        for _ in range(rng.randint(0, 2)):
            drills.append(
                Drill(
                    uid=seeded_uuid(rng),
                    project=p,
                    day=first + timedelta(days=rng.randint(0, max(days - 1, 0))),
                    scenario=rng.choice(SCENARIOS),
                    participants=rng.randint(10, 60),
                    findings=rng.choice(FINDINGS),
                    plan_version=versions,
                    created_by="generate",
                )
            )
    PlanVersion.objects.bulk_create(plans, batch_size=2000)
    Drill.objects.bulk_create(drills, batch_size=2000)
    items = _activations(rng, projects, countries, ctx)
    return {
        "overseas_project": len(projects),
        "overseas_planversion": len(plans),
        "overseas_drill": len(drills),
        "ledger_item (plan activation)": items,
    }


def _activations(rng: random.Random, projects: list[Project], countries: dict, ctx: HistoryContext) -> int:
    """Open activations for the live projects of two countries whose risk (notionally) rose lately."""
    live = [p for p in projects if p.status in (Project.Status.ACTIVE, Project.Status.SUSPENDED)]
    risen = set(rng.sample(sorted({p.country_id for p in live}), k=min(2, len({p.country_id for p in live}))))
    opened = datetime.combine(ctx.today - timedelta(days=1), time(3, 0), tzinfo=UTC)
    items = [
        Item(
            kind=Kind.PLAN_ACTIVATION,
            key=activation_key(p),
            unit=p.enterprise,
            enterprise=p.enterprise,
            title=gettext("%(project)s (%(country)s): activate the emergency plan, risk %(old)s → %(new)s")
            % {"project": p.name, "country": countries[p.country_id].name, "old": "medium", "new": "high"},
            detail={"project": str(p.uid), "country": p.country_id, "from": "medium", "to": "high"},
            due_at=opened + timedelta(hours=12),
            opened_at=opened,
        )
        for p in live
        if p.country_id in risen
    ]
    Item.objects.bulk_create(items, batch_size=2000)
    Event.objects.bulk_create(
        [Event(item=i, type=Event.Type.OPENED, at=i.opened_at, actor="generate") for i in items]
    )
    return len(items)

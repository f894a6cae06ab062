"""Synthetic news column for `fangkong generate` and `fangkong demo`.

Sized by units: the group publishes about one post a day, each segment one every few days, about one
enterprise in five a post or two in the month. View counts are set in proportion to each post's
audience (the view rows themselves need users, and generated people have none; for the same reason
the history has no comments).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Person, Unit

from .models import Post

GROUP_POSTS = (
    (
        "epidemic_update",
        "集团疫情防控日报:全集团员工健康打卡率{pct}%",
        "## 今日概况\n\n- 全集团**{n}**家企业报告\n- 新增异常人员均已落实追踪责任人\n\n"
        "请各单位继续坚持**日报告、零报告**制度。",
    ),
    (
        "policy",
        "关于进一步做好复工复产疫情防控工作的通知",
        "各板块、各企业:\n\n1. 严格落实**一企一策**;\n2. 返岗人员须完成健康申报;\n3. 每日两次测温并登记。\n\n"
        "> 防控不松劲,生产不停步。",
    ),
    (
        "prevention_tips",
        "科学佩戴口罩,这些细节要注意",
        "## 口罩怎么戴\n\n- 分清正反面,颜色深的一面朝外\n- 金属条压紧鼻梁\n- 口罩潮湿或污染后及时更换\n\n更多知识见[国家卫健委](https://www.nhc.gov.cn)。",
    ),
    (
        "typical_deeds",
        "战“疫”一线的党员突击队",
        "疫情发生以来,集团各级党组织迅速行动,**党员突击队**冲锋在前,保障了重点工程不停工。",
    ),
    (
        "return_to_work",
        "集团复工复产率稳步提升",
        "截至今日,集团所属企业复工复产工作有序推进,重点项目全面复工。",
    ),
)
SEGMENT_POSTS = (
    (
        "epidemic_update",
        "{unit}疫情防控工作周报",
        "本周板块所属企业**无新增确诊病例**,异常人员均已闭环管理。",
    ),
    ("typical_deeds", "{unit}:坚守岗位的“逆行者”", "春节期间,板块一线员工主动请缨,坚守岗位保障生产。"),
    (
        "notice",
        "{unit}关于开展防疫物资盘点的通知",
        "请各企业于本周五前完成口罩、防护服、消毒液等物资盘点并报送。",
    ),
)
ENTERPRISE_POSTS = (
    ("typical_deeds", "{unit}:车间里的防疫“守门人”", "每天清晨,班组长都会提前到岗,为大家测温、登记、消毒。"),
    ("return_to_work", "{unit}全面复工复产", "在做好疫情防控的前提下,{unit}各生产线已全面恢复生产。"),
    ("prevention_tips", "{unit}食堂错峰就餐安排", "- 分批次就餐\n- 一人一桌,同向而坐\n- 就餐时不交谈"),
)


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


@register_history
def news_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    first = ctx.today - timedelta(days=days - 1)
    headcount: dict[int, int] = {}
    for ent_id in Person.objects.filter(status=Person.Status.ACTIVE).values_list("enterprise_id", flat=True):
        headcount[ent_id] = headcount.get(ent_id, 0) + 1
    units = list(
        Unit.objects.filter(kind__in=[Unit.Kind.GROUP, Unit.Kind.SEGMENT, Unit.Kind.ENTERPRISE]).order_by(
            "path"
        )
    )
    audience: dict[int, int] = {}
    for u in units:
        if u.kind == Unit.Kind.ENTERPRISE:
            for anc in [*u.ancestor_ids, u.pk]:
                audience[anc] = audience.get(anc, 0) + headcount.get(u.pk, 0)
    posts: list[Post] = []

    def add(unit: Unit, template: tuple[str, str, str], day, pct: str = "", n: int = 0) -> None:
        category, title, body = template
        reach = audience.get(unit.pk, 0)
        posts.append(
            Post(
                unit=unit,
                title=title.format(unit=unit.name, pct=pct, n=n)[:120],
                body=body.format(unit=unit.name, pct=pct, n=n),
                category=category,
                published_at=_at(day, rng.randint(0, 10)),
                views=round(reach * rng.uniform(0.2, 0.8) * min(1.0, (ctx.today - day).days / 3 + 0.2)),
            )
        )

    enterprises = sum(1 for u in units if u.kind == Unit.Kind.ENTERPRISE)
    for u in units:
        for offset in range(days):
            day = first + timedelta(days=offset)
            if u.kind == Unit.Kind.GROUP:
                template = GROUP_POSTS[0] if offset % 2 == 0 else rng.choice(GROUP_POSTS[1:])
                add(u, template, day, pct=f"{rng.uniform(96, 99.8):.1f}", n=enterprises)
            elif u.kind == Unit.Kind.SEGMENT and rng.random() < 0.25:
                add(u, rng.choice(SEGMENT_POSTS), day)
            elif u.kind == Unit.Kind.ENTERPRISE and rng.random() < 0.2 / days * 2:
                add(u, rng.choice(ENTERPRISE_POSTS), day)
    Post.objects.bulk_create(posts, batch_size=2000)
    return {"news_post": len(posts)}

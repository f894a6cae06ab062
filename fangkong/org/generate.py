"""A deterministic synthetic group at any scale: units, roster, memberships, module history, demo accounts.

One seeded `random.Random` drives everything, so the same seed, employee count and day count give the
same codes, names and people. Rows are built in Python with preassigned primary keys (a unit's `path`
needs its own id) and written in bulk: `bulk_create` for the few thousand units, then COPY (PostgreSQL)
or `executemany` (SQLite) for people and memberships, streamed in chunks so memory stays flat at a
million employees. The whole run is one transaction with one audit row ("org.generate").

Modules with history (check-ins, ledger, reports …) add it through `HISTORY_GENERATORS`; see there.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from fangkong.audit.actions import record
from fangkong.lib.identity import id_check_digit

from . import actions
from .models import Membership, Person, Region, Role, Unit

GROUP_CODE = "G"
GROUP_NAME = "中国示范控股集团"
DEFAULT_SEED = 2020
DEMO_PASSWORD = "fangkong-demo"
ACTOR = "system"
CHUNK = 50_000
PEOPLE_PER_LEAF = 300  # above ~2 000 people an enterprise gets more leaf grids (~5 000 leaves at 1 000 000)


class GenerateError(RuntimeError):
    """The generator refused to run (e.g. the database already holds an org tree)."""


@dataclass(frozen=True)
class Segment:
    name: str
    enterprises: int
    industries: tuple[str, ...]
    workshops: tuple[str, ...]  # named departments, used first
    numbered: str  # noun for further numbered ones: "第三" + noun


SEGMENTS = (
    Segment(
        "能源板块",
        90,
        ("电力", "热电", "新能源", "风电", "光伏发电", "煤业", "燃气", "水电开发", "储能科技"),
        ("发电运行部", "设备检修部", "燃料管理部", "化学车间", "输煤车间", "安全环保部"),
        "工区",
    ),
    Segment(
        "建筑工程板块",
        95,
        ("建设工程", "路桥建设", "市政工程", "建筑安装", "装饰工程", "水利水电工程", "隧道工程"),
        ("工程管理部", "物资设备部", "质量安全部", "综合办公室"),
        "项目部",
    ),
    Segment(
        "装备制造板块",
        80,
        ("重型机械", "机床", "电气设备", "汽车零部件", "轨道交通装备", "液压件", "精密制造", "环保设备"),
        ("金工车间", "装配车间", "铸造车间", "热处理车间", "机加车间", "总装车间"),
        "车间",
    ),
    Segment(
        "化工材料板块",
        60,
        ("化工", "新材料", "精细化工", "化肥", "橡胶制品", "涂料", "碳素"),
        ("合成车间", "精馏车间", "包装车间", "动力车间", "质检中心"),
        "车间",
    ),
    Segment(
        "交通物流板块",
        55,
        ("物流", "港务", "运输", "供应链管理", "冷链物流", "航运", "高速公路运营"),
        ("调度中心", "车队", "仓储中心", "装卸作业区", "维修车间"),
        "作业区",
    ),
    Segment(
        "地产置业板块",
        40,
        ("置业", "房地产开发", "物业管理", "城市更新", "商业管理"),
        ("工程管理部", "营销中心", "物业服务中心", "综合办公室"),
        "项目部",
    ),
    Segment(
        "金融投资板块",
        20,
        ("投资", "融资租赁", "商业保理", "资产管理", "产业基金管理"),
        ("综合管理部", "风险管理部", "财务部"),
        "业务部",
    ),
    Segment(
        "科技信息板块",
        35,
        ("信息技术", "软件", "数据科技", "智能科技", "通信技术", "网络安全"),
        ("研发中心", "交付中心", "运维中心", "市场部"),
        "事业部",
    ),
    Segment(
        "商贸服务板块",
        45,
        ("商贸", "国际贸易", "酒店管理", "餐饮管理", "医药", "供销"),
        ("采购部", "配送中心", "客服中心", "门店运营部"),
        "门店",
    ),
    Segment(
        "境外业务板块",
        28,
        ("国际工程", "海外投资", "国际贸易", "对外经济合作"),
        ("项目经理部", "营地管理部", "后勤保障部", "施工队"),
        "工区",
    ),
)

# Enterprises abroad (all in the last segment): ISO country, its zone, an industry.
OVERSEAS = (
    ("PK", "Asia/Karachi", "电力投资"),
    ("ET", "Africa/Addis_Ababa", "国际工程"),
    ("ID", "Asia/Jakarta", "镍业"),
    ("KZ", "Asia/Almaty", "能源开发"),
    ("SA", "Asia/Riyadh", "石化工程"),
    ("NG", "Africa/Lagos", "铁路建设"),
    ("MY", "Asia/Kuala_Lumpur", "港口运营"),
    ("KE", "Africa/Nairobi", "路桥建设"),
    ("RS", "Europe/Belgrade", "钢铁"),
    ("LA", "Asia/Vientiane", "水电开发"),
)

# Relative weights of provinces (first two digits of the code) when placing enterprises.
PROVINCE_WEIGHTS = {
    "32": 9,
    "44": 9,
    "37": 8,
    "33": 7,
    "41": 6,
    "51": 5,
    "42": 5,
    "13": 5,
    "43": 4,
    "34": 4,
    "31": 4,
    "21": 4,
    "35": 4,
    "61": 4,
    "11": 3,
    "12": 3,
    "14": 3,
    "50": 3,
    "36": 3,
    "22": 2,
    "23": 2,
    "15": 2,
    "45": 2,
    "52": 2,
    "53": 2,
    "62": 1.5,
    "65": 1.5,
    "64": 1,
    "63": 0.7,
    "46": 0.7,
    "54": 0.3,
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
SURNAME_CUM = list(itertools.accumulate(1.0 / (i + 8) for i in range(len(SURNAMES))))
GIVEN_MALE = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"  # noqa: E501
GIVEN_FEMALE = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"  # noqa: E501
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

# ID numbers: birth dates 1965-01-01..2002-12-31 × 1000 sequence numbers per area code. Person j of an
# area gets slot (j * ID_STEP + offset) mod ID_SPACE, a bijection, so numbers are unique without a set.
BIRTH_FIRST = date(1965, 1, 1).toordinal()
BIRTH_DAYS = date(2002, 12, 31).toordinal() - BIRTH_FIRST + 1
ID_SPACE = BIRTH_DAYS * 1000
ID_STEP = 7_368_787  # a prime not dividing ID_SPACE
MOBILE_STEP = 48_271_237  # odd and not a multiple of 5: a bijection on 10**8 suffixes
JOIN_FIRST = date(1990, 1, 1).toordinal()
JOIN_LAST = date(2024, 12, 31).toordinal()

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..999 in Chinese numerals (十, 十二, 二十, 一百零五)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = _CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (_CN_DIGITS[ones] if ones else "")


# --- history registry ------------------------------------------------------------------------------


@dataclass
class HistoryContext:
    """What a history generator gets besides its own `rng` and the number of `days`."""

    seed: int
    today: date  # history covers today - days + 1 .. today (in Asia/Shanghai)
    group: Unit
    employees: int
    write: Callable[[str], None] = print


HistoryGenerator = Callable[[random.Random, int, HistoryContext], Mapping[str, int] | None]

HISTORY_GENERATORS: list[HistoryGenerator] = []
"""Modules with history append a function here (from their AppConfig.ready) to join `fangkong generate`
and `fangkong demo`. It is called as fn(rng, days, ctx) inside the generate transaction, after the org
tree and roster are written, with its own rng seeded from the run's seed and its qualified name (so
adding a module never changes another module's data). It writes `days` days of history fast (see
`insert_rows`) and returns counts by table for the summary, e.g. {"checkins_checkin": 30_000_000}."""


def register_history(fn: HistoryGenerator) -> HistoryGenerator:
    """Decorator form of HISTORY_GENERATORS.append (idempotent)."""
    if fn not in HISTORY_GENERATORS:
        HISTORY_GENERATORS.append(fn)
    return fn


# --- bulk writing ----------------------------------------------------------------------------------


def _batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite. Returns the row count.

    Values must already be database values: ints, str, None, ISO date strings, and datetimes adapted
    with `connection.ops.adapt_datetimefield_value`. Call inside a transaction.
    """
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            # Table and column names come from code (model metadata), never from input.
            sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            for batch in _batched(rows, CHUNK):
                cursor.executemany(sql, batch)
                n += len(batch)
    return n


@contextmanager
def bulk_load(*tables: str) -> Iterator[None]:
    """Load into empty tables without per-row index and foreign-key upkeep (call inside a transaction).

    On PostgreSQL the tables' secondary indexes, unique and foreign-key constraints are dropped for the
    duration and re-created after with their exact names and definitions: one sort per index and one
    join per key, instead of index maintenance per row and an RI check per row and key at commit.
    A failure rolls the DDL back with the rest. On SQLite, secondary indexes are re-created the same way.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses tables with pending deferred FK checks: run the pending ones now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') "
                "ORDER BY contype DESC, conname",
                [list(tables)],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [list(tables)],
            )
            indexes = cursor.fetchall()
            for table, name, _ in reversed(constraints):
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        else:
            constraints, indexes = [], []
            for table in tables:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    "AND tbl_name = %s ORDER BY name",
                    [table],
                )
                indexes += [(qn(name), sql) for name, sql in cursor.fetchall()]
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _, sql in indexes:
            cursor.execute(sql)
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")


def _reset_sequences(*models: Any) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def _next_id(model: Any) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


RESET_KEEP = {"audit.auditentry", "audit.chainhead", "org.region", "org.apitoken"}


def delete_org_data() -> None:
    """Delete the org tree, roster, grants and every fangkong module's data; keep regions, users, tokens
    and the (append-only) audit log."""
    tables = [
        m._meta.db_table
        for cfg in apps.get_app_configs()
        if cfg.name.startswith("fangkong.")
        for m in cfg.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in RESET_KEEP
    ]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:  # TRUNCATE refuses tables with pending deferred FK checks from this transaction
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            cursor.execute(sql)
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- planning the tree -----------------------------------------------------------------------------

_ETHNIC = re.compile(
    "(?:{})+$".format(
        "|".join(
            sorted(
                [
                    f"{n}族"
                    for n in "满 蒙古 回 达斡尔 鄂温克 朝鲜 畲 土家 苗 瑶 侗 壮 各 仫佬 毛南 黎 羌 彝 藏 "
                    "仡佬 布依 水 傣 哈尼 纳西 拉祜 佤 布朗 白 景颇 傈僳 独龙 怒 普米 裕固 哈萨克 "
                    "保安 东乡 撒拉 土 维吾尔 塔吉克 锡伯".split()
                ]
                + ["蒙古", "哈萨克", "柯尔克孜", "维吾尔", "塔吉克", "锡伯", "鄂伦春"],
                key=len,
                reverse=True,
            )
        )
    )
)


def _short_place(name: str) -> str:
    """武汉市 → 武汉, 黔西南布依族苗族自治州 → 黔西南, 广西壮族自治区 → 广西, 阿克苏地区 → 阿克苏."""
    if name.startswith("内蒙古"):
        return "内蒙古"
    if "自治" in name:
        prefix = name[: name.index("自治")]
        return _ETHNIC.sub("", prefix) or prefix.removesuffix("族")
    for suffix in ("地区", "省", "市", "盟", "区", "县", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass
class _County:
    code: str
    short: str  # the short city (or province) name used in company names
    county_short: str


def _counties() -> dict[str, list[_County]]:
    """County-level divisions by province prefix, with the short names for company names."""
    regions = {r.code: r for r in Region.objects.exclude(level=Region.Level.COUNTRY)}
    by_province: dict[str, list[_County]] = {}
    for r in sorted(regions.values(), key=lambda r: r.code):
        if r.level != Region.Level.COUNTY or r.name[-1] not in "区县市旗" or r.name == "市辖区":
            continue
        city = regions.get(r.parent_id or "")
        province = regions.get(r.code[:2] + "0000")
        if city is None or province is None:
            continue
        if city.name in ("市辖区", "县"):
            short = _short_place(province.name)
        elif "直辖县级" in city.name:
            short = _short_place(r.name)
        else:
            short = _short_place(city.name)
        by_province.setdefault(r.code[:2], []).append(_County(r.code, short, _short_place(r.name)))
    return by_province


@dataclass
class _Enterprise:
    unit: Unit
    segment: Segment
    id_area: str  # area code of its staff's ID numbers
    people: int = 0
    leaves: list[Unit] = field(default_factory=list)


class _Tree:
    """Units with preassigned ids, so each path is known before the single insert."""

    def __init__(self, first_id: int):
        self.next_id = first_id
        self.units: list[Unit] = []

    def add(
        self,
        code: str,
        name: str,
        kind: str,
        parent: Unit | None,
        region_id: str | None = None,
        tz: str = "Asia/Shanghai",
    ) -> Unit:
        pk, self.next_id = self.next_id, self.next_id + 1
        if kind == Unit.Kind.GRID and parent is not None:
            region_id, tz = parent.region_id, parent.timezone
        unit = Unit(
            id=pk,
            code=code,
            name=name,
            kind=kind,
            parent_id=parent.pk if parent else None,
            path=f"{parent.path if parent else '/'}{pk}/",
            depth=parent.depth + 1 if parent else 0,
            region_id=region_id,
            timezone=tz,
            enterprise_id=pk if kind == Unit.Kind.ENTERPRISE else (parent.enterprise_id if parent else None),
        )
        self.units.append(unit)
        return unit


def _company_name(taken: set[str], *candidates: str) -> str:
    base = candidates[-1].removesuffix("有限公司")
    options = itertools.chain(candidates, (f"{base}第{cn_number(i)}有限公司" for i in itertools.count(2)))
    name = next(n for n in options if n not in taken)
    taken.add(name)
    return name


def _plan_enterprises(rng: random.Random, tree: _Tree, group: Unit) -> list[_Enterprise]:
    counties = _counties()
    provinces = sorted(p for p in PROVINCE_WEIGHTS if p in counties)
    weights = [PROVINCE_WEIGHTS[p] for p in provinces]
    taken: set[str] = set()
    enterprises: list[_Enterprise] = []
    for s, seg in enumerate(SEGMENTS, start=1):
        segment = tree.add(f"S{s:02d}", seg.name, Unit.Kind.SEGMENT, group)
        overseas = OVERSEAS if s == len(SEGMENTS) else ()
        for i in range(seg.enterprises):
            code = f"E{len(enterprises) + 1:04d}"
            county = rng.choice(counties[rng.choices(provinces, weights)[0]])
            if i < len(overseas):
                country, tz, industry = overseas[i]
                place = Region.objects.get(code=country).name
                name = _company_name(taken, f"示范{industry}（{place}）有限公司")
                unit = tree.add(code, name, Unit.Kind.ENTERPRISE, segment, country, tz)
            else:
                industry = rng.choice(seg.industries)
                name = _company_name(
                    taken,
                    f"{county.short}{industry}有限公司",
                    f"{county.short}{county.county_short}{industry}有限公司",
                )
                unit = tree.add(code, name, Unit.Kind.ENTERPRISE, segment, county.code)
            enterprises.append(_Enterprise(unit, seg, county.code))
    return enterprises


def _spread_people(rng: random.Random, enterprises: list[_Enterprise], employees: int) -> None:
    """Zipf-like sizes: rank k of a shuffled order gets weight 1/k^0.8; enterprises abroad are small."""
    ranks = list(range(1, len(enterprises) + 1))
    rng.shuffle(ranks)
    weights = [
        k**-0.8 * (0.15 if e.unit.region_id and len(e.unit.region_id) == 2 else 1.0)
        for k, e in zip(ranks, enterprises, strict=True)
    ]
    total = sum(weights)
    for e, w in zip(enterprises, weights, strict=True):
        e.people = int(employees * w / total)
    by_weight = sorted(range(len(enterprises)), key=lambda i: -weights[i])
    for i in itertools.islice(itertools.cycle(by_weight), employees - sum(e.people for e in enterprises)):
        enterprises[i].people += 1


def _plan_grids(rng: random.Random, tree: _Tree, e: _Enterprise) -> None:
    """2-6 workshops of 0-3 teams each; a large enterprise gets more and bigger workshops, so that it
    has about one leaf grid per PEOPLE_PER_LEAF people."""
    seg = e.segment
    named = list(seg.workshops)
    rng.shuffle(named)
    want_leaves = round(e.people / PEOPLE_PER_LEAF)
    max_teams = max(3, -(-want_leaves // 12))
    workshops = rng.randint(2, 6)
    w = 0
    while w < workshops or len(e.leaves) < want_leaves:
        w += 1
        name = named[w - 1] if w <= len(named) else f"第{cn_number(w - len(named))}{seg.numbered}"
        workshop = tree.add(f"{e.unit.code}-{w:02d}", name, Unit.Kind.GRID, e.unit)
        teams = rng.choice((0, 0, 1, 2, 3)) if max_teams == 3 else rng.randint(max_teams // 2, max_teams)
        for t in range(1, teams + 1):
            team = tree.add(f"{workshop.code}-{t}", f"{name}{cn_number(t)}班", Unit.Kind.GRID, workshop)
            e.leaves.append(team)
        if not teams:
            e.leaves.append(workshop)


# --- people ----------------------------------------------------------------------------------------


def _people(
    rng: random.Random, enterprises: list[_Enterprise], first_pid: int, now_db: Any
) -> Iterator[tuple[Any, ...]]:
    """Person rows (id, employee_no, name, unit_id, enterprise_id, id_number, mobile, status, joined_on,
    updated_at), enterprise by enterprise, leaf grid by leaf grid."""
    birth_text = [date.fromordinal(BIRTH_FIRST + d).strftime("%Y%m%d") for d in range(BIRTH_DAYS)]
    area_next: dict[str, int] = {}
    area_offset: dict[str, int] = {}
    mobile_offset = rng.randrange(10**8)
    g = 0
    random_ = rng.random
    for e in enterprises:
        area = e.id_area
        if area not in area_offset:
            area_offset[area], area_next[area] = rng.randrange(ID_SPACE), 0
        shares = [rng.uniform(0.5, 1.5) for _ in e.leaves]
        total = sum(shares)
        bounds = [round(e.people * c / total) for c in itertools.accumulate(shares)]
        start = 0
        for leaf, end in zip(e.leaves, bounds, strict=True):
            for _ in range(end - start):
                j = area_next[area]
                area_next[area] = j + 1
                day, seq = divmod((j * ID_STEP + area_offset[area]) % ID_SPACE, 1000)
                first17 = f"{area}{birth_text[day]}{seq:03d}"
                given = GIVEN_MALE if seq % 2 else GIVEN_FEMALE
                name = rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0] + given[int(random_() * len(given))]
                if random_() < 0.7:
                    name += given[int(random_() * len(given))]
                lo = max(BIRTH_FIRST + day + 18 * 365, JOIN_FIRST)  # an adult, and not before 1990
                joined = lo + int(random_() * (JOIN_LAST - lo))
                mobile = (
                    MOBILE_PREFIXES[int(random_() * len(MOBILE_PREFIXES))]
                    + f"{(g * MOBILE_STEP + mobile_offset) % 10**8:08d}"
                )
                yield (
                    first_pid + g,
                    f"E{g + 1:07d}",
                    name,
                    leaf.pk,
                    e.unit.pk,
                    first17 + id_check_digit(first17),
                    mobile,
                    "active",
                    date.fromordinal(joined).isoformat(),
                    now_db,
                )
                g += 1
            start = end


PERSON_COLUMNS = (
    "id",
    "employee_no",
    "name",
    "unit_id",
    "enterprise_id",
    "id_number",
    "mobile",
    "status",
    "joined_on",
    "updated_at",
)
MEMBERSHIP_COLUMNS = ("id", "person_id", "unit_id", "start")


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    seed: int
    days: int
    counts: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _sqlite_bulk_pragmas(on: bool) -> None:
    """Durability is pointless while loading a fresh synthetic data set; restore the defaults after."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # SQLite refuses inside a transaction
        return
    with connection.cursor() as cursor:
        for pragma in (
            ("synchronous=OFF", "cache_size=-131072") if on else ("synchronous=NORMAL", "cache_size=-2000")
        ):
            cursor.execute(f"PRAGMA {pragma}")


def generate_group(
    *,
    employees: int,
    days: int,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    write: Callable[[str], None] = print,
) -> GenerateResult:
    """Write the synthetic group (see module docstring) into the default database; refuse if it has units."""
    if employees < 0 or days < 0:
        raise GenerateError("--employees and --days must not be negative")
    started = time.monotonic()
    _sqlite_bulk_pragmas(True)
    try:
        with transaction.atomic():
            result = _generate(employees, days, seed, reset, write)
    finally:
        _sqlite_bulk_pragmas(False)
    with connection.cursor() as cursor:  # fresh statistics for the query planner
        cursor.execute("ANALYZE")
    result.seconds = time.monotonic() - started
    return result


def _generate(
    employees: int, days: int, seed: int, reset: bool, write: Callable[[str], None]
) -> GenerateResult:
    existing = Unit.objects.count()
    if existing and not reset:
        raise GenerateError(
            f"the database already holds an org tree ({existing} units); generate refuses to add a second "
            "group. Use --reset to delete the org data first (the audit log is kept), or point "
            "DATABASE_URL / FANGKONG_VAR_DIR at another database."
        )
    if existing:
        delete_org_data()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
    rng = random.Random(seed)
    tree = _Tree(_next_id(Unit))
    group = tree.add(GROUP_CODE, GROUP_NAME, Unit.Kind.GROUP, None)
    enterprises = _plan_enterprises(rng, tree, group)
    _spread_people(rng, enterprises, employees)
    for e in enterprises:
        _plan_grids(rng, tree, e)
    Unit.objects.bulk_create(tree.units, batch_size=5000)
    t_units = time.monotonic()
    write(f"  units: {len(tree.units):,}")

    first_pid, first_mid = _next_id(Person), _next_id(Membership)
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    people = 0
    with bulk_load(Person._meta.db_table, Membership._meta.db_table):
        rows = _people(random.Random(f"{seed}:people"), enterprises, first_pid, now_db)
        for batch in _batched(rows, CHUNK):
            insert_rows(Person._meta.db_table, PERSON_COLUMNS, batch)
            insert_rows(
                Membership._meta.db_table,
                MEMBERSHIP_COLUMNS,
                ((first_mid + p[0] - first_pid, p[0], p[3], p[8]) for p in batch),
            )
            people += len(batch)
            write(f"  people: {people:,} ({people / (time.monotonic() - t_units):,.0f}/s)")
        write("  indexes and keys …")
    _reset_sequences(Unit, Person, Membership)

    grids = sum(1 for u in tree.units if u.kind == Unit.Kind.GRID)
    counts = {"units": len(tree.units), "people": people, "memberships": people}
    ctx = HistoryContext(seed=seed, today=timezone.localdate(), group=group, employees=employees, write=write)
    for fn in HISTORY_GENERATORS:
        name = f"{fn.__module__}.{fn.__qualname__}"
        for table, n in (fn(random.Random(f"{seed}:{name}"), days, ctx) or {}).items():
            counts[table] = counts.get(table, 0) + n
    detail = {
        "seed": seed,
        "employees": employees,
        "days": days,
        "reset": bool(existing),
        "segments": len(SEGMENTS),
        "enterprises": len(enterprises),
        "grids": grids,
        "leaf_grids": sum(len(e.leaves) for e in enterprises),
        **counts,
    }
    record(ACTOR, "org.generate", "unit", GROUP_CODE, unit_code=GROUP_CODE, detail=detail)
    return GenerateResult(seed, days, {**counts}, 0.0)


# --- demo accounts ---------------------------------------------------------------------------------


class DemoAccount(NamedTuple):
    username: str
    password: str
    role: str
    unit_code: str
    unit_name: str


def _demo_units() -> dict[str, Unit]:
    group = Unit.objects.get(code=GROUP_CODE)
    segment = Unit.objects.get(code="S01")
    busiest = (
        Person.objects.filter(enterprise__path__startswith=segment.path)
        .values("enterprise")
        .annotate(n=Count("id"))
        .order_by("-n", "enterprise__code")
        .first()
    )
    enterprise = (
        Unit.objects.get(pk=busiest["enterprise"])
        if busiest
        else Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, parent=segment).order_by("code").first()
    )
    busiest = (
        Person.objects.filter(enterprise=enterprise)
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n", "unit__code")
        .first()
    )
    grid = (
        Unit.objects.get(pk=busiest["unit"])
        if busiest
        else Unit.objects.filter(kind=Unit.Kind.GRID, enterprise=enterprise).order_by("code").first()
    )
    assert enterprise is not None and grid is not None
    return {"group": group, "segment": segment, "enterprise": enterprise, "grid": grid}


DEMO_ROLES = (  # username, role, which unit
    ("group_admin", Role.GROUP_ADMIN, "group"),
    ("segment_admin", Role.SEGMENT_ADMIN, "segment"),
    ("enterprise_admin", Role.ENTERPRISE_ADMIN, "enterprise"),
    ("grid_leader", Role.GRID_LEADER, "grid"),
    ("tracker", Role.TRACKER, "enterprise"),
    ("inspector", Role.INSPECTOR, "enterprise"),
    ("employee", Role.EMPLOYEE, "grid"),
)


@transaction.atomic
def create_demo_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """One account per role on the generated group (idempotent); the employee is linked to a person
    on the grid leader's grid."""
    units = _demo_units()
    employee = Person.objects.filter(unit=units["grid"]).order_by("employee_no").first()
    accounts = []
    for username, role, where in DEMO_ROLES:
        if role == Role.EMPLOYEE and employee is None:
            continue
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.check_password(password):
            user, _ = actions.ensure_user(ACTOR, username, password)
        unit = units[where]
        actions.grant_role(ACTOR, user, role, unit)
        if role == Role.EMPLOYEE and employee is not None and employee.user_id != user.pk:
            Person.objects.filter(user=user).update(user=None)
            employee.user = user
            employee.save(update_fields=["user", "updated_at"])
            record(
                ACTOR,
                "person.link_user",
                "person",
                employee.employee_no,
                unit_code=unit.code,
                detail={"user": username},
            )
        accounts.append(DemoAccount(username, password, role, unit.code, unit.name))
    return accounts


def is_demo_group() -> bool:
    return Unit.objects.filter(code=GROUP_CODE, name=GROUP_NAME, kind=Unit.Kind.GROUP).exists()

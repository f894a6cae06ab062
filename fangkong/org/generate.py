"""A deterministic synthetic group at any scale: units, roster, memberships, module history, demo accounts.

One seeded `random.Random` drives everything, so the same seed, employee count and day count give the
same codes, names and people; with the same present moment (`generate_group(now=…)`, the clock's by
default) the generators' rows carry the same times too. Rows stamped by the clock on insert, audit rows,
and keys built from database ids (which a reset does not rewind) still differ between runs.

Rows are built in Python with preassigned primary keys (a unit's `path` needs its own id) and written
in bulk: `bulk_create` for the few thousand units, then COPY (PostgreSQL) or `executemany` (SQLite)
for people and memberships, streamed in chunks so memory stays flat at a million employees. The whole
run is one transaction with one audit row ("org.generate").

Modules with history (check-ins, ledger, reports …) add it through `HISTORY_GENERATORS`; see there.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from fangkong.audit.actions import record
from fangkong.lib.identity import id_check_digit
from fangkong.privacy import crypto

from .bulk import CHUNK, batched_rows, bulk_load, insert_rows, next_id, reset_sequences
from .demo_names import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    OVERSEAS,
    PROVINCE_WEIGHTS,
    SEGMENTS,
    SURNAME_CUM,
    SURNAMES,
    Segment,
    cn_number,
    short_place,
)
from .models import Membership, Person, Region, Unit

GROUP_CODE = "G"
GROUP_NAME = "中国示范控股集团"
DEFAULT_SEED = 2020
ACTOR = "system"
PEOPLE_PER_LEAF = 300  # above ~2 000 people an enterprise gets more leaf grids (~5 000 leaves at 1 000 000)


class GenerateError(RuntimeError):
    """The generator refused to run (e.g. the database already holds an org tree)."""


BIRTH_FIRST = date(1965, 1, 1).toordinal()
BIRTH_DAYS = date(2002, 12, 31).toordinal() - BIRTH_FIRST + 1
ID_SPACE = BIRTH_DAYS * 1000
ID_STEP = 7_368_787  # a prime not dividing ID_SPACE
MOBILE_STEP = 48_271_237  # odd and not a multiple of 5: a bijection on 10**8 suffixes
JOIN_FIRST = date(1990, 1, 1).toordinal()
JOIN_LAST = date(2024, 12, 31).toordinal()


# --- history registry ------------------------------------------------------------------------------


@dataclass
class HistoryContext:
    """What a history generator gets besides its own `rng` and the number of `days`."""

    seed: int
    today: date  # history covers today - days + 1 .. today (in Asia/Shanghai)
    group: Unit
    employees: int
    # The run's one present moment: a generator's "now" (what has happened by now, when a row was
    # made) is this, not the clock, so a seed and `now` give the same rows (generate_group's `now`).
    now: datetime
    write: Callable[[str], None] = print


HistoryGenerator = Callable[[random.Random, int, HistoryContext], Mapping[str, int] | None]

HISTORY_GENERATORS: list[HistoryGenerator] = []
"""Modules with history append a function here (from their AppConfig.ready) to join `fangkong generate`
and `fangkong demo`. It is called as fn(rng, days, ctx) inside the generate transaction, after the org
tree and roster are written, with its own rng seeded from the run's seed and its qualified name (so
adding a module never changes another module's data). It writes `days` days of history fast (see
`insert_rows`) and returns counts by table for the summary, e.g. {"checkins_checkin": 30_000_000}."""


def seeded_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from `rng`: a generator's rows keep their ids for a seed (uuid4 would not)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def register_history(fn: HistoryGenerator) -> HistoryGenerator:
    """Decorator form of HISTORY_GENERATORS.append (idempotent)."""
    if fn not in HISTORY_GENERATORS:
        HISTORY_GENERATORS.append(fn)
    return fn


# Kept by --reset: the audit log, the reference data migrations load (regions, the supply catalogue)
# and the card rules in force (configuration, not org data; the process keeps them cached).
RESET_KEEP = {
    "audit.auditentry",
    "audit.chainhead",
    "privacy.accessrecord",
    "org.region",
    "org.apitoken",
    "supplies.supplyitem",
    "checkins.ruleset",
}


def delete_org_data() -> None:
    """Delete the org tree, roster, grants and every fangkong module's data; keep regions, the supply
    catalogue, the card rules, users, tokens and the (append-only) audit log."""
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
            short = short_place(province.name)
        elif "直辖县级" in city.name:
            short = short_place(r.name)
        else:
            short = short_place(city.name)
        by_province.setdefault(r.code[:2], []).append(_County(r.code, short, short_place(r.name)))
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
    updated_at, id_number_hash, mobile_hash), enterprise by enterprise, leaf grid by leaf grid. ID
    numbers and mobiles are written encrypted, with their keyed hashes (privacy/crypto.py), as the model
    stores them."""
    seal_id, seal_mobile, hash_ = crypto.sealer("id_number"), crypto.sealer("mobile"), crypto.hasher()
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
                id_number = first17 + id_check_digit(first17)
                yield (
                    first_pid + g,
                    f"E{g + 1:07d}",
                    name,
                    leaf.pk,
                    e.unit.pk,
                    seal_id(id_number),
                    seal_mobile(mobile),
                    "active",
                    date.fromordinal(joined).isoformat(),
                    now_db,
                    hash_(id_number),
                    hash_(mobile),
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
    "id_number_hash",
    "mobile_hash",
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
    now: datetime | None = None,
) -> GenerateResult:
    """Write the synthetic group (see module docstring) into the default database; refuse if it has units.
    `now` (default: the clock's) is the run's present: the same seed and `now` write the same rows."""
    if employees < 0 or days < 0:
        raise GenerateError("--employees and --days must not be negative")
    started = time.monotonic()
    _sqlite_bulk_pragmas(True)
    try:
        with transaction.atomic():
            result = _generate(employees, days, seed, reset, write, now or timezone.now())
    finally:
        _sqlite_bulk_pragmas(False)
    with connection.cursor() as cursor:  # fresh statistics for the query planner
        cursor.execute("ANALYZE")
    result.seconds = time.monotonic() - started
    return result


def _generate(
    employees: int, days: int, seed: int, reset: bool, write: Callable[[str], None], now: datetime
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
    tree = _Tree(next_id(Unit))
    group = tree.add(GROUP_CODE, GROUP_NAME, Unit.Kind.GROUP, None)
    enterprises = _plan_enterprises(rng, tree, group)
    _spread_people(rng, enterprises, employees)
    for e in enterprises:
        _plan_grids(rng, tree, e)
    Unit.objects.bulk_create(tree.units, batch_size=5000)
    t_units = time.monotonic()
    write(f"  units: {len(tree.units):,}")

    first_pid, first_mid = next_id(Person), next_id(Membership)
    now_db = connection.ops.adapt_datetimefield_value(now)
    people = 0
    with bulk_load(Person._meta.db_table, Membership._meta.db_table):
        rows = _people(random.Random(f"{seed}:people"), enterprises, first_pid, now_db)
        for batch in batched_rows(rows, CHUNK):
            insert_rows(Person._meta.db_table, PERSON_COLUMNS, batch)
            insert_rows(
                Membership._meta.db_table,
                MEMBERSHIP_COLUMNS,
                ((first_mid + p[0] - first_pid, p[0], p[3], p[8]) for p in batch),
            )
            people += len(batch)
            write(f"  people: {people:,} ({people / (time.monotonic() - t_units):,.0f}/s)")
        write("  indexes and keys …")
    reset_sequences(Unit, Person, Membership)

    grids = sum(1 for u in tree.units if u.kind == Unit.Kind.GRID)
    counts = {"units": len(tree.units), "people": people, "memberships": people}
    ctx = HistoryContext(
        seed=seed, today=timezone.localdate(now), group=group, employees=employees, now=now, write=write
    )
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

"""What the dashboard and the bulletin show: the board of a unit and day, its trends, the tile view.

Everything here is read through the figure providers (providers/), so the page, the bulletin
(PDF and XLSX) and the trend charts always show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from fangkong.checkins.models import UnitDay
from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.models import Region, Unit

from .figures import Block, Context, Figure, Overdue, Provider, Value, ratio
from .providers import active
from .providers.others import ControlFigures

# Who reads a unit's dashboard and bulletin: everyone who reads its roster and day figures (the same
# roles as GET /units/{code}/rollup): admins at every level and grid leaders.
DASHBOARD_ROLES = access.ROSTER_ROLES
TREND_SPANS = (30, 90)
# Past days' figures barely move (a late report, a closed item): they are kept a while, per provider,
# unit and day (the trends, and yesterday's figures for the changes), so switching between 30 and 90
# days or reloading does not recompute them. Today's are always read live.
SERIES_TTL = 15 * 60


@dataclass
class ChildRow:
    unit: Unit
    values: dict[str, Value]


@dataclass
class Change:
    figure: Figure
    today: Value
    yesterday: Value

    @property
    def delta(self) -> Value:
        if self.today is None or self.yesterday is None:
            return None
        d = self.today - self.yesterday
        return round(d, 1) if isinstance(d, float) else d

    @property
    def tone(self) -> str:
        """ "good", "bad" or "" for the arrow's colour."""
        d = self.delta
        if not d or not self.figure.good:
            return ""
        return "good" if (d > 0) == (self.figure.good == "up") else "bad"


@dataclass
class Board:
    unit: Unit
    day: date
    generated_at: datetime
    figures: list[Figure]
    values: dict[str, Value]
    yesterday: dict[str, Value]
    children: list[ChildRow]
    blocks: list[Block] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [Change(f, self.values.get(f.key), self.yesterday.get(f.key)) for f in self.figures]

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


def board(unit: Unit, day: date, now: datetime | None = None) -> Board:
    """The unit's figures on `day`, the same per direct child, what blocks, and yesterday's figures."""
    now = now or timezone.now()
    children = list(unit.children.order_by("code"))
    ctx = Context(unit, day, children, now)
    before = Context(unit, day - timedelta(days=1), [], now, brief=True)
    out = Board(unit, day, now, [], {}, {}, [ChildRow(c, {}) for c in children])
    rows = {row.unit.pk: row for row in out.children}
    for provider in active():
        section = provider.section(ctx)
        out.figures += provider.figures
        out.values.update(section.values)
        for pk, values in section.children.items():
            if pk in rows:
                rows[pk].values.update(values)
        out.blocks += _capped(section.blocks, unit.code)
        out.overdue += section.overdue
        out.yesterday.update(_headline(provider, before))
    return out


def _headline(provider: Provider, ctx: Context) -> dict[str, Value]:
    """A past day's headline figures (yesterday's, for the changes), kept a while like the trends'."""
    key = f"dashboard:headline:{provider.name}:{ctx.unit.pk}:{ctx.day.isoformat()}"
    values = cache.get(key)
    if values is None:
        values = provider.section(ctx).values
        cache.set(key, values, SERIES_TTL)
    return values


# What blocks lists at most this many rows of each kind, then one row "and N more" with the list.
BLOCKS_PER_KIND = 10


def _capped(blocks: list[Block], code: str) -> list[Block]:
    kept: list[Block] = []
    extra: dict[str, list[Block]] = {}
    for b in blocks:
        same = [k for k in kept if str(k.what) == str(b.what)]
        if b.more or len(same) < BLOCKS_PER_KIND:
            kept.append(b)
        else:
            extra.setdefault(str(b.what), []).append(b)
    for rest in extra.values():
        first = rest[0]
        # the same list as the first row's, for the whole unit
        url = first.url.replace(f"/units/{first.unit_code}/", f"/units/{code}/").replace(
            f"unit={first.unit_code}", f"unit={code}"
        )
        kept.append(Block(what=first.what, unit_code="", unit_name="", count=len(rest), url=url, more=True))
    return kept


def trends(unit: Unit, last: date, span: int) -> dict[str, Any]:
    """The daily series of every figure over `span` days ending on `last`, for the charts."""
    days = [last - timedelta(days=n) for n in range(span - 1, -1, -1)]
    today = business_day(unit.timezone)
    series: dict[str, list[Value]] = {}
    figures: list[Figure] = []
    for provider in active():
        figures += provider.figures
        series.update(_series(provider, unit, days, today))
    return {
        "unit": unit.code,
        "days": [d.isoformat() for d in days],
        "figures": [{"key": f.key, "label": str(f.label), "percent": f.percent} for f in figures],
        "series": series,
    }


def _series(provider: Provider, unit: Unit, days: list[date], today: date) -> dict[str, list[Value]]:
    keys = {d: f"dashboard:series:{provider.name}:{unit.pk}:{d.isoformat()}" for d in days}
    cached = cache.get_many([keys[d] for d in days if d < today])
    todo = [d for d in days if keys[d] not in cached]
    per_day: dict[date, dict[str, Value]] = {d: cached[keys[d]] for d in days if keys[d] in cached}
    if todo:
        fresh = provider.series(unit, todo)
        for i, d in enumerate(todo):
            per_day[d] = {k: v[i] for k, v in fresh.items()}
        cache.set_many({keys[d]: per_day[d] for d in todo if d < today}, SERIES_TTL)
    return {f.key: [per_day[d].get(f.key) for d in days] for f in provider.figures}


# --- the tile view: enterprises by province ---------------------------------------------------------

OVERSEAS = "overseas"


@dataclass
class Tile:
    unit: Unit
    completeness: float | None
    level: str  # "low" / "medium" / "high", or "" when the controls module does not say
    status: str  # "resumed" / "not_resumed", or ""


@dataclass
class Province:
    code: str
    name: str
    tiles: list[Tile]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for t in self.tiles:
            out[t.level or "unknown"] += 1
        return dict(out)


def tiles(unit: Unit, day: date) -> list[Province]:
    """Every enterprise of the subtree, grouped by province, with completeness, risk and status."""
    enterprises = list(
        unit.subtree()
        .filter(kind=Unit.Kind.ENTERPRISE, active=True)
        .select_related("region")
        .order_by("region_id", "code")
    )
    counters = (
        UnitDay.objects.filter(unit__path__startswith=unit.path, day=day)
        .values("unit__enterprise_id")
        .annotate(e=Sum("expected"), c=Sum("checked_in"))
    )
    done = {r["unit__enterprise_id"]: ratio(r["c"], r["e"]) for r in counters}
    controls = ControlFigures()
    levels: dict[int, str] = {}
    stopped: set[int] | None = None
    if controls.available():
        levels = controls.levels(enterprises, day)
        stopped = controls.stopped(enterprises, day)
    names = dict(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name"))
    provinces: dict[str, Province] = {}
    for e in enterprises:
        region = e.region_id or ""
        key = f"{region[:2]}0000" if region.isdigit() else OVERSEAS
        if key not in provinces:
            provinces[key] = Province(key, names.get(key, ""), [])
        level = levels.get(e.pk, "")
        status = "" if stopped is None else ("not_resumed" if e.pk in stopped else "resumed")
        provinces[key].tiles.append(Tile(e, done.get(e.pk), level, status))
    return sorted(provinces.values(), key=lambda p: (p.code == OVERSEAS, -len(p.tiles), p.code))

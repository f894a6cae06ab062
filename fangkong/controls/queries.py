"""Reads of the controls module: effective levels, the policy in force, what applied on a day,
operations (return to work) and the risk distribution of a subtree.

Levels are computed from dated rows, for any day: a county without its own level takes its city's,
then its province's; an enterprise takes its region's unless a manual override covers the day. An
override lapses by date, without any job.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from fangkong.checkins.models import UnitDay
from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.models import Region, Role, Unit

from .models import (
    RANK,
    RESUMED_STATUSES,
    ControlPlan,
    Level,
    Measure,
    OperatingStatus,
    Override,
    PlanMeasure,
    PolicyVersion,
    RiskLevel,
)

DATA = Path(__file__).resolve().parent / "data" / "policy.json"
DEFAULT_SOURCE = "default"
OVERRIDE_SOURCE = "override"
POLICY_START = date(2000, 1, 1)

# Who may act on an enterprise's plan (attest) and its operating status: its admins and those above.
PLAN_ROLES = access.ADMIN_ROLES
# Who sets a manual level on an enterprise: the group and segment admins over it.
OVERRIDE_ROLES = frozenset({Role.GROUP_ADMIN, Role.SEGMENT_ADMIN})


# --- regions ------------------------------------------------------------------------------------


@cache
def _parents() -> dict[str, str | None]:
    return dict(Region.objects.values_list("code", "parent_id"))


def region_chain(code: str) -> list[str]:
    """The region and its ancestors, nearest first (county, city, province)."""
    parents = _parents()
    if code not in parents:  # a region added after the cache was filled
        _parents.cache_clear()
        parents = _parents()
    chain: list[str] = []
    current: str | None = code
    while current and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def region_prefix(region: Region) -> str:
    """The code prefix its sub-regions share (GB/T 2260): 42 for a province, 4201 for a city."""
    if region.level == Region.Level.PROVINCE:
        return region.code[:2]
    if region.level == Region.Level.CITY:
        return region.code[:4]
    return region.code


def names_region(code: str, region: Region) -> bool:
    """True if `code` is the region or a sub-region of it."""
    if not code:
        return False
    if region.level == Region.Level.COUNTRY:
        return code == region.code
    return code.isdigit() and code.startswith(region_prefix(region))


def _levels_of_regions(codes: Iterable[str], day: date) -> dict[str, RiskLevel]:
    """The row in force on `day` for each region that has one."""
    return _in_force_each_day(_region_rows(codes, day), [day], "region_id")[day]


def _region_rows(codes: Iterable[str], last: date) -> list[RiskLevel]:
    return list(
        RiskLevel.objects.filter(region_id__in=set(codes), effective_from__lte=last).order_by(
            "region_id", "-effective_from", "-pk"
        )
    )


def _in_force_each_day(rows: list[Any], days: list[date], key: str) -> dict[date, dict[Any, Any]]:
    """Per day, the row in force for each `key` (a region, an enterprise): of effective-dated `rows`
    ordered newest first within each key, the first that took effect on or before the day."""
    over: dict[date, dict[Any, Any]] = {}
    for day in days:
        found: dict[Any, Any] = {}
        for row in rows:
            if row.effective_from <= day:
                found.setdefault(getattr(row, key), row)
        over[day] = found
    return over


def region_level(code: str, day: date) -> tuple[str, str]:
    """(level, source) of a region on `day`, inherited from its city or province when it has none."""
    chain = region_chain(code)
    rows = _levels_of_regions(chain, day)
    for c in chain:
        if c in rows:
            return rows[c].level, f"region:{c}"
    return Level.LOW, DEFAULT_SOURCE


# --- enterprises --------------------------------------------------------------------------------


def _override_q(day: date) -> Q:
    """An override in force on `day` (as `_override_in_force` tests a row)."""
    return Q(starts_on__lte=day, expires_on__gte=day) & (
        Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=day)
    )


def _override_in_force(o: Override, day: date) -> bool:
    """`_override_q` of one row read already."""
    return o.starts_on <= day <= o.expires_on and (o.cancelled_on is None or o.cancelled_on > day)


def active_override(enterprise: Unit, day: date) -> Override | None:
    return (
        Override.objects.filter(_override_q(day), enterprise=enterprise)
        .order_by("-created_at", "-pk")
        .first()
    )


def levels_on(enterprises: list[Unit], day: date) -> dict[int, tuple[str, str]]:
    """(level, source) of each enterprise on `day`, in three queries whatever their number."""
    return levels_over(enterprises, [day])[day]


def levels_over(enterprises: list[Unit], days: list[date]) -> dict[date, dict[int, tuple[str, str]]]:
    """`levels_on` for each of `days`, with the same three queries for all of them (a trend of 30 or
    90 days): the regions' rows up to the last day and the overrides in force on any of the days,
    then each day's in Python."""
    first, last = min(days), max(days)
    chains = {e.pk: region_chain(e.region_id) if e.region_id else [] for e in enterprises}
    regions = _in_force_each_day(
        _region_rows({c for ch in chains.values() for c in ch}, last), days, "region_id"
    )
    override_rows = list(
        Override.objects.filter(
            Q(starts_on__lte=last, expires_on__gte=first)
            & (Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=first)),
            enterprise_id__in=list(chains),
        ).order_by("created_at", "pk")
    )
    over: dict[date, dict[int, tuple[str, str]]] = {}
    for day in days:
        rows = regions[day]
        overrides: dict[int, Override] = {}
        for o in override_rows:
            if _override_in_force(o, day):
                overrides[o.enterprise_id] = o  # the newest wins
        result: dict[int, tuple[str, str]] = {}
        for pk, chain in chains.items():
            if pk in overrides:
                result[pk] = (overrides[pk].level, OVERRIDE_SOURCE)
                continue
            result[pk] = (Level.LOW, DEFAULT_SOURCE)
            for c in chain:
                if c in rows:
                    result[pk] = (rows[c].level, f"region:{c}")
                    break
        over[day] = result
    return over


def effective_level(enterprise: Unit, day: date) -> tuple[str, str]:
    """(level, source) of an enterprise on `day`: "override", "default" or "region:<code>"."""
    return levels_on([enterprise], day)[enterprise.pk]


# --- policy -------------------------------------------------------------------------------------


def default_policy_data() -> dict[str, Any]:
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def ensure_policy() -> PolicyVersion:
    """Version 1 from the shipped defaults, made the first time anything asks for the policy."""
    first = PolicyVersion.objects.filter(version=1).first()
    if first is not None:
        return first
    data = default_policy_data()
    with transaction.atomic():
        policy, created = PolicyVersion.objects.get_or_create(
            version=1,
            defaults={
                "effective_from": POLICY_START,
                "attest_hours": data["attest_hours"],
                "note": "defaults",
            },
        )
        if created:
            Measure.objects.bulk_create(
                Measure(
                    policy=policy,
                    aspect=a["code"],
                    code=m["code"],
                    text=m["zh"],
                    text_en=m["en"],
                    min_level=m["level"],
                )
                for a in data["aspects"]
                for m in a["measures"]
            )
    return policy


def policy_on(day: date) -> PolicyVersion:
    ensure_policy()
    found = PolicyVersion.objects.filter(effective_from__lte=day).order_by("-version").first()
    return found or PolicyVersion.objects.get(version=1)


def current_policy() -> PolicyVersion:
    ensure_policy()
    return PolicyVersion.objects.order_by("-version").first()  # type: ignore[return-value]


def required(policy: PolicyVersion, level: str, measures: list[Measure] | None = None) -> list[Measure]:
    """The measures `level` requires under `policy`, in the policy's order."""
    if measures is None:
        measures = list(policy.measures.all())
    return [m for m in measures if RANK[Level(m.min_level)] <= RANK[Level(level)]]


# --- what applied on a day ----------------------------------------------------------------------


@dataclass
class Applied:
    """The answer to "which measures applied to enterprise X on day D, and why"."""

    enterprise: Unit
    day: date
    level: str
    source: str
    region: Region | None
    override: Override | None
    policy: PolicyVersion
    plan: ControlPlan | None  # the plan version the enterprise had that day (None before its first)
    measures: list[Measure]
    states: dict[int, PlanMeasure] = field(default_factory=dict)  # measure pk -> its attestation


def plan_on(enterprise: Unit, day: date) -> ControlPlan | None:
    return (
        ControlPlan.objects.filter(enterprise=enterprise, effective_from__lte=day)
        .order_by("-effective_from", "-version")
        .first()
    )


def applied_on(enterprise: Unit, day: date) -> Applied:
    level, source = effective_level(enterprise, day)
    policy = policy_on(day)
    plan = plan_on(enterprise, day)
    states: dict[int, PlanMeasure] = {}
    if plan is not None:
        states = {pm.measure_id: pm for pm in plan.measures.all()}
    return Applied(
        enterprise=enterprise,
        day=day,
        level=level,
        source=source,
        region=enterprise.region,
        override=active_override(enterprise, day) if source == OVERRIDE_SOURCE else None,
        policy=policy,
        plan=plan,
        measures=required(policy, level),
        states=states,
    )


def current_plan(enterprise: Unit) -> ControlPlan | None:
    return ControlPlan.objects.filter(enterprise=enterprise, current=True).select_related("policy").first()


def today_of(enterprise: Unit, now: datetime | None = None) -> date:
    return business_day(enterprise.timezone, now)


# --- operations and risk ------------------------------------------------------------------------


def _enterprises(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(path__startswith=unit.path, kind=Unit.Kind.ENTERPRISE, active=True))


def statuses_on(enterprise_ids: list[int], day: date) -> dict[int, OperatingStatus]:
    """The status row in force on `day` per enterprise (absent: never set, counts as normal)."""
    return statuses_over(enterprise_ids, [day])[day]


def statuses_over(enterprise_ids: list[int], days: list[date]) -> dict[date, dict[int, OperatingStatus]]:
    """`statuses_on` for each of `days`, from one read of the rows (a trend of 30 or 90 days)."""
    rows = list(
        OperatingStatus.objects.filter(
            enterprise_id__in=enterprise_ids, effective_from__lte=max(days)
        ).order_by("enterprise_id", "-effective_from", "-pk")
    )
    return _in_force_each_day(rows, days, "enterprise_id")


def _on_site(enterprise_ids: list[int], day: date) -> dict[int, tuple[int, int]]:
    """(checked in, on site) per enterprise from the day counters of its units (never the check-ins:
    at a million people a scan of the day's rows takes seconds)."""
    rows = (
        UnitDay.objects.filter(
            Q(unit__enterprise_id__in=enterprise_ids) | Q(unit_id__in=enterprise_ids), day=day
        )
        .values(ent=Coalesce("unit__enterprise_id", "unit_id"))
        .annotate(checked=Sum("checked_in"), on_site=Sum("on_site"))
    )
    return {r["ent"]: (r["checked"], r["on_site"]) for r in rows}


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _totals(ents: list[Unit], resumed: set[int], site: dict[int, tuple[int, int]]) -> dict[str, Any]:
    n = len(ents)
    r = sum(1 for e in ents if e.pk in resumed)
    checked = sum(site.get(e.pk, (0, 0))[0] for e in ents)
    on_site = sum(site.get(e.pk, (0, 0))[1] for e in ents)
    return {
        "enterprises": n,
        "resumed": r,
        "rate": _pct(r, n),
        "checked_in": checked,
        "on_site": on_site,
        "on_site_rate": _pct(on_site, checked),
    }


def _owners(enterprises: list[Unit]) -> dict[int, str]:
    names: dict[int, str] = {}
    for pk, users in access.holders_many(enterprises, (Role.ENTERPRISE_ADMIN,)).items():
        names[pk] = users[0].get_full_name() or users[0].username if users else ""
    return names


def operations(unit: Unit, day: date) -> dict[str, Any]:
    """Return to work in `unit`'s subtree on `day`: enterprises, resumed, rate (percent, one decimal),
    on-site staff (checked_in, on_site, on_site_rate), the same per child, and the enterprises not
    resumed with status, reason and owner (their prevention officer)."""
    ents = _enterprises(unit)
    ids = [e.pk for e in ents]
    status = statuses_on(ids, day)
    resumed = {pk for pk in ids if pk not in status or status[pk].status in RESUMED_STATUSES}
    site = _on_site(ids, day)
    result = _totals(ents, resumed, site)
    children = []
    if unit.kind in (Unit.Kind.GROUP, Unit.Kind.SEGMENT):
        for child in unit.children.filter(active=True).order_by("code"):
            mine = [e for e in ents if e.path.startswith(child.path)]
            children.append({"code": child.code, "name": child.name, **_totals(mine, resumed, site)})
    result["children"] = children
    stopped = [e for e in ents if e.pk not in resumed]
    owners = _owners(stopped)
    result["not_resumed"] = [
        {
            "code": e.code,
            "name": e.name,
            "status": status[e.pk].status,
            "reason": status[e.pk].reason,
            "since": status[e.pk].effective_from,
            "owner": owners[e.pk],
        }
        for e in stopped
    ]
    return result


def risk_distribution(unit: Unit, day: date) -> dict[str, int]:
    """How many enterprises of the subtree are at each level on `day`."""
    counts = {Level.LOW.value: 0, Level.MEDIUM.value: 0, Level.HIGH.value: 0}
    for level, _source in levels_on(_enterprises(unit), day).values():
        counts[level] += 1
    return counts


def enterprises_in_region(region: Region) -> list[Unit]:
    """Active enterprises whose region is `region` or a sub-region of it."""
    qs = Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True)
    if region.level == Region.Level.COUNTRY or region.level == Region.Level.COUNTY:
        return list(qs.filter(region_id=region.code))
    return list(qs.filter(region__code__startswith=region_prefix(region)))


def recent_levels(limit: int = 50) -> list[RiskLevel]:
    return list(RiskLevel.objects.select_related("region").order_by("-created_at", "-pk")[:limit])


def levels_by_group(day: date) -> dict[str, list[tuple[Region, RiskLevel]]]:
    """Regions whose own level on `day` is medium or high, by level (for the regions page)."""
    shown: dict[str, list[tuple[Region, RiskLevel]]] = defaultdict(list)
    rows = RiskLevel.objects.filter(effective_from__lte=day).select_related("region")
    latest: dict[str, RiskLevel] = {}
    for row in rows.order_by("region_id", "-effective_from", "-pk"):
        latest.setdefault(row.region_id, row)
    for row in latest.values():
        if row.level != Level.LOW:
            shown[row.level].append((row.region, row))
    return {level: shown[level] for level in (Level.HIGH, Level.MEDIUM) if shown[level]}  # a plain dict

"""Importing the org tree: units, their parents, regions and time zones."""

from __future__ import annotations

from typing import Any

from fangkong.lib.dates import DEFAULT_ZONE
from fangkong.lib.identity import (
    has_fullwidth,
)
from fangkong.org import actions
from fangkong.org.models import Region, Unit

from .base import Progress, Rec, batched, other_row, shown
from .common import (
    KIND_ALIASES,
    REGION_CODE,
    UNIT_COLUMNS,
    OrgImport,
    time_zones,
)


class UnitsImport(OrgImport):
    """Rows: code, name, kind, parent (code), region (6-digit code or ISO country), timezone.

    Parents may come later in the file or exist already. An existing unit gets its name, region and
    time zone updated; its kind and parent cannot change by import. Region and time zone belong to
    enterprises (grids take their enterprise's).
    """

    kind = "units"
    columns = UNIT_COLUMNS

    def __init__(self, actor: Any, within: Unit | None):
        super().__init__(actor, within)
        self._by_code: dict[str, Rec] = {}

    def parse(self, rec: Rec) -> None:
        v = rec.values
        code = self.code(rec, "code")
        if code in self._by_code:
            first = other_row(rec, self._by_code[code])
            self.error(rec, "code", f"duplicate code {shown(code)}: also on {first}")
        elif code:
            self._by_code[code] = rec
        v["code"] = code
        v["name"] = self.text(rec, "name", required=True, max_length=128)
        kind = self.text(rec, "kind", required=True).lower()
        kind = KIND_ALIASES.get(kind, kind)
        if kind and kind not in Unit.Kind.values:
            self.error(rec, "kind", f"unknown kind {shown(kind)}: one of {', '.join(Unit.Kind.values)}")
            kind = ""
        v["kind"] = kind
        v["parent"] = self.code(rec, "parent", required=False)
        region = self.text(rec, "region").upper()
        tz = self.text(rec, "timezone")
        if kind and kind != Unit.Kind.ENTERPRISE:
            for column, value in (("region", region), ("timezone", tz)):
                if value:
                    self.error(rec, column, "only an enterprise has one (grids take their enterprise's)")
        if region and (has_fullwidth(region) or not REGION_CODE.match(region)):
            self.error(rec, "region", "must be a 6-digit division code or a 2-letter country code")
            region = ""
        if tz and tz not in time_zones():
            self.error(rec, "timezone", f"unknown time zone {shown(tz)} (e.g. Asia/Shanghai)")
        v["region"], v["timezone"] = region, tz

    def check(self) -> None:
        recs = [r for r in self.records if r.values["code"]]
        wanted = {r.values["code"] for r in recs} | {r.values["parent"] for r in recs if r.values["parent"]}
        self.existing: dict[str, Unit] = {}
        for codes in batched(wanted):
            units = Unit.objects.filter(code__in=codes).select_related("parent")
            self.existing.update((u.code, u) for u in units)
        regions = {r.values["region"] for r in recs if r.values["region"]}
        self.regions = {r.code: r for r in Region.objects.filter(code__in=regions)}
        for rec in recs:
            self._check_unit(rec)
        self.order = self._topological([r for r in recs if r.values["code"] not in self.existing])

    def _check_unit(self, rec: Rec) -> None:
        v = rec.values
        if v["region"] and v["region"] not in self.regions:
            self.error(rec, "region", f"unknown region {v['region']}")
        unit = self.existing.get(v["code"])
        if unit is not None:
            if not self.in_scope(unit):
                self.error(rec, "code", f"code {unit.code} is already used by another unit")
            elif v["kind"] and v["kind"] != unit.kind:
                self.error(rec, "kind", f"an existing {unit.kind} cannot change kind")
            elif (unit.parent.code if unit.parent else "") != v["parent"]:
                self.error(rec, "parent", "moving an existing unit to another parent cannot be imported")
            return
        if v["kind"] == Unit.Kind.ENTERPRISE and not v["region"]:
            self.error(rec, "region", "required for an enterprise")
        if not v["parent"]:
            if v["kind"] != Unit.Kind.GROUP:
                self.error(rec, "parent", "required")
            elif self.within is not None:
                self.error(rec, "kind", "a group is the top of the tree; it cannot be created inside a unit")
            return
        parent_kind = self._parent_kind(rec)
        if parent_kind and v["kind"]:
            try:
                actions._check_parent(v["kind"], Unit(kind=parent_kind))
            except actions.ActionError as exc:
                self.error(rec, "parent", str(exc))

    def _parent_kind(self, rec: Rec) -> str:
        code = rec.values["parent"]
        if code in self._by_code:
            return self._by_code[code].values["kind"]
        parent = self.existing.get(code)
        if parent is None or not self.in_scope(parent):
            self.error(rec, "parent", f"unknown unit code {shown(code)}")
            return ""
        return parent.kind

    def _topological(self, recs: list[Rec]) -> list[Rec]:
        """New units, each after its parent; parent chains that loop are errors."""
        order: list[Rec] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done
        new = {r.values["code"]: r for r in recs}
        for rec in recs:
            chain: list[Rec] = []
            cur: Rec | None = rec
            while cur is not None and state.get(cur.values["code"]) is None:
                state[cur.values["code"]] = 1
                chain.append(cur)
                cur = new.get(cur.values["parent"])
            if cur is not None and state[cur.values["code"]] == 1:
                for looped in chain[chain.index(cur) :]:
                    self.error(looped, "parent", "the parent chain loops back to this unit")
            for done in reversed(chain):
                state[done.values["code"]] = 2
                order.append(done)
        return order

    def write(self, report: Progress) -> tuple[int, int, int]:
        total, done = len(self.records), 0
        created: dict[str, Unit] = {}
        for rec in self.order:
            v = rec.values
            parent = created.get(v["parent"]) or self.existing.get(v["parent"])
            try:
                created[v["code"]] = actions.create_unit(
                    self.actor,
                    code=v["code"],
                    name=v["name"],
                    kind=v["kind"],
                    parent=parent,
                    region=self.regions.get(v["region"]),
                    timezone_name=v["timezone"] or DEFAULT_ZONE,
                )
            except actions.ActionError as exc:
                self.error(rec, exc.field or "code", str(exc))
            done += 1
            report("save", done, total)
        updated = unchanged = 0
        for rec in self.records:
            unit = self.existing.get(rec.values["code"])
            if unit is None:
                continue
            v = rec.values
            name = v["name"] if v["name"] != unit.name else None
            region = self.regions.get(v["region"]) if v["region"] != unit.region_id else None
            tz = v["timezone"] if v["timezone"] and v["timezone"] != unit.timezone else None
            if name or region or tz:
                actions.update_unit(self.actor, unit, name=name, region=region, timezone_name=tz)
                updated += 1
            else:
                unchanged += 1
            done += 1
            report("save", done, total)
        return len(created), updated, unchanged

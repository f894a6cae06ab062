"""Importing units and the roster from XLSX or CSV: every row is checked, then all is saved or nothing.

An import runs in three steps: read and check each row on its own (formats, duplicates inside the
file); check the rows against the database with a few bulk queries (unknown units, ID numbers of
other people, scope); then write through the org actions in one transaction. One bad row and nothing
is written, and every bad row is reported with its sheet, row, column and reason. Rows are matched by
unit code or employee number, so importing the same file again changes nothing.

Messages never echo a full ID number or mobile (see fangkong.lib.identity masking).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction

from fangkong.lib import xlsx
from fangkong.lib.dates import DEFAULT_ZONE, business_day
from fangkong.lib.identity import (
    InvalidValue,
    has_fullwidth,
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
)

from . import actions
from .models import Person, Region, Unit

KINDS = ("units", "roster")
MAX_ERRORS = 10_000
BATCH = 900  # values per IN (...) query: below SQLite's oldest variable limit

UNIT_COLUMNS = ("code", "name", "kind", "parent", "region", "timezone")
ROSTER_COLUMNS = ("employee_no", "name", "unit", "id_number", "mobile", "joined", "status", "left")
REQUIRED = {"units": ("code", "name", "kind"), "roster": ("employee_no", "name", "unit", "joined")}
# Chinese headers are accepted too; the roster's are the ones its export writes in zh-hans.
ALIASES = {
    "units": {
        "编码": "code",
        "单位编码": "code",
        "名称": "name",
        "单位名称": "name",
        "类型": "kind",
        "上级": "parent",
        "上级编码": "parent",
        "地区": "region",
        "时区": "timezone",
    },
    "roster": {
        "工号": "employee_no",
        "姓名": "name",
        "单位": "unit",
        "单位编码": "unit",
        "身份证号": "id_number",
        "手机号": "mobile",
        "入职日期": "joined",
        "状态": "status",
        "离职日期": "left",
    },
}
KIND_ALIASES = {"集团": "group", "板块": "segment", "企业": "enterprise", "网格": "grid"}
STATUS_ALIASES = {"在职": Person.Status.ACTIVE, "离职": Person.Status.LEFT}

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REGION = re.compile(r"^(\d{6}|[A-Z]{2})$")
_LONG_DIGITS = re.compile(r"\d{11,}")

Progress = Callable[[str, int, "int | None"], None]


class ImportRefused(Exception):
    """The file as a whole cannot be imported (wrong type, too big, damaged, no usable sheet)."""


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.row} {self.column}: {self.reason}"


@dataclass
class ImportResult:
    kind: str
    ok: bool = True
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def run_import(
    actor: Any,
    kind: str,
    fileobj: IO[bytes],
    filename: str,
    *,
    within: Unit | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Import units or the roster from an uploaded file, limited to the subtree of `within`.

    Units outside `within` are treated as unknown. `progress(stage, done, total)` is called for every
    row: stage "read" (total unknown) while checking, then "save" while writing. With `dry_run`
    everything is checked and written inside a transaction that is rolled back.
    Raises ImportRefused for a file refused as a whole.
    """
    if kind not in KINDS:
        raise ImportRefused(f"unknown import {kind!r}: one of {', '.join(KINDS)}")
    report = progress or (lambda stage, done, total: None)
    importer = UnitsImport(actor, within) if kind == "units" else RosterImport(actor, within)
    try:
        xlsx.check_upload(fileobj, filename, max_bytes or settings.IMPORT_MAX_BYTES)
        importer.read(xlsx.read_rows(fileobj, filename), report)
    except xlsx.UploadRefused as exc:
        raise ImportRefused(str(exc)) from None
    importer.check()
    return importer.save(dry_run, report)


class _Rollback(Exception):
    pass


@dataclass(slots=True)
class _Rec:
    sheet: str
    row: int
    values: dict[str, Any]


class _Import:
    """Shared machinery: header checks, per-row errors, bulk lookups, the all-or-nothing save."""

    kind = ""
    columns: tuple[str, ...] = ()

    def __init__(self, actor: Any, within: Unit | None):
        self.actor, self.within = actor, within
        self.records: list[_Rec] = []
        self.errors: list[RowError] = []
        self._sheets: dict[str, bool] = {}  # sheet -> has the required columns
        self._sheet_order: dict[str, int] = {}

    def error(self, rec: _Rec | None, column: str, reason: str, *, sheet: str = "", row: int = 1) -> None:
        if rec is not None:
            sheet, row = rec.sheet, rec.row
        self.errors.append(RowError(sheet, row, column, reason))

    def read(self, rows: Iterator[xlsx.Row], report: Progress) -> None:
        key, aliases = self.columns[0], ALIASES[self.kind]
        done = 0
        for sheet, number, raw in rows:
            values = {aliases.get(k, k): v for k, v in raw.items()}
            if sheet not in self._sheets:
                self._sheets[sheet] = self._check_header(sheet, values)
            if not self._sheets[sheet]:
                continue
            rec = _Rec(sheet, number, values)
            self.records.append(rec)
            self.parse(rec)
            done += 1
            report("read", done, None)
        if not any(self._sheets.values()) and not self.errors:
            raise ImportRefused(
                f"no sheet has a {key!r} column with rows under it; "
                f"expected columns: {', '.join(self.columns)}"
            )

    def _check_header(self, sheet: str, values: dict[str, Any]) -> bool:
        """A sheet without the key column is not data (instructions, notes): skipped."""
        self._sheet_order[sheet] = len(self._sheet_order)
        if self.columns[0] not in values:
            return False
        missing = [c for c in REQUIRED[self.kind] if c not in values]
        for column in missing:
            self.error(None, column, "column missing from the header row", sheet=sheet)
        return not missing

    def check(self) -> None:
        raise NotImplementedError

    def parse(self, rec: _Rec) -> None:
        raise NotImplementedError

    def write(self, report: Progress) -> tuple[int, int, int]:
        raise NotImplementedError

    def save(self, dry_run: bool, report: Progress) -> ImportResult:
        result = ImportResult(self.kind, dry_run=dry_run, rows=len(self.records))
        if not self.errors:
            try:
                with transaction.atomic():
                    result.created, result.updated, result.unchanged = self.write(report)
                    if self.errors or dry_run:
                        raise _Rollback
            except _Rollback:
                pass
            except IntegrityError:
                raise ImportRefused(
                    "the data changed while importing (another import or edit at the same "
                    "time?): nothing was saved, try again"
                ) from None
        if self.errors:
            result.ok, result.created, result.updated, result.unchanged = False, 0, 0, 0
            order = self._sheet_order
            self.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row))
            result.errors = self.errors[:MAX_ERRORS]
            if len(self.errors) > MAX_ERRORS:
                last = self.errors[MAX_ERRORS]
                more = len(self.errors) - MAX_ERRORS
                result.errors.append(RowError(last.sheet, last.row, "", f"… and {more} more not listed"))
        return result

    # Cell readers: each returns the clean value, or an empty one after recording an error.

    def text(self, rec: _Rec, column: str, *, required: bool = False, max_length: int = 0) -> str:
        value = rec.values.get(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(rec, column, "required")
        elif max_length and len(text) > max_length:
            self.error(rec, column, f"longer than {max_length} characters")
        return text

    def code(self, rec: _Rec, column: str, *, required: bool = True) -> str:
        value = self.text(rec, column, required=required)
        if not value:
            return ""
        if has_fullwidth(value):
            self.error(rec, column, "contains full-width characters: use half-width digits and letters")
        elif not _CODE.match(value):
            self.error(rec, column, "must be 1 to 32 letters, digits, '-', '_' or '.'")
        else:
            return value
        return ""

    def day(self, rec: _Rec, column: str, *, required: bool = False) -> date | None:
        value = rec.values.get(column)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if value is None or value == "":
            if required:
                self.error(rec, column, "required")
            return None
        text = str(value).strip()
        if _ISO_DAY.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                self.error(rec, column, f"{shown(text)} is not a valid date")
                return None
        self.error(rec, column, f"{shown(text)} is not a date: write YYYY-MM-DD or use a date cell")
        return None

    @staticmethod
    def batched(values: Iterable[str]) -> Iterator[list[str]]:
        values = sorted(values)
        for i in range(0, len(values), BATCH):
            yield values[i : i + BATCH]

    def in_scope(self, unit: Unit) -> bool:
        return self.within is None or unit.path.startswith(self.within.path)


class RosterImport(_Import):
    """Rows: employee_no, name, unit (code of a grid or enterprise), id_number, mobile, joined, status, left.

    Blank id_number or mobile leaves an existing person's value as it is. `joined` only dates a new
    person; a changed unit is a transfer dated today (the enterprise's local day); status "left" ends
    the placement on the `left` date.
    """

    kind = "roster"
    columns = ROSTER_COLUMNS

    def __init__(self, actor: Any, within: Unit | None):
        super().__init__(actor, within)
        self._first_emp: dict[str, _Rec] = {}
        self._first_id: dict[str, _Rec] = {}

    def parse(self, rec: _Rec) -> None:
        v = rec.values
        emp = self.code(rec, "employee_no")
        if emp:
            if emp in self._first_emp:
                first = _where(rec, self._first_emp[emp])
                self.error(rec, "employee_no", f"duplicate employee_no {shown(emp)}: also on {first}")
            else:
                self._first_emp[emp] = rec
        v["employee_no"] = emp
        v["name"] = self.text(rec, "name", required=True, max_length=64)
        v["unit"] = self.code(rec, "unit")
        v["id_number"] = self._id_number(rec)
        if v["id_number"]:
            first = _where(rec, self._first_id.setdefault(v["id_number"], rec))
            if self._first_id[v["id_number"]] is not rec:
                self.error(
                    rec, "id_number", f"duplicate ID number {mask_id_number(v['id_number'])}: also on {first}"
                )
        v["mobile"] = self._mobile(rec)
        v["joined"] = self.day(rec, "joined", required=True)
        left_given = v.get("left") not in (None, "")
        v["left"] = self.day(rec, "left")
        status = self.text(rec, "status").lower()
        default = Person.Status.LEFT if left_given else Person.Status.ACTIVE
        status = STATUS_ALIASES.get(status, status) or default
        if status not in Person.Status.values:
            self.error(rec, "status", "must be active or left")
        elif status == Person.Status.LEFT and not left_given:
            self.error(rec, "left", "required when status is left")
        elif status == Person.Status.ACTIVE and left_given:
            self.error(rec, "left", "only for status left")
        elif v["left"] and v["joined"] and v["left"] <= v["joined"]:
            self.error(rec, "left", "must be after the joined date")
        v["status"] = status

    def _id_number(self, rec: _Rec) -> str:
        value = rec.values.get("id_number")
        if isinstance(value, float):
            self.error(
                rec, "id_number", "stored as a number (Excel keeps only 15 digits): format the column as text"
            )
            return ""
        text = self.text(rec, "id_number")
        if not text:
            return ""
        try:
            return normalize_id_number(text)
        except InvalidValue as exc:
            self.error(rec, "id_number", f"not a valid ID number: {exc}")
            return ""

    def _mobile(self, rec: _Rec) -> str:
        text = self.text(rec, "mobile")
        if not text:
            return ""
        try:
            return normalize_mobile(text)
        except InvalidValue as exc:
            self.error(rec, "mobile", f"not a valid mobile number: {exc}")
            return ""

    def check(self) -> None:
        recs = self.records
        units: dict[str, Unit] = {}
        for codes in self.batched({r.values["unit"] for r in recs if r.values["unit"]}):
            for unit in Unit.objects.filter(code__in=codes):
                if self.in_scope(unit):  # out of scope reads as unknown
                    units[unit.code] = unit
        self.people: dict[str, Person] = {}
        for nos in self.batched({r.values["employee_no"] for r in recs if r.values["employee_no"]}):
            self.people.update(
                (p.employee_no, p) for p in Person.objects.filter(employee_no__in=nos).select_related("unit")
            )
        owners: dict[str, str] = {}
        for ids in self.batched({r.values["id_number"] for r in recs if r.values["id_number"]}):
            owners.update(Person.objects.filter(id_number__in=ids).values_list("id_number", "employee_no"))
        for rec in recs:
            self._check_row(rec, units, owners)

    def _check_row(self, rec: _Rec, units: dict[str, Unit], owners: dict[str, str]) -> None:
        v = rec.values
        unit = units.get(v["unit"])
        if unit is None:
            if v["unit"]:
                self.error(rec, "unit", f"unknown unit code {shown(v['unit'])}")
        elif unit.kind not in (Unit.Kind.GRID, Unit.Kind.ENTERPRISE):
            self.error(rec, "unit", f"people belong to an enterprise or a grid, not to a {unit.kind}")
        elif not unit.active:
            self.error(rec, "unit", f"unit {unit.code} is closed")
        v["unit"] = unit
        owner = owners.get(v["id_number"])
        if owner is not None and owner != v["employee_no"]:
            self.error(
                rec,
                "id_number",
                f"ID number {mask_id_number(v['id_number'])} already belongs to another employee number",
            )
        person = self.people.get(v["employee_no"])
        if person is None:
            return
        if not self.in_scope(person.unit):
            self.error(rec, "employee_no", "already used by a person outside this unit's scope")

    def write(self, report: Progress) -> tuple[int, int, int]:
        new = [r.values for r in self.records if r.values["employee_no"] not in self.people]
        updated = unchanged = 0
        total = len(self.records)
        if new:
            actions.add_people(
                self.actor,
                [
                    {
                        "employee_no": v["employee_no"],
                        "name": v["name"],
                        "unit": v["unit"],
                        "id_number": v["id_number"],
                        "mobile": v["mobile"],
                        "joined_on": v["joined"],
                        "status": v["status"],
                        "left_on": v["left"],
                    }
                    for v in new
                ],
                unit_code=self.within.code if self.within else "",
            )
            report("save", len(new), total)
        done = len(new)
        for rec in self.records:
            person = self.people.get(rec.values["employee_no"])
            if person is None:
                continue
            try:
                changed = self._update(person, rec.values)
            except actions.ActionError as exc:
                self.error(rec, exc.field or "unit", str(exc))
                continue
            updated += changed
            unchanged += not changed
            done += 1
            report("save", done, total)
        return len(new), updated, unchanged

    def _update(self, person: Person, v: dict[str, Any]) -> bool:
        fields = {f: v[f] for f in ("name", "id_number", "mobile") if v[f] and v[f] != getattr(person, f)}
        changed = bool(fields)
        if fields:
            actions.update_person(self.actor, person, **fields)
        unit: Unit = v["unit"]
        if v["status"] == Person.Status.LEFT:
            if person.status != Person.Status.LEFT:  # they leave from where they are
                actions.person_leaves(self.actor, person, v["left"])
                changed = True
        elif person.status == Person.Status.LEFT:
            actions.rejoin_person(self.actor, person, unit, business_day(unit.timezone))
            changed = True
        elif unit.pk != person.unit_id:
            actions.transfer_person(self.actor, person, unit, business_day(unit.timezone))
            changed = True
        return changed


class UnitsImport(_Import):
    """Rows: code, name, kind, parent (code), region (6-digit code or ISO country), timezone.

    Parents may come later in the file or exist already. An existing unit gets its name, region and
    time zone updated; its kind and parent cannot change by import. Region and time zone belong to
    enterprises (grids take their enterprise's).
    """

    kind = "units"
    columns = UNIT_COLUMNS

    def __init__(self, actor: Any, within: Unit | None):
        super().__init__(actor, within)
        self._by_code: dict[str, _Rec] = {}

    def parse(self, rec: _Rec) -> None:
        v = rec.values
        code = self.code(rec, "code")
        if code in self._by_code:
            first = _where(rec, self._by_code[code])
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
        if region and (has_fullwidth(region) or not _REGION.match(region)):
            self.error(rec, "region", "must be a 6-digit division code or a 2-letter country code")
            region = ""
        if tz and tz not in _zones():
            self.error(rec, "timezone", f"unknown time zone {shown(tz)} (e.g. Asia/Shanghai)")
        v["region"], v["timezone"] = region, tz

    def check(self) -> None:
        recs = [r for r in self.records if r.values["code"]]
        wanted = {r.values["code"] for r in recs} | {r.values["parent"] for r in recs if r.values["parent"]}
        self.existing: dict[str, Unit] = {}
        for codes in self.batched(wanted):
            units = Unit.objects.filter(code__in=codes).select_related("parent")
            self.existing.update((u.code, u) for u in units)
        regions = {r.values["region"] for r in recs if r.values["region"]}
        self.regions = {r.code: r for r in Region.objects.filter(code__in=regions)}
        for rec in recs:
            self._check_unit(rec)
        self.order = self._topological([r for r in recs if r.values["code"] not in self.existing])

    def _check_unit(self, rec: _Rec) -> None:
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

    def _parent_kind(self, rec: _Rec) -> str:
        code = rec.values["parent"]
        if code in self._by_code:
            return self._by_code[code].values["kind"]
        parent = self.existing.get(code)
        if parent is None or not self.in_scope(parent):
            self.error(rec, "parent", f"unknown unit code {shown(code)}")
            return ""
        return parent.kind

    def _topological(self, recs: list[_Rec]) -> list[_Rec]:
        """New units, each after its parent; parent chains that loop are errors."""
        order: list[_Rec] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done
        new = {r.values["code"]: r for r in recs}
        for rec in recs:
            chain: list[_Rec] = []
            cur: _Rec | None = rec
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


def shown(value: str, limit: int = 40) -> str:
    """A cell value fit to quote in a message: long digit runs (ID or mobile numbers) masked, cut short."""
    text = _LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), str(value))
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _where(rec: _Rec, other: _Rec) -> str:
    return f"row {other.row}" if other.sheet == rec.sheet else f"{other.sheet}!{other.row}"


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())

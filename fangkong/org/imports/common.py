"""Shared by the units and roster imports: columns and their aliases, the result, the cell readers."""

from __future__ import annotations

import re
import zoneinfo
from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from fangkong.lib.identity import has_fullwidth
from fangkong.org.models import Person, Unit

from .base import Progress, Rec, RowError, SheetImport, shown

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
REGION_CODE = re.compile(r"^(\d{6}|[A-Z]{2})$")


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


class OrgImport(SheetImport):
    """Units and roster rows: the columns, the cell readers, the scope, the save with its counts."""

    kind = ""
    columns: tuple[str, ...] = ()

    def __init__(self, actor: Any, within: Unit | None):
        super().__init__(actor)
        self.within = within
        self.key_column = self.columns[0]
        self.expected_columns = self.columns
        self.aliases = ALIASES[self.kind]

    def missing_columns(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c, "column missing from the header row") for c in REQUIRED[self.kind] if c not in values]

    @abstractmethod
    def write(self, report: Progress) -> tuple[int, int, int]:
        """Save every row through the org actions; returns (created, updated, unchanged)."""

    def save(self, dry_run: bool, report: Progress) -> ImportResult:
        result = ImportResult(self.kind, dry_run=dry_run, rows=len(self.records))

        def write() -> None:
            result.created, result.updated, result.unchanged = self.write(report)

        self.commit(
            write,
            dry_run=dry_run,
            conflict="the data changed while importing (another import or edit at the same time?): "
            "nothing was saved, try again",
        )
        if self.errors:
            result.ok, result.created, result.updated, result.unchanged = False, 0, 0, 0
            result.errors = self.reported_errors()
        return result

    # Cell readers: each returns the clean value, or an empty one after recording an error.

    def text(self, rec: Rec, column: str, *, required: bool = False, max_length: int = 0) -> str:
        value = rec.values.get(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(rec, column, "required")
        elif max_length and len(text) > max_length:
            self.error(rec, column, f"longer than {max_length} characters")
        return text

    def code(self, rec: Rec, column: str, *, required: bool = True) -> str:
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

    def day(self, rec: Rec, column: str, *, required: bool = False) -> date | None:
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

    def in_scope(self, unit: Unit) -> bool:
        return self.within is None or unit.path.startswith(self.within.path)


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())

"""Importing a list of risk levels as the authorities publish them (CSV or XLSX).

Columns: region (a GB/T 2260 or ISO 3166 code, or a region's name), level (low / medium / high or
低 / 中 / 高, also 低风险 …), effective_from (a date). Chinese headers are accepted. Every bad row is
reported with its row and column and nothing is saved; a good file is saved in one transaction,
re-planning and re-screening exactly like a level set by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings

from fangkong.lib import xlsx
from fangkong.org.imports.base import ImportRefused, Rec, RowError, SheetImport, shown
from fangkong.org.models import Region

from . import actions
from .models import Level

COLUMNS = ("region", "level", "effective_from", "note")
ALIASES = {
    "地区": "region",
    "地区编码": "region",
    "区划代码": "region",
    "行政区划": "region",
    "code": "region",
    "风险等级": "level",
    "等级": "level",
    "生效日期": "effective_from",
    "日期": "effective_from",
    "date": "effective_from",
    "备注": "note",
}
LEVEL_ALIASES = {
    "低": Level.LOW,
    "低风险": Level.LOW,
    "中": Level.MEDIUM,
    "中风险": Level.MEDIUM,
    "高": Level.HIGH,
    "高风险": Level.HIGH,
}

__all__ = ["ImportRefused", "RiskImport", "RiskImportResult", "import_levels"]


@dataclass
class RiskImportResult:
    ok: bool = True
    rows: int = 0
    saved: int = 0
    replanned: int = 0
    rescreened: int = 0
    errors: list[RowError] = field(default_factory=list)


class RiskImport(SheetImport):
    key_column = "region"
    expected_columns = COLUMNS
    aliases = ALIASES

    def __init__(self, actor: Any):
        super().__init__(actor)
        self.changes: list[tuple[Rec, actions.RiskChange]] = []
        self._names: dict[str, list[Region]] | None = None

    def missing_columns(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c, "column missing from the header row") for c in COLUMNS[:3] if c not in values]

    def _by_name(self, name: str) -> list[Region]:
        if self._names is None:
            self._names = {}
            for r in Region.objects.all():
                self._names.setdefault(r.name, []).append(r)
        return self._names.get(name, [])

    def _region(self, rec: Rec) -> Region | None:
        raw = str(rec.values.get("region") or "").strip()
        if not raw:
            self.error(rec, "region", "empty: a region code or name is required")
            return None
        region = Region.objects.filter(code=raw.upper()).first()
        if region is not None:
            return region
        named = self._by_name(raw)
        if len(named) == 1:
            return named[0]
        if named:
            self.error(rec, "region", f"{shown(raw)} names {len(named)} regions: give its code")
        else:
            self.error(rec, "region", f"{shown(raw)} is neither a region code nor a region name")
        return None

    def _level(self, rec: Rec) -> str | None:
        raw = str(rec.values.get("level") or "").strip()
        level = LEVEL_ALIASES.get(raw, raw.lower())
        if level not in Level.values:
            self.error(rec, "level", f"{shown(raw)}: must be low, medium or high (低, 中, 高)")
            return None
        return level

    def _day(self, rec: Rec) -> date | None:
        raw = rec.values.get("effective_from")
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw or "").strip().replace("/", "-"))
        except ValueError:
            self.error(rec, "effective_from", f"{shown(str(raw or ''))}: not a date (YYYY-MM-DD)")
            return None

    def parse(self, rec: Rec) -> None:
        region, level, day = self._region(rec), self._level(rec), self._day(rec)
        if region is not None and level is not None and day is not None:
            note = str(rec.values.get("note") or "").strip()[:200]
            self.changes.append((rec, actions.RiskChange(region, level, day, note)))

    def check(self) -> None:
        seen: dict[tuple[str, date], Rec] = {}
        for rec, c in self.changes:
            key = (c.region.code, c.effective_from)
            if key in seen:
                self.error(
                    rec, "region", f"{c.region.code} for {c.effective_from} is already on row {seen[key].row}"
                )
            seen.setdefault(key, rec)


def import_levels(
    actor: Any, fileobj: IO[bytes], filename: str, *, today: date | None = None
) -> RiskImportResult:
    """Read, check, and save all or nothing."""
    try:
        xlsx.check_upload(fileobj, filename, settings.IMPORT_MAX_BYTES)
    except xlsx.UploadRefused as exc:
        raise ImportRefused(str(exc)) from None
    imp = RiskImport(actor)
    imp.read(xlsx.read_rows(fileobj, filename))
    imp.check()
    result = RiskImportResult(rows=len(imp.records))
    if not imp.errors and not imp.changes:
        raise ImportRefused("the file has no rows under its header")
    if imp.errors:
        result.ok = False
        result.errors = imp.reported_errors()
        return result
    outcome = actions.set_region_levels(actor, [c for _rec, c in imp.changes], source="import", today=today)
    result.saved = len(outcome.rows)
    result.replanned = len(outcome.plans)
    result.rescreened = len(outcome.rescreened)
    return result

"""Uploading a day of check-ins (XLSX or CSV) for a grid or an enterprise, the way many plants collect it.

The same validation as the API: every row becomes a `CheckinData` checked by `actions.validate`,
with the same 24-hour window for `captured_at`, and is stored by `actions.submit_checkin` with source
"import". An upload runs in three steps, like the roster import: read and parse every row on its own;
check all rows against the database with a few bulk queries (people in the unit's subtree, ids
already used, roster placement); then submit every row in one transaction. One bad row and nothing
is saved; every bad row is reported with its sheet, row, column and reason.

A row without an `id` gets a deterministic one (uuid5 of employee number and capture time), so
uploading the same file again replays every row and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation

from fangkong.lib import xlsx
from fangkong.lib.dates import business_day, zone
from fangkong.org.imports.base import ImportRefused, Rec, RowError, SheetImport, batched, other_row, shown
from fangkong.org.models import Membership, Person, Unit

from . import actions
from .day_words import ALIASES, COLUMNS, NO, NO_SYMPTOMS, SYMPTOM_WORDS, WHERE_WORDS, YES
from .models import SYMPTOMS, CheckIn, Source, Where

LIST_SEPARATORS = re.compile(r"[,，、;；]")
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
# Derived ids: the same employee number and capture time always give the same check-in id.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fangkong.invalid/checkins/day-import")
FIELD_COLUMNS = {"person": "employee_no", "body": "employee_no"}


@dataclass
class DayImportResult:
    ok: bool = True
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    late: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class _Rec(Rec):
    employee_no: str = ""
    captured_at: datetime | None = None
    data: actions.CheckinData | None = None
    person: Person | None = None
    replay: bool = False


def run_day_import(
    actor: Any,
    unit: Unit,
    fileobj: IO[bytes],
    filename: str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    max_bytes: int | None = None,
) -> DayImportResult:
    """Check every row of the file, then store all its check-ins or none.

    People outside `unit`'s subtree read as unknown. Raises ImportRefused for a file refused as a
    whole (wrong type, too big, damaged, no sheet with an employee_no column).
    """
    if unit.kind not in (Unit.Kind.ENTERPRISE, Unit.Kind.GRID):
        raise ImportRefused("check-ins are uploaded for an enterprise or a grid")
    upload = DayImport(actor, unit, now or timezone.now())
    try:
        xlsx.check_upload(fileobj, filename, max_bytes or settings.IMPORT_MAX_BYTES)
        upload.read(xlsx.read_rows(fileobj, filename))
    except xlsx.UploadRefused as exc:
        raise ImportRefused(str(exc)) from None
    upload.check()
    return upload.save(dry_run)


class DayImport(SheetImport):
    key_column = "employee_no"
    expected_columns = COLUMNS
    aliases = ALIASES

    def __init__(self, actor: Any, unit: Unit, now: datetime):
        super().__init__(actor)
        self.unit, self.now = unit, now
        self.tz = zone(unit.timezone)
        self._ids: dict[uuid.UUID, _Rec] = {}
        self._symptoms = _symptom_words()
        self._where = _where_words()

    def make_rec(self, sheet: str, row: int, values: dict[str, Any]) -> _Rec:
        return _Rec(sheet, row, values)

    # -- step 1: every row on its own ------------------------------------------------------------

    def missing_columns(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        missing = [] if "temperature" in values else [("temperature", "column missing from the header row")]
        if "captured_at" not in values and not ("date" in values and "time" in values):
            missing.append(
                ("captured_at", "column missing from the header row (or give a 'date' and a 'time' column)")
            )
        return missing

    def parse(self, rec: _Rec) -> None:
        n = len(self.errors)
        rec.employee_no = self._text(rec, "employee_no", required=True)
        temperature = self._temperature(rec)
        symptoms = self._symptom_codes(rec)
        where = self._where_code(rec)
        location = self._text(rec, "location").upper()
        visited = [v.upper() for v in self._list(rec, "visited")]
        contact = self._bool(rec, "contact")
        note = self._text(rec, "note")
        rec.captured_at = self._captured_at(rec)
        checkin_id = self._id(rec)
        if len(self.errors) > n or temperature is None or rec.captured_at is None:
            return
        if checkin_id is None:
            key = f"{rec.employee_no}|{rec.captured_at.astimezone(zone('UTC')).isoformat()}"
            checkin_id = uuid.uuid5(ID_NAMESPACE, key)
        first = self._ids.setdefault(checkin_id, rec)
        if first is not rec:
            column = "id" if rec.values.get("id") else "captured_at"
            self.error(rec, column, f"the same check-in as {other_row(rec, first)} (same person and time)")
            return
        rec.data = actions.CheckinData(
            id=checkin_id,
            temperature=temperature,
            symptoms=symptoms,
            where=where,
            location=location,
            visited=visited,
            contact=contact,
            captured_at=rec.captured_at,
            note=note,
        )

    def _text(self, rec: _Rec, column: str, *, required: bool = False) -> str:
        value = rec.values.get(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(rec, column, "required")
        return text

    def _list(self, rec: _Rec, column: str) -> list[str]:
        parts = (p.strip() for p in LIST_SEPARATORS.split(self._text(rec, column)))
        out: list[str] = []
        for p in parts:
            if p and p not in out:
                out.append(p)
        return out

    def _temperature(self, rec: _Rec) -> Decimal | None:
        value = rec.values.get("temperature")
        if value is None:
            self.error(rec, "temperature", "required")
            return None
        if isinstance(value, bool):
            value = ""
        text = str(value).strip().replace("℃", "").replace("°C", "").replace("°", "").strip()
        if isinstance(value, float):
            text = repr(value)  # 36.6, not 36.600000000000001
        try:
            return Decimal(text)
        except InvalidOperation:
            self.error(rec, "temperature", f"{shown(text)} is not a number (°C, e.g. 36.6)")
            return None

    def _symptom_codes(self, rec: _Rec) -> list[str]:
        words = self._list(rec, "symptoms")
        if len(words) == 1 and words[0].lower() in NO_SYMPTOMS:
            return []
        codes: list[str] = []
        unknown: list[str] = []
        for word in words:
            code = self._symptoms.get(word.lower())
            if code is None:
                unknown.append(word)
            elif code not in codes:
                codes.append(code)
        if unknown:
            self.error(
                rec,
                "symptoms",
                f"unknown symptom {', '.join(shown(u) for u in unknown[:5])}; "
                f"use codes ({', '.join(SYMPTOMS)}) or their Chinese names, separated by 、 or ,",
            )
        return codes

    def _where_code(self, rec: _Rec) -> str:
        text = self._text(rec, "where")
        if not text:
            return Where.ON_SITE
        code = self._where.get(text.lower())
        if code is None:
            self.error(
                rec,
                "where",
                f"unknown {shown(text)}: one of {', '.join(Where.values)} or 在岗, 居家办公, 请假, 隔离",
            )
            return Where.ON_SITE
        return code

    def _bool(self, rec: _Rec, column: str) -> bool:
        value = rec.values.get(column)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = self._text(rec, column).lower()
        if text in YES:
            return True
        if text not in NO:
            self.error(rec, column, f"{shown(text)}: write 是 or 否 (yes / no, 1 / 0)")
        return False

    def _captured_at(self, rec: _Rec) -> datetime | None:
        value = rec.values.get("captured_at")
        if value is not None:
            moment = self._datetime(value)
            if moment is None:
                self.error(
                    rec,
                    "captured_at",
                    f"{shown(str(value))} is not a date and time: "
                    "write YYYY-MM-DD HH:MM or use a date-time cell",
                )
            return moment
        day, at = rec.values.get("date"), rec.values.get("time")
        if day is None and at is None:
            self.error(rec, "captured_at", "required (or a date and a time)")
            return None
        parsed_day = self._day(rec, day)
        parsed_time = self._time(rec, at)
        if parsed_day is None or parsed_time is None:
            return None
        return datetime.combine(parsed_day, parsed_time, tzinfo=self.tz)

    def _datetime(self, value: Any) -> datetime | None:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            return None  # a date alone does not say when
        else:
            parsed = _parse_datetime(str(value))
            if parsed is None:
                return None
            moment = parsed
        if moment.tzinfo is None:  # wall-clock time where the unit is
            moment = moment.replace(tzinfo=self.tz)
        return moment

    def _day(self, rec: _Rec, value: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = "" if value is None else str(value).strip()
        parsed = _parse_date(text)
        if parsed is None:
            self.error(rec, "date", f"{shown(text)} is not a date: write YYYY-MM-DD or use a date cell")
        return parsed

    def _time(self, rec: _Rec, value: Any) -> time | None:
        if isinstance(value, datetime):
            return value.time()
        if isinstance(value, time):
            return value
        if isinstance(value, float) and 0 <= value < 1:  # Excel's fraction of a day
            return (datetime.min + timedelta(seconds=round(value * 86400))).time()
        text = "" if value is None else str(value).strip()
        parsed = _parse_time(text)
        if parsed is None:
            self.error(rec, "time", f"{shown(text)} is not a time: write HH:MM or use a time cell")
        return parsed

    def _id(self, rec: _Rec) -> uuid.UUID | None:
        text = self._text(rec, "id")
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            self.error(rec, "id", f"{shown(text)} is not a UUID (leave it empty to derive one)")
            return None

    # -- step 2: against the database, in bulk ---------------------------------------------------

    def check(self) -> None:
        recs = [r for r in self.records if r.data is not None]
        people: dict[str, Person] = {}
        for nos in batched({r.employee_no for r in recs}):
            found = (
                Person.objects.filter(employee_no__in=nos, unit__path__startswith=self.unit.path)
                .select_related("enterprise", "unit")
                .order_by()
            )
            people.update((p.employee_no, p) for p in found)
        existing: dict[uuid.UUID, tuple[str, str]] = {}
        for ids in batched({r.data.id for r in recs if r.data is not None}):
            rows = CheckIn.objects.filter(pk__in=ids).values_list("pk", "digest", "person__employee_no")
            existing.update((pk, (digest, no)) for pk, digest, no in rows)
        placements: dict[int, list[tuple[date, date | None]]] = {}
        for pks in batched({p.pk for p in people.values()}):
            for person_id, start, end in Membership.objects.filter(person_id__in=pks).values_list(
                "person_id", "start", "end"
            ):
                placements.setdefault(person_id, []).append((start, end))
        for rec in recs:
            self._check_row(rec, people, existing, placements)

    def _check_row(
        self,
        rec: _Rec,
        people: dict[str, Person],
        existing: dict[uuid.UUID, tuple[str, str]],
        placements: dict[int, list[tuple[date, date | None]]],
    ) -> None:
        data = rec.data
        assert data is not None and rec.captured_at is not None
        person = people.get(rec.employee_no)
        if person is None:
            self.error(
                rec, "employee_no", f"unknown employee number {shown(rec.employee_no)} in {self.unit.code}"
            )
            return
        rec.person = person
        stored = existing.get(data.id)
        if stored is not None:
            if stored == (data.digest(person.employee_no), person.employee_no):
                rec.replay = True  # uploaded before: changes nothing, whatever its age
                return
            if rec.values.get("id"):
                self.error(rec, "id", "this id was already used for a different check-in")
            else:
                self.error(
                    rec,
                    "captured_at",
                    "a check-in of this person at this time was already uploaded with other values; "
                    "to correct it, give the correction its own time",
                )
            return
        try:
            actions.validate(data)
        except actions.ActionError as exc:
            column = FIELD_COLUMNS.get(exc.field, exc.field or "employee_no")
            self.error(rec, column, str(exc))
            return
        self._check_time(rec, person, placements.get(person.pk, []))

    def _check_time(self, rec: _Rec, person: Person, spans: list[tuple[date, date | None]]) -> None:
        captured = rec.captured_at
        assert captured is not None
        local = captured.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        received = self.now.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        if captured > self.now + actions.MAX_AHEAD:
            self.error(rec, "captured_at", f"{local} is in the future (the upload was received {received})")
            return
        if captured < self.now - actions.MAX_AGE:
            self.error(
                rec,
                "captured_at",
                f"{local} is more than 24 hours before this upload ({received}): check-ins are "
                "accepted up to 24 hours after they were taken, by upload as by the API; "
                "enter them as corrections instead",
            )
            return
        day = business_day(person.enterprise.timezone, captured)
        if not any(start <= day and (end is None or end > day) for start, end in spans):
            self.error(rec, "employee_no", f"{person.employee_no} is not on the roster on {day.isoformat()}")

    # -- step 3: all or nothing --------------------------------------------------------------------

    def save(self, dry_run: bool) -> DayImportResult:
        result = DayImportResult(dry_run=dry_run, rows=len(self.records))
        self.commit(
            lambda: self._write(result),
            dry_run=dry_run,
            conflict="the data changed while uploading (another upload at the same time?): "
            "nothing was saved, try again",
        )
        if self.errors:
            result.ok, result.created, result.late, result.unchanged = False, 0, 0, 0
            result.errors = self.reported_errors()
        return result

    def _write(self, result: DayImportResult) -> None:
        # In capture order, so that of two check-ins of one person that day the later one is current.
        recs = sorted(self.records, key=lambda r: (r.captured_at, self._sheet_order[r.sheet], r.row))
        for rec in recs:
            assert rec.person is not None and rec.data is not None
            try:
                checkin, created = actions.submit_checkin(
                    self.actor, rec.person, rec.data, source=Source.IMPORT, now=self.now
                )
            except actions.CheckinConflict as exc:
                self.error(rec, "id", str(exc))
                continue
            except actions.ActionError as exc:
                self.error(rec, FIELD_COLUMNS.get(exc.field, exc.field or "employee_no"), str(exc))
                continue
            if created:
                result.created += 1
                result.late += checkin.late
            else:
                result.unchanged += 1


def _parse_date(text: str) -> date | None:
    m = _DAY.match(text.strip())
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    m = _TIME.match(text.strip())
    try:
        return time(int(m[1]), int(m[2]), int(m[3] or 0)) if m else None
    except ValueError:
        return None


def _parse_datetime(text: str) -> datetime | None:
    """'2026-03-02 08:05', '2026/3/2 8:05', or ISO 8601 with an offset; a date alone is not enough."""
    text = text.strip()
    parts = text.split(maxsplit=1)
    if len(parts) == 2:
        day, at = _parse_date(parts[0]), _parse_time(parts[1])
        if day is not None and at is not None:
            return datetime.combine(day, at)
    if "T" not in text and ":" not in text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _labels(choices: dict[str, Any]) -> dict[str, str]:
    """Each code, and its label in English and in Chinese, lower-cased -> the code."""
    out = {code.lower(): code for code in choices}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            out.update((str(label).lower(), code) for code, label in choices.items())
    return out


def _symptom_words() -> dict[str, str]:
    return {**_labels(SYMPTOMS), **SYMPTOM_WORDS}


def _where_words() -> dict[str, str]:
    return {**_labels(dict(Where.choices)), **{k: str(v) for k, v in WHERE_WORDS.items()}}


__all__ = ["DayImportResult", "ImportRefused", "run_day_import"]

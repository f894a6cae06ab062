"""What every spreadsheet import shares: sheets and headers, per-row errors, the all-or-nothing save.

Used by the org imports (units, roster) and by the check-in day upload (checkins/day_import.py).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from fangkong.lib import xlsx
from fangkong.lib.identity import mask_id_number

MAX_ERRORS = 10_000
BATCH = 900  # values per IN (...) query: below SQLite's oldest variable limit
_LONG_DIGITS = re.compile(r"\d{11,}")

# progress(stage, done, total): stage "read" (total unknown) while checking, then "save".
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


@dataclass(slots=True)
class Rec:
    """One data row: its sheet, its row number as the spreadsheet shows it, its cells by column."""

    sheet: str
    row: int
    values: dict[str, Any]


class Rollback(Exception):
    """Raised inside the save transaction to undo it (a dry run, or errors found while writing)."""


def shown(value: str, limit: int = 40) -> str:
    """A cell value fit to quote in a message: long digit runs (ID or mobile numbers) masked, cut short."""
    text = _LONG_DIGITS.sub(lambda m: mask_id_number(m.group()), str(value))
    return repr(text if len(text) <= limit else text[:limit] + "…")


def other_row(rec: Rec, other: Rec) -> str:
    """How a message names another row: "row 12" on the same sheet, "Sheet2!12" on another."""
    return f"row {other.row}" if other.sheet == rec.sheet else f"{other.sheet}!{other.row}"


def batched(values: Iterable[Any]) -> Iterator[list[Any]]:
    """Sorted values in chunks small enough for one IN (...) on every database."""
    ordered = sorted(values)
    for i in range(0, len(ordered), BATCH):
        yield ordered[i : i + BATCH]


class SheetImport(ABC):
    """Rows are read and checked one by one, then checked together, then saved all or nothing."""

    key_column = ""  # a sheet without this column is not data (instructions, notes): skipped
    expected_columns: tuple[str, ...] = ()
    aliases: dict[str, str] = {}  # header as written (e.g. Chinese) -> column

    def __init__(self, actor: Any):
        self.actor = actor
        self.records: list[Any] = []
        self.errors: list[RowError] = []
        self._sheets: dict[str, bool] = {}  # sheet -> has the required columns
        self._sheet_order: dict[str, int] = {}

    def error(self, rec: Rec | None, column: str, reason: str, *, sheet: str = "", row: int = 1) -> None:
        if rec is not None:
            sheet, row = rec.sheet, rec.row
        self.errors.append(RowError(sheet, row, column, reason))

    def make_rec(self, sheet: str, row: int, values: dict[str, Any]) -> Rec:
        return Rec(sheet, row, values)

    @abstractmethod
    def missing_columns(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """(column, reason) for each required column the header lacks."""

    @abstractmethod
    def parse(self, rec: Any) -> None:
        """Check one row on its own, recording its errors."""

    @abstractmethod
    def check(self) -> None:
        """Check the rows together and against the database."""

    def read(self, rows: Iterator[xlsx.Row], report: Progress | None = None) -> None:
        done = 0
        for sheet, number, raw in rows:
            values = {self.aliases.get(k, k): v for k, v in raw.items()}
            if sheet not in self._sheets:
                self._sheets[sheet] = self._check_header(sheet, values)
            if not self._sheets[sheet]:
                continue
            rec = self.make_rec(sheet, number, values)
            self.records.append(rec)
            self.parse(rec)
            done += 1
            if report is not None:
                report("read", done, None)
        if not any(self._sheets.values()) and not self.errors:
            raise ImportRefused(
                f"no sheet has a {self.key_column!r} column with rows under it; "
                f"expected columns: {', '.join(self.expected_columns)}"
            )

    def _check_header(self, sheet: str, values: dict[str, Any]) -> bool:
        self._sheet_order[sheet] = len(self._sheet_order)
        if self.key_column not in values:
            return False
        missing = self.missing_columns(values)
        for column, reason in missing:
            self.error(None, column, reason, sheet=sheet)
        return not missing

    def commit(self, write: Callable[[], None], *, dry_run: bool, conflict: str) -> None:
        """Run `write` in one transaction unless rows are bad; undo it on a dry run or new errors."""
        if self.errors:
            return
        try:
            with transaction.atomic():
                write()
                if self.errors or dry_run:
                    raise Rollback
        except Rollback:
            pass
        except IntegrityError:
            raise ImportRefused(conflict) from None

    def reported_errors(self) -> list[RowError]:
        """The errors in sheet and row order, at most MAX_ERRORS and a line saying how many more."""
        order = self._sheet_order
        self.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row))
        errors = self.errors[:MAX_ERRORS]
        if len(self.errors) > MAX_ERRORS:
            last = self.errors[MAX_ERRORS]
            more = len(self.errors) - MAX_ERRORS
            errors.append(RowError(last.sheet, last.row, "", f"… and {more} more not listed"))
        return errors

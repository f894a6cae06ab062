"""Importing units and the roster from XLSX or CSV: every row is checked, then all is saved or nothing.

An import runs in three steps: read and check each row on its own (formats, duplicates inside the
file); check the rows against the database with a few bulk queries (unknown units, ID numbers of
other people, scope); then write through the org actions in one transaction. One bad row and nothing
is written, and every bad row is reported with its sheet, row, column and reason. Rows are matched by
unit code or employee number, so importing the same file again changes nothing.

Messages never echo a full ID number or mobile (see fangkong.lib.identity masking).
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings

from fangkong.lib import xlsx
from fangkong.org.models import Unit

from .base import BATCH, MAX_ERRORS, ImportRefused, Progress, RowError, shown
from .common import ImportResult
from .roster import RosterImport
from .units import UnitsImport

KINDS = ("units", "roster")

__all__ = ["BATCH", "KINDS", "MAX_ERRORS", "ImportRefused", "ImportResult", "RowError", "run_import", "shown"]


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

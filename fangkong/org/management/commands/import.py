"""`fangkong import units|roster FILE`: the same import as the web page, from the command line."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from fangkong.org import imports
from fangkong.org.models import Unit

PROGRESS_EVERY = 500


class Progress:
    """A one-line progress report on stderr, rewritten in place every PROGRESS_EVERY rows."""

    def __init__(self, stream: OutputWrapper, every: int = PROGRESS_EVERY):
        self.stream, self.every = stream, every
        self.stage, self.done = "", 0
        self.total: int | None = None
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            self.end()
            self.stage = stage
        self.done, self.total = done, total
        if done % self.every == 0 or done == total:
            self._show()

    def _show(self) -> None:
        label = {"read": "checking", "save": "saving"}.get(self.stage, self.stage)
        count = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
        share = f" {100 * self.done // self.total:3d}%" if self.total else ""
        self._write(f"\r{label}{share} {count} rows ({time.monotonic() - self.started:.1f} s)")

    def end(self) -> None:
        """Show the last count of the current stage and move to a new line."""
        if self.stage:
            self._show()
            self._write("\n")
            self.stage = ""

    def _write(self, text: str) -> None:
        self.stream.write(text, style_func=str, ending="")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import units or the roster from an .xlsx or .csv file; nothing is saved if a row is bad."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=imports.KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--within", metavar="CODE", help="limit the import to this unit's subtree")
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument("--actor", default="cli", help="name written to the audit log (default: cli)")

    def handle(self, *args, kind: str, file: Path, within: str | None, dry_run: bool, actor: str, **opts):
        unit = None
        if within:
            unit = Unit.objects.filter(code=within).first()
            if unit is None:
                raise CommandError(f"--within: no unit with code {within!r}")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        progress = Progress(self.stderr)
        try:
            with file.open("rb") as f:
                result = imports.run_import(
                    actor, kind, f, file.name, within=unit, dry_run=dry_run, progress=progress
                )
        except imports.ImportRefused as exc:
            raise CommandError(f"{file.name}: {exc}") from None
        finally:
            progress.end()
        for error in result.errors:
            self.stdout.write(str(error))
        if not result.ok:
            raise CommandError(f"{len(result.errors)} error(s) in {file.name}: nothing was saved")
        note = " (dry run: nothing saved)" if dry_run else ""
        self.stdout.write(
            f"{result.rows} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged{note}"
        )

"""`fangkong checkins import FILE --unit CODE` and `fangkong checkins scan-missing [--date D] [--days N]`."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fangkong.checkins import day_import, scan
from fangkong.lib.dates import parse_day
from fangkong.org.models import Unit


class Command(BaseCommand):
    help = (
        "Check-in jobs: `checkins import FILE --unit CODE` uploads a day of check-ins (all rows or "
        "none); `checkins scan-missing` opens a ledger item for each person missing N days in a row."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        upload = sub.add_parser("import", help="import check-ins from an .xlsx or .csv file")
        upload.add_argument("file", type=Path)
        upload.add_argument(
            "--unit", required=True, metavar="CODE", help="the grid or enterprise of the file"
        )
        upload.add_argument(
            "--actor",
            default="cli",
            metavar="NAME",
            help="user name (or any name) written as the submitter in the audit log (default: cli)",
        )
        upload.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        missing = sub.add_parser("scan-missing", help="open an item for each person missing N days in a row")
        missing.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help="the last day to look at (default: each enterprise's yesterday in its own time zone)",
        )
        missing.add_argument(
            "--days",
            type=int,
            metavar="N",
            help="consecutive days (default: the MISSING_DAYS_ALERT setting, 2)",
        )

    def handle(self, *args, verb: str, **opts):
        if verb == "import":
            self._import(**opts)
        else:
            self._scan(**opts)

    def _import(self, *, file: Path, unit: str, actor: str, dry_run: bool, **_):
        target = Unit.objects.filter(code=unit).first()
        if target is None:
            raise CommandError(f"--unit: no unit with code {unit!r}")
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        who = get_user_model().objects.filter(username=actor, is_active=True).first() or actor
        try:
            with file.open("rb") as f:
                result = day_import.run_day_import(who, target, f, file.name, dry_run=dry_run)
        except day_import.ImportRefused as exc:
            raise CommandError(f"{file.name}: {exc}") from None
        for error in result.errors:
            self.stdout.write(str(error))
        if not result.ok:
            raise CommandError(f"{len(result.errors)} error(s) in {file.name}: nothing was saved")
        note = " (dry run: nothing saved)" if dry_run else ""
        self.stdout.write(
            f"{result.rows} rows: {result.created} check-ins created ({result.late} late), "
            f"{result.unchanged} unchanged{note}"
        )

    def _scan(self, *, date: str | None, days: int | None, **_):
        try:
            day = parse_day(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        if days is not None and days < 1:
            raise CommandError("--days: at least 1")
        result = scan.open_missing_items(day, days)
        self.stdout.write(
            f"{result.enterprises} enterprises, {result.days} day(s): "
            f"{result.missing} people missing every day; "
            f"{result.opened} items opened, {result.already_open} already open"
        )

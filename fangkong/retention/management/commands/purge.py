"""`fangkong purge [--dry-run] [--today YYYY-MM-DD]`: delete or anonymise expired personal data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.lib.dates import parse_day
from fangkong.retention.purge import run


class Command(BaseCommand):
    help = (
        "Delete or anonymise personal data past its retention period (docs/privacy.md, Retention); "
        "prints the rows per class. Runs daily from the scheduler; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="count the periods back from this day everywhere (default: each enterprise's today)",
        )

    def handle(self, *args, dry_run: bool, today: str | None, **opts):
        try:
            day = parse_day(today) if today else None
        except ValueError as e:
            raise CommandError(f"--today: {e}") from None
        counts = run(today=day, dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n}")
        self.stdout.write(f"{verb} {sum(counts.values())} rows in total")

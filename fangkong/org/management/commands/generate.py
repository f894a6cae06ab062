"""`fangkong generate`: the synthetic group at any scale, into the configured database."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fangkong.org.generate import DEFAULT_SEED, HISTORY_GENERATORS, GenerateError, generate_group


class Command(BaseCommand):
    help = (
        "Generate the synthetic group (1 group, 10 segments, 548 enterprises, grids, N employees) and D "
        "days of history for every module that registers one; deterministic for a seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, required=True, help="number of employees")
        parser.add_argument(
            "--days",
            type=int,
            required=True,
            help="days of history for modules that have history (org has none)",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the existing org data (not the audit log) before generating",
        )
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")

    def handle(self, *args, employees: int, days: int, seed: int, reset: bool, no_migrate: bool, **opts):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        db = connection.settings_dict
        self.stdout.write(
            f"fangkong generate: {employees:,} employees, {days} days, seed {seed} into "
            f"{connection.vendor} {db['NAME']} ({len(HISTORY_GENERATORS)} history generators)"
        )
        try:
            result = generate_group(
                employees=employees, days=days, seed=seed, reset=reset, write=self.stdout.write
            )
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        for table, n in result.counts.items():
            self.stdout.write(f"  {table:<24} {n:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"generated {result.rows:,} rows in {result.seconds:.1f} s "
                f"({result.rows / max(result.seconds, 1e-9):,.0f} rows/s)"
            )
        )

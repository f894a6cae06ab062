"""`fangkong demo`: the demo group in the default database, its sign-in accounts, and the server."""

from __future__ import annotations

import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fangkong.org.demo_accounts import DemoAccount, create_demo_accounts, is_demo_group
from fangkong.org.generate import DEFAULT_SEED, GenerateError, generate_group
from fangkong.org.models import Unit

DEMO_DAYS = 30


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def account_table(accounts: list[DemoAccount]) -> str:
    header = ("username", "password", "role", "unit", "unit name")
    rows = [header, *[(a.username, a.password, a.role, a.unit_code, a.unit_name) for a in accounts]]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the demo group into the default database (reused if present), print the accounts, serve."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=20_000, help="default 20 000")
        parser.add_argument("--no-serve", action="store_true", help="load and print, do not serve")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, employees: int, no_serve: bool, port: int, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        where = f"{connection.vendor} {connection.settings_dict['NAME']}"
        if is_demo_group():
            self.stdout.write(f"Reusing the demo group already in {where}.")
        elif Unit.objects.exists():
            raise CommandError(
                f"{where} holds an org tree that is not the demo group; point "
                "FANGKONG_VAR_DIR or DATABASE_URL at another database for the demo."
            )
        else:
            self.stdout.write(
                f"Loading the demo group ({employees:,} employees, {DEMO_DAYS} days) into {where} …"
            )
            try:
                result = generate_group(
                    employees=employees, days=DEMO_DAYS, seed=DEFAULT_SEED, write=lambda line: None
                )
            except GenerateError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"  {result.rows:,} rows in {result.seconds:.1f} s")
        accounts = create_demo_accounts()
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"fangkong demo: sign in at {url} with any of these accounts"))
        self.stdout.write(account_table(accounts))
        self.stdout.write("")
        self.stdout.flush()
        if not no_serve:
            call_command("serve", host="127.0.0.1", port=port)

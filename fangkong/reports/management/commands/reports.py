"""`fangkong reports overdue` opens ledger items for reports past their deadline;
`fangkong reports defaults` loads the shipped report types (idempotent)."""

from django.core.management.base import BaseCommand, CommandParser

from fangkong.reports.actions import open_overdue
from fangkong.reports.defaults import load_defaults


class Command(BaseCommand):
    help = (
        "Unit reports: 'overdue' opens ledger items for missing reports past their deadline; "
        "'defaults' loads the shipped types."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["overdue", "defaults"])

    def handle(self, *args, what: str, **options) -> None:
        if what == "defaults":
            self.stdout.write(f"report types created: {load_defaults()}")
        else:
            self.stdout.write(f"ledger items opened: {open_overdue()}")

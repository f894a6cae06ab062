"""`fangkong ledger overdue [--unit CODE]`: the overdue open items, one a line, for cron and ops.

Prints no health detail (symptoms, temperatures, follow-ups) and no ID number or mobile: what a
grid leader may see (state, owner, due time, title, unit). Exits 0 whether or not any are overdue.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.ledger import queries
from fangkong.ledger.models import Item
from fangkong.lib.dates import zone
from fangkong.org.models import Unit


class Command(BaseCommand):
    help = "Ledger tools: `ledger overdue [--unit CODE]` lists overdue open items (no health detail)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        overdue = sub.add_parser("overdue", help="list overdue open items, oldest due first")
        overdue.add_argument("--unit", default="", help="only items in this unit's subtree (its code)")

    def handle(self, *args, verb: str, **opts):
        getattr(self, f"_{verb}")(**opts)

    def _overdue(self, *, unit: str, **_):
        items = Item.objects.all()
        if unit:
            found = Unit.objects.filter(code=unit).first()
            if found is None:
                raise CommandError(f"no unit with code {unit!r}")
            items = items.filter(unit__path__startswith=found.path)
        rows = (
            queries.overdue(items)
            .order_by("due_at", "pk")
            .values_list(
                "due_at",
                "uid",
                "kind",
                "state",
                "unit__code",
                "enterprise__timezone",
                "owner__username",
                "escalation_level",
                "title",
            )
        )
        count = 0
        for due, uid, kind, state, code, tz_name, owner, level, title in rows.iterator(chunk_size=2000):
            local = due.astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M %Z")
            self.stdout.write(
                "\t".join([local, str(uid), kind, state, code, owner or "-", f"L{level}", title])
            )
            count += 1
        self.stderr.write(f"{count} overdue item(s){f' in {unit}' if unit else ''}")

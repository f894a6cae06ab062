"""`fangkong controls overdue`: the daily job of the controls module.

It brings every plan in line with the level and policy in force today (an override that lapsed, a
level dated to begin today), then opens a ledger item for each measure unattested past its time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from fangkong.controls import actions
from fangkong.org.models import Unit


class Command(BaseCommand):
    help = "Controls jobs: `overdue` re-plans where levels changed by date and opens overdue items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["overdue"])

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        ents = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True))
        changes = actions.sync_plans("system", ents, now=now)
        opened = actions.open_overdue(now)
        self.stdout.write(
            f"{len(changes)} new plan versions, {opened} overdue measures opened as ledger items"
        )

"""`fangkong tick [--now ISO] [--job NAME]`: run once what is due (for cron, e.g. every minute).

Runs the due daily jobs (reminders, registered jobs, the daily missing-days scan), escalates
overdue ledger items one rung where due, and retries deliveries whose back-off has passed. Safe to
run while `fangkong worker` runs, and twice at once: each run and each rung is claimed once.
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.ledger import queries
from fangkong.ledger.models import Item
from fangkong.notify.ticker import tick


class Command(BaseCommand):
    help = "Run what is due once: daily reminders and jobs, ledger escalation, delivery retries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", default="", help="pretend it is this ISO time (with offset), e.g. for replays"
        )
        parser.add_argument("--job", action="append", default=None, help="only this daily job (repeatable)")

    def handle(self, *args, now: str, job: list[str] | None, **opts):
        at = timezone.now()
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: not an ISO time: {now!r}") from None
            if timezone.is_naive(at):
                raise CommandError("--now: give an offset, e.g. 2026-11-25T08:30:00+08:00")
        result = tick(at, job)
        for key in result.runs:
            self.stdout.write(f"ran {key}")
        esc = result.escalation
        overdue = queries.overdue(Item.objects.all()).count()
        self.stdout.write(
            f"{len(result.runs)} run(s), {result.messages} message(s); {overdue} overdue ledger item(s): "
            f"{esc.owners_told} owner(s) told, {esc.steps} escalation step(s); "
            f"deliveries {result.deliveries or '-'}"
        )

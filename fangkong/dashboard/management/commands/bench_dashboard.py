"""`fangkong bench_dashboard`: time the dashboard's reads on the configured database.

Each figure is reported with its ratio to a ceiling measured in the same run: one COUNT(*) over the
day's current check-ins, i.e. the cheapest possible scan of the check-ins that the dashboard must
never do. A ratio well below 1 shows the board reads counters, not check-ins, whatever the machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from fangkong.checkins.models import CheckIn
from fangkong.dashboard import bulletin, queries
from fangkong.lib.dates import business_day
from fangkong.org.models import Person, Unit


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


class Command(BaseCommand):
    help = "Time the dashboard (board, bulletin, trends, tiles) against a scan of the day's check-ins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--unit", default="", help="unit code (default: the group)")
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args: Any, **opts: Any) -> None:
        unit = (
            Unit.objects.filter(code=opts["unit"]).first()
            if opts["unit"]
            else Unit.objects.filter(parent__isnull=True).first()
        )
        if unit is None:
            raise CommandError("no such unit (generate a group first: fangkong generate)")
        n = max(1, opts["repeat"])
        day = business_day(unit.timezone)
        queries.board(unit, day)  # opens the day's counters once, as the first reader of a day does
        ceiling = _median_ms(lambda: CheckIn.objects.filter(day=day, current=True).count(), n)
        board = queries.board(unit, day)

        def cold_trends() -> None:
            cache.clear()
            queries.trends(unit, day, 30)

        rows = [
            ("board (figures, children, what blocks)", _median_ms(lambda: queries.board(unit, day), n)),
            ("bulletin PDF", _median_ms(lambda: bulletin.pdf(board), n)),
            ("bulletin XLSX", _median_ms(lambda: bulletin.xlsx(board), n)),
            ("trends, 30 days, cold cache", _median_ms(cold_trends, 1)),
            ("trends, 30 days, warm cache", _median_ms(lambda: queries.trends(unit, day, 30), n)),
            ("tiles (enterprises by province)", _median_ms(lambda: queries.tiles(unit, day), n)),
        ]
        people = Person.objects.filter(unit__path__startswith=unit.path).count()
        units = unit.subtree().count()
        self.stdout.write(f"dashboard of {unit.code} on {day}: {people:,} people, {units:,} units")
        self.stdout.write(f"{'ceiling: COUNT(*) of the day’s check-ins':44s} {ceiling:9.0f} ms   1.00")
        for label, ms in rows:
            self.stdout.write(f"{label:44s} {ms:9.0f} ms  {ms / ceiling:5.2f}")

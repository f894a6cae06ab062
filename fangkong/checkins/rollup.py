"""Daily person state and roll-ups: expected, checked in, exempt, missing, abnormal per unit and day.

Checked-in and card counts come from the per-unit day counters (`UnitDay`); who is expected comes
from the effective-dated roster; exemptions only count for people who did not check in (someone who
reports while exempt counts as reported). missing = expected - checked_in - exempt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import TypeVar, overload

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet

from fangkong.ledger.models import OPEN_STATES, Item
from fangkong.org.models import Person, Unit
from fangkong.org.rawsql import array_text, table
from fangkong.org.roster import placements_on

from .models import CheckIn, Exemption, OpenDay, UnitDay

M = TypeVar("M", bound=Model)

FIGURES = ("expected", "checked_in", "missing", "exempt", "abnormal", "red", "yellow", "open_items")


@dataclass
class Figures:
    expected: int = 0
    checked_in: int = 0
    missing: int = 0
    exempt: int = 0
    abnormal: int = 0
    red: int = 0
    yellow: int = 0
    open_items: int = 0

    def add(self, other: Figures) -> None:
        for f in FIGURES:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def exempt_people(day: date) -> QuerySet[Exemption]:
    return Exemption.objects.filter(start__lte=day, end__gte=day, cancelled_at__isnull=True)


def reported_people(day: date) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(day=day, current=True, counted=True)


def open_day(day: date) -> None:
    """Make the UnitDay row of every unit with people that day, counting who is expected.

    Once per day (the first roll-up of it, or a job at midnight): one grouped pass over the
    memberships covering the day. After that, roll-ups read only the counters, and roster changes
    keep them true (checkins.receivers.move_expected).
    """
    if OpenDay.objects.filter(day=day).exists():
        return
    with transaction.atomic():
        counts = placements_on(Unit.objects.all(), day).values("unit_id").annotate(n=Count("id"))
        UnitDay.objects.bulk_create(
            [UnitDay(unit_id=r["unit_id"], day=day, expected=r["n"]) for r in counts.iterator()],
            batch_size=5000,
            ignore_conflicts=True,
        )
        recount_exempt_day(day)
        OpenDay.objects.bulk_create([OpenDay(day=day)], ignore_conflicts=True)


def _unreported_exempt(day: date) -> QuerySet[Exemption]:
    """The exemptions covering `day` of people without a counted check-in that day."""
    not_reported = ~Exists(reported_people(day).filter(person_id=OuterRef("person_id")))
    return exempt_people(day).filter(not_reported)


def recount_exempt(pairs: Iterable[tuple[int, date]]) -> None:
    """Recount UnitDay.exempt for these (unit, day) pairs (a few: one event's worth)."""
    for unit_id, day in sorted(set(pairs)):
        n = (
            placements_on(Unit.objects.filter(pk=unit_id), day)
            .filter(person_id__in=_unreported_exempt(day).values("person_id"))
            .values("person_id")
            .distinct()
            .count()
        )
        UnitDay.objects.filter(unit_id=unit_id, day=day).update(exempt=n)


def recount_exempt_day(day: date) -> None:
    """Recount UnitDay.exempt of every unit for one day (opening the day, generated history)."""
    counts = (
        placements_on(Unit.objects.all(), day)
        .filter(person_id__in=_unreported_exempt(day).values("person_id"))
        .values("unit_id")
        .annotate(n=Count("person_id", distinct=True))
    )
    rows = [(r["unit_id"], day, r["n"]) for r in counts]
    UnitDay.objects.filter(day=day).exclude(exempt=0).update(exempt=0)
    update_unit_days(("n",), rows, "exempt = v.n")


def update_unit_days(columns: tuple[str, ...], rows: list[tuple], assign: str) -> None:
    """Update many UnitDay rows in one statement: `rows` are (unit_id, day, *columns) of whole
    numbers and `assign` says what to set from them (`v.<column>`; `u.` is the row), e.g.
    "exempt = v.n". On PostgreSQL one array parameter per column (unnest): the statement is the
    same whatever the number of rows, where VALUES lists of a batch's thousand unit-days cost
    psycopg ~5 µs of Python per placeholder to parse; elsewhere VALUES, 1 000 rows a statement."""
    table = connection.ops.quote_name(UnitDay._meta.db_table)
    names = ", ".join(("unit_id", "day", *columns))
    update = f"UPDATE {table} AS u SET {assign} FROM v WHERE u.unit_id = v.unit_id AND u.day = v.day"  # noqa: S608
    if connection.vendor == "postgresql":
        if not rows:
            return
        arrays = ", ".join(["%s::bigint[]", "%s::date[]", *["%s::integer[]"] * len(columns)])
        values = [array_text(column) for column in zip(*rows, strict=True)]
        # The days again, as a condition on the table: PostgreSQL then reads only those days' rows
        # through the (day, unit) index. Joined by the arrays alone, a batch's thousand unit-days
        # were matched against every stored day's rows by a scan of the whole table, a cost that
        # grew with the history kept (docs/performance-history.md, session 12).
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v({names}) AS (SELECT * FROM unnest({arrays})) {update} "  # noqa: S608 - names from code
                "AND u.day = ANY(%s::date[])",
                [*values, array_text(sorted({row[1] for row in rows}))],
            )
        return
    marks = "(" + ", ".join(["%s"] * (2 + len(columns))) + ")"
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v({names}) AS (VALUES {', '.join([marks] * len(chunk))}) {update}",  # noqa: S608
                [x for row in chunk for x in row],
            )


def recount_exempt_person(
    person_id: int, units: Iterable[int], first: date, last: date | None = None
) -> None:
    """After a change to one person's exemptions or placement: recount the given units on the
    counted days from `first` (to `last`) — only if the person has an exemption there at all."""
    spans = Exemption.objects.filter(person_id=person_id, end__gte=first)
    if last is not None:
        spans = spans.filter(start__lte=last)
    if not spans.exists():
        return
    days = UnitDay.objects.filter(unit_id__in=list(units), day__gte=first)
    if last is not None:
        days = days.filter(day__lte=last)
    recount_exempt(days.values_list("unit_id", "day"))


# The open states written into the statement, not bound: only then does PostgreSQL use the partial
# index of open items (ledger_open_unit_idx) in the statement's generic plan.
_OPEN = "IN (" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")"


@cache
def _figures_sql(whole: bool) -> str:
    """Per child of a unit (the child's path, or the unit's own for its own rows), in one statement:
    the day's counters and the open ledger items over the unit's subtree, each unit keyed once.

    A root's subtree (`whole`) is read without a test on the path: every unit of the tree is in it,
    and units of another tree, if any, give keys outside the root's path, which `rollup` leaves out.
    A test on the path is estimated by the prepared statement's generic plan at 0.5 % of the units,
    which had PostgreSQL probe the day's counters once for each of the group's 7 000 units instead of
    joining them by hash (docs/performance-history.md, session 14). Its open items are counted per unit in
    one pass over the partial index of open items. A segment's ~1 000 units are tested on the path
    and probe the items per unit (twice as fast as the pass, measured at 1 000 000 people)."""
    units, days, items = table(Unit), table(UnitDay), table(Item)
    find = "strpos" if connection.vendor == "postgresql" else "instr"
    key = f"substr(u.path, 1, %s + {find}(substr(u.path, %s), '/'))"
    sums = "sum(d.expected), sum(d.checked_in), sum(d.red), sum(d.yellow), sum(d.exempt)"
    counted = f"LEFT JOIN {days} d ON d.unit_id = u.id AND d.day = %s"
    if whole:
        return (
            f"WITH i AS (SELECT unit_id, count(*) AS n FROM {items} WHERE state {_OPEN} GROUP BY unit_id) "  # noqa: S608
            f"SELECT {key} AS k, {sums}, sum(i.n) FROM {units} u {counted} "
            "LEFT JOIN i ON i.unit_id = u.id GROUP BY 1"
        )
    return (
        f"SELECT {key} AS k, {sums}, "  # noqa: S608
        f"sum((SELECT count(*) FROM {items} i WHERE i.unit_id = u.id AND i.state {_OPEN})) "
        f"FROM {units} u {counted} WHERE u.path LIKE %s GROUP BY 1"
    )


def rollup(unit: Unit, day: date) -> dict:
    """The unit's figures and the same for each child, as the API and dashboard show them.

    Summed in the database per child (`_figures_sql`: the day's counters and the open ledger items
    over the unit's subtree, one statement), so the cost does not grow with the number of units in Python, nor
    with the number of people or exemptions.
    """
    open_day(day)
    path = unit.path
    n = len(path)
    whole = unit.parent_id is None
    params: list = [n, n + 1, connection.ops.adapt_datefield_value(day)]
    if not whole:
        params.append(path + "%")
    per_key: dict[str, Figures] = defaultdict(Figures)
    with connection.cursor() as cursor:
        cursor.execute(_figures_sql(whole), params)
        for key, e, c, r, y, x, items in cursor.fetchall():
            if not key.startswith(path):
                continue  # a unit of another tree (read by a root's statement)
            f = per_key[key]
            f.expected, f.checked_in, f.red, f.yellow, f.exempt = e or 0, c or 0, r or 0, y or 0, x or 0
            f.abnormal, f.open_items = f.red + f.yellow, items or 0
    total = Figures()
    for f in per_key.values():
        f.missing = f.expected - f.checked_in - f.exempt
        total.add(f)
    children = Unit.objects.filter(parent=unit).values_list("code", "path").order_by("code")
    return {
        "code": unit.code,
        "date": day.isoformat(),
        **total.as_dict(),
        "children": [{"code": code, **per_key.get(cpath, Figures()).as_dict()} for code, cpath in children],
    }


def missing_people(unit: Unit, day: date) -> QuerySet[Person]:
    """The people expected in the unit's subtree that day with neither a check-in nor an exemption."""
    expected = placements_on(unit.subtree(), day).values("person_id")
    return _unreported(Person.objects.filter(pk__in=expected), day)


def _unreported(rows: QuerySet[M], day: date, person: str = "pk") -> QuerySet[M]:
    """Those of `rows` (people, or rows naming a person by the field `person`) whose person has
    neither a check-in nor an exemption that day."""
    # NOT EXISTS probes the (person, day) indexes per candidate; NOT IN over the day's million
    # check-ins would make PostgreSQL rescan them.
    reported = reported_people(day).filter(person_id=OuterRef(person))
    exempt = exempt_people(day).filter(person_id=OuterRef(person))
    return rows.filter(~Exists(reported)).filter(~Exists(exempt))


MISSING_ORDER = ("unit__path", "employee_no")  # the missing lists' order: by unit, then number


def missing_list(unit: Unit, day: date) -> QuerySet[Person]:
    """`missing_people` in MISSING_ORDER with their units: every missing list's full query."""
    return missing_people(unit, day).select_related("unit").order_by(*MISSING_ORDER)


# A subtree of up to READ_AT_ONCE units is paged by the full query (E0299, 11 units and 1 996 people:
# 14 ms for its first page, against 21 ms skipped by the counters); a larger one by the counters
# (E0121, 272 units and 76 267 people: 22-25 ms, against 100-105 ms walked unit by unit).
READ_AT_ONCE = 16


def missing_page(unit: Unit, day: date, start: int, stop: int) -> list[Person]:
    """`missing_list(unit, day)[start:stop]`, without reading the people before `start`.

    The full query finds and sorts every missing person of the subtree before it can skip to a
    page: 1.2-2.9 s a page past the first thousand at the group of 1 000 000 people
    (docs/performance.md), and walking the units in order for a board's first people 0.1 s at an
    enterprise of 76 000. Here the day's counters say how many missing people each unit holds, so
    whole units before the page are skipped uncounted, and one query reads the people of the units
    the page falls in (more only if the counters were behind a check-in made meanwhile). A subtree
    of a few units (READ_AT_ONCE) is read by the full query, at once.

    The list sorts people by their unit now (MISSING_ORDER), the counters by their placement that
    day: those placed that day on a unit of the subtree and on another unit now (moved since) are
    read apart, few rows, and counted under their unit now, inside the subtree or out of it. The
    units' order is the database's, as the full query's is.
    """
    if stop <= start:
        return []
    subtree = unit.subtree()
    units = list(subtree.order_by("path").values_list("pk", flat=True))
    if len(units) <= READ_AT_ONCE:
        return list(missing_list(unit, day)[start:stop])
    open_day(day)
    counters = UnitDay.objects.filter(day=day, unit__in=subtree.values("pk"))
    held = counters.annotate(n=F("expected") - F("checked_in") - F("exempt")).filter(n__gt=0)
    per_unit: dict[int, int] = defaultdict(int, held.values_list("unit_id", "n"))
    placed_then = placements_on(subtree, day)
    moved = _unreported(placed_then.exclude(end=None).exclude(unit_id=F("person__unit_id")), day, "person_id")
    outside: set[int] = set()
    came_from: dict[int, set[int]] = defaultdict(set)  # a unit now: where its movers were placed that day
    moves = moved.order_by().values_list("unit_id", "person__unit_id", "person__unit__path")
    for then, now, now_path in moves:
        per_unit[then] -= 1
        per_unit[now] += 1
        came_from[now].add(then)
        if not now_path.startswith(unit.path):
            outside.add(now)
    if outside:  # their units, in the database's order among the subtree's
        order = Unit.objects.filter(Q(path__startswith=unit.path) | Q(pk__in=outside)).order_by("path")
        units = list(order.values_list("pk", flat=True))
    units = [u for u in units if per_unit.get(u, 0) > 0]
    first, skip = 0, start  # the first unit holding the page, and its people before the page
    while first < len(units) and per_unit[units[first]] <= skip:
        skip -= per_unit[units[first]]
        first += 1
    found: list[Person] = []
    while first < len(units) and len(found) < stop - start:
        want = stop - start - len(found)
        last, held_here = first, 0
        while last < len(units) and held_here < skip + want:
            held_here += per_unit[units[last]]
            last += 1
        run = units[first:last]
        # Placed that day in the subtree: on these units (those in it), or on those their movers
        # came from. Named units, not the subtree's path: the prepared statement's generic plan
        # estimates a path at a few units, and hashed every placement of the group's million
        # people for a page (0.4 s).
        placed_on = {u for u in run if u not in outside} | {u for now in run for u in came_from.get(now, ())}
        placed_units = Unit.objects.filter(pk__in=placed_on)
        placed = placements_on(placed_units, day).filter(person_id=OuterRef("pk"))
        people = _unreported(Person.objects.filter(unit_id__in=run), day).filter(Exists(placed))
        found += people.select_related("unit").order_by(*MISSING_ORDER)[skip : skip + want]
        first, skip = last, 0
    return found


class MissingList:
    """`missing_people(unit, day)` in MISSING_ORDER, paged (a Paginator's object list, the API's
    pages). Its count is the roll-up's missing figure, from the day's counters: the property test
    holds it equal to the people listed (tests/checkins/test_rollup_property.py). A page is read by
    `missing_page`, which skips the units before it by the same counters; the whole list, by the
    full query. For an enterprise of 76 000 people the full query and its count took 0.8-0.9 s."""

    def __init__(self, unit: Unit, day: date) -> None:
        self.unit, self.day = unit, day
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = rollup(self.unit, self.day)["missing"]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Person]:
        return iter(self[0:None])

    @overload
    def __getitem__(self, key: int) -> Person: ...
    @overload
    def __getitem__(self, key: slice) -> list[Person]: ...
    def __getitem__(self, key: int | slice) -> Person | list[Person]:
        if isinstance(key, int):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        if stop is None:
            return list(missing_list(self.unit, self.day)[start:])
        return missing_page(self.unit, self.day, start, stop)


def cards(unit: Unit, day: date, colours: list[str]) -> QuerySet[CheckIn]:
    """Current check-ins of the given card colours in the subtree that day."""
    return reported_people(day).filter(unit__in=unit.subtree().values("pk"), card__in=colours)
